"""The state of a ThreadSpec being defined: its graph, its variables and what it can see.

The user-facing ``WorkflowThread`` is layered on this core (failure
handling, then child threads, then tasks, control flow, waiting and ending);
every layer adds nodes through the core's graph and resolves operands
through the core's scope rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from canter import structs
from canter.builder.assignable import describe
from canter.builder.conditions import Condition, as_condition
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.graph import NodeKind, ThreadGraph
from canter.builder.mutations import check_mutation, compile_mutation
from canter.builder.operands import Expression, FormatString, NodeOutput
from canter.builder.types import (
    AccessLevel,
    Comparator,
    VariableMutationType,
    VariableType,
    parse_enum,
)
from canter.builder.variables import VariableDeclaration, WfRunVariable

if TYPE_CHECKING:
    from canter.builder.workflow import Workflow


class ThreadCore:
    """A thread sees its own variables and its ancestors'; node outputs only its own."""

    def __init__(self, workflow: Workflow, name: str, parent: ThreadCore | None) -> None:
        self.workflow = workflow
        self.name = name
        self.parent = parent
        self.graph = ThreadGraph()
        self._variables: list[VariableDeclaration] = []
        self._interrupts: list[dict[str, Any]] = []
        self._active = False

    def _check_active(self) -> None:
        if not self._active:
            raise WorkflowDefinitionError(
                f"thread '{self.name}' is not being defined any more: inside a thread function, "
                "use the WorkflowThread that function receives"
            )

    def _check_open(self, what: str) -> None:
        self._check_active()
        if self.graph.last_node().kind == NodeKind.EXIT:
            raise WorkflowDefinitionError(
                f"cannot {what} after the thread has ended (fail() or complete())"
            )

    def get_parent_workflow(self) -> Workflow:
        """The Workflow this thread belongs to."""
        return self.workflow

    # --- scope (the operands.Scope protocol) ---------------------------------------

    def lineage(self) -> list[ThreadCore]:
        """This thread and its ancestors: the threads whose variables it can use."""
        chain: list[ThreadCore] = []
        thread: ThreadCore | None = self
        while thread is not None:
            chain.append(thread)
            thread = thread.parent
        return chain

    def require_visible(self, variable: WfRunVariable) -> None:
        owner = variable.declaration.thread
        if owner.workflow is not self.workflow:
            raise WorkflowDefinitionError(
                f"variable '{variable.name}' belongs to workflow '{owner.workflow.name}', "
                f"not to '{self.workflow.name}'"
            )
        if owner not in self.lineage():
            raise WorkflowDefinitionError(
                f"variable '{variable.name}' is not declared in thread '{self.name}' or its "
                f"parents (it belongs to thread '{owner.name}'): a thread sees only its own and "
                "its ancestors' variables"
            )

    def require_own_node(self, output: NodeOutput) -> None:
        if output.owner is not self:
            raise WorkflowDefinitionError(
                f"{output.describe()} is not in thread '{self.name}': a node's output can only "
                "be used in the thread that ran the node"
            )

    def compile_condition(self, condition: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A condition and its negation as ``VariableAssignment`` JSON."""
        self._check_active()
        checked = as_condition(condition)
        return checked.compile_assignment(self), checked.negate().compile_assignment(self)

    # --- variables ------------------------------------------------------------------

    def _declare(
        self,
        name: str,
        var_type: VariableType | None,
        default: object,
        struct_def: tuple[str, int] | None = None,
    ) -> WfRunVariable:
        self._check_open("declare a variable")
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"a variable name must be a non-empty str, not {name!r}")
        if any(existing.name == name for existing in self._variables):
            raise WorkflowDefinitionError(
                f"variable '{name}' is already declared in thread '{self.name}'"
            )
        declaration = VariableDeclaration(name, var_type, self, struct_def)
        declaration.set_default(default)
        self._variables.append(declaration)
        return WfRunVariable(declaration)

    def declare_int(self, name: str, default_value: int | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.INT, default_value)

    def declare_str(self, name: str, default_value: str | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.STR, default_value)

    def declare_double(self, name: str, default_value: float | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.DOUBLE, default_value)

    def declare_bool(self, name: str, default_value: bool | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.BOOL, default_value)

    def declare_bytes(self, name: str, default_value: bytes | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.BYTES, default_value)

    def declare_json_obj(
        self, name: str, default_value: Mapping[str, Any] | None = None
    ) -> WfRunVariable:
        return self._declare(name, VariableType.JSON_OBJ, default_value)

    def declare_json_arr(
        self, name: str, default_value: list[Any] | tuple[Any, ...] | None = None
    ) -> WfRunVariable:
        return self._declare(name, VariableType.JSON_ARR, default_value)

    def declare_timestamp(self, name: str, default_value: datetime | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.TIMESTAMP, default_value)

    def declare_wf_run_id(self, name: str, default_value: str | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.WF_RUN_ID, default_value)

    def declare_struct(
        self, name: str, struct_def: str | type, struct_def_version: int = -1
    ) -> WfRunVariable:
        """A Struct variable of the StructDef ``struct_def`` (its name, or a
        ``@canter.struct_def`` class); version -1 is the latest when the WfSpec is put."""
        if isinstance(struct_def, str):
            struct_name = struct_def
        elif structs.is_struct(struct_def):
            struct_name = structs.struct_name(struct_def)
        else:
            raise WorkflowDefinitionError(
                f"{getattr(struct_def, '__name__', struct_def)!r} is not decorated with "
                "@canter.struct_def"
            )
        return self.add_variable(
            name, struct_def_name=struct_name, struct_def_version=struct_def_version
        )

    def add_variable(
        self,
        variable_name: str,
        variable_type: VariableType | str | None = None,
        access_level: AccessLevel | str = AccessLevel.PRIVATE_VAR,
        default_value: Any = None,
        struct_def_name: str | None = None,
        struct_def_version: int = -1,
    ) -> WfRunVariable:
        """Declare a variable of a type given as a value (what the ``declare_*`` methods call):
        exactly one of ``variable_type`` or ``struct_def_name``, as the official SDK."""
        if (variable_type is None) == (struct_def_name is None):
            raise WorkflowDefinitionError(
                f"variable '{variable_name}' needs exactly one of variable_type or struct_def_name"
            )
        if struct_def_name is not None:
            variable = self._declare(
                variable_name, None, default_value, (struct_def_name, struct_def_version)
            )
        else:
            chosen = parse_enum(VariableType, variable_type, "variable type")
            variable = self._declare(variable_name, chosen, default_value)
        return variable.with_access_level(access_level)

    def declared_names(self) -> frozenset[str]:
        return frozenset(declaration.name for declaration in self._variables)

    def find_variable(self, name: str) -> WfRunVariable:
        """A handle on a variable visible from this thread, by name."""
        for thread in self.lineage():
            for declaration in thread._variables:
                if declaration.name == name:
                    return WfRunVariable(declaration)
        raise WorkflowDefinitionError(
            f"no variable '{name}' is declared in thread '{self.name}' or its parents"
        )

    # --- values ---------------------------------------------------------------------

    def format(self, template: str, *args: Any) -> FormatString:
        """A STR built at run time: ``wf.format("Hello {0}", name)``."""
        return FormatString(template, args)

    def condition(self, lhs: Any, comparator: Comparator | str, rhs: Any) -> Condition:
        """``lhs <comparator> rhs``, as ``lhs.is_...(rhs)`` builds it, for any two values."""
        return Condition(lhs, parse_enum(Comparator, comparator, "comparator"), rhs)

    def add(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.ADD, rhs)

    def subtract(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.SUBTRACT, rhs)

    def multiply(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.MULTIPLY, rhs)

    def divide(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.DIVIDE, rhs)

    def pow(self, base: Any, exponent: Any) -> Expression:
        return Expression(base, VariableMutationType.POW, exponent)

    def extend(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.EXTEND, rhs)

    def remove_if_present(self, lhs: Any, rhs: Any) -> Expression:
        return Expression(lhs, VariableMutationType.REMOVE_IF_PRESENT, rhs)

    def remove_index(self, lhs: Any, index: Any) -> Expression:
        """``lhs`` without the element at ``index``.

        The LittleHorse SDK's ``remove_index(index)`` takes no list (and
        compiles to nothing usable); this one names the list it removes from.
        """
        return Expression(lhs, VariableMutationType.REMOVE_INDEX, index)

    def remove_key(self, lhs: Any, key: Any) -> Expression:
        return Expression(lhs, VariableMutationType.REMOVE_KEY, key)

    def mutate(self, lhs: Any, operation: VariableMutationType | str, rhs: Any) -> None:
        """Change ``lhs`` on the edge leaving the node most recently added."""
        self._check_open("mutate a variable")
        if not isinstance(lhs, WfRunVariable):
            raise WorkflowDefinitionError(f"only a variable can be mutated, not {describe(lhs)}")
        op = parse_enum(VariableMutationType, operation, "variable mutation")
        check_mutation(lhs, op, rhs)
        self.graph.pending_mutations.append(compile_mutation(lhs, op, rhs, self))

    # --- output -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The ``ThreadSpec`` JSON."""
        spec: dict[str, Any] = {"nodes": self.graph.to_json()}
        if self._variables:
            spec["variableDefs"] = [variable.to_json() for variable in self._variables]
        if self._interrupts:
            spec["interruptDefs"] = list(self._interrupts)
        return spec
