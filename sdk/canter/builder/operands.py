"""Operands: variables' siblings that compute values (node outputs, expressions, formats).

Every operand offers LittleHorse's expression methods (``add``, ``extend``,
...) and comparison methods (``is_equal_to``, ``is_in``, ...).
"""

from __future__ import annotations

import re
from typing import Any

from canter.builder.assignable import (
    Assignable,
    Scope,
    check_json_path,
    compile_assignment,
    describe,
)
from canter.builder.conditions import Condition, Junction
from canter.builder.errors import RuntimeValueAsBoolError, WorkflowDefinitionError
from canter.builder.types import (
    Comparator,
    VariableMutationType,
    VariableType,
    can_cast,
    parse_enum,
)


class Operand(Assignable):
    """A value known only when the workflow runs: a variable, a node output, an expression."""

    def add(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.ADD, other)

    def subtract(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.SUBTRACT, other)

    def multiply(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.MULTIPLY, other)

    def divide(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.DIVIDE, other)

    def pow(self, exponent: Any) -> Expression:
        return Expression(self, VariableMutationType.POW, exponent)

    def extend(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.EXTEND, other)

    def remove_if_present(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.REMOVE_IF_PRESENT, other)

    def remove_index(self, index: Any) -> Expression:
        return Expression(self, VariableMutationType.REMOVE_INDEX, index)

    def remove_key(self, key: Any) -> Expression:
        return Expression(self, VariableMutationType.REMOVE_KEY, key)

    def is_equal_to(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.EQUALS, rhs)

    def is_not_equal_to(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.NOT_EQUALS, rhs)

    def is_greater_than(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.GREATER_THAN, rhs)

    def is_greater_than_eq(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.GREATER_THAN_EQ, rhs)

    def is_less_than(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.LESS_THAN, rhs)

    def is_less_than_eq(self, rhs: Any) -> Condition:
        return Condition(self, Comparator.LESS_THAN_EQ, rhs)

    def is_in(self, collection: Any) -> Condition:
        return Condition(self, Comparator.IN, collection)

    def is_not_in(self, collection: Any) -> Condition:
        return Condition(self, Comparator.NOT_IN, collection)

    def does_contain(self, item: Any) -> Condition:
        return Condition(item, Comparator.IN, self)

    def does_not_contain(self, item: Any) -> Condition:
        return Condition(item, Comparator.NOT_IN, self)

    def cast_to(self, target_type: VariableType | str) -> Cast:
        """This value converted to ``target_type`` when the workflow runs."""
        return Cast(self, target_type)

    def cast_to_int(self) -> Cast:
        return Cast(self, VariableType.INT)

    def cast_to_double(self) -> Cast:
        return Cast(self, VariableType.DOUBLE)

    def cast_to_str(self) -> Cast:
        return Cast(self, VariableType.STR)

    def cast_to_bool(self) -> Cast:
        return Cast(self, VariableType.BOOL)

    def cast_to_bytes(self) -> Cast:
        return Cast(self, VariableType.BYTES)

    def cast_to_wf_run_id(self) -> Cast:
        return Cast(self, VariableType.WF_RUN_ID)

    def do_and(self, other: Any) -> Junction:
        """This BOOL value AND ``other`` (a condition or another BOOL value)."""
        return Junction(self, "AND", other)

    def do_or(self, other: Any) -> Junction:
        """This BOOL value OR ``other`` (a condition or another BOOL value)."""
        return Junction(self, "OR", other)

    def __bool__(self) -> bool:
        """A BOOL value is refused, as a condition is: ``do_if`` takes both.

        Other values keep Python's default truth, so that ``lambda t:
        t.execute("x") and None`` still reads as "run x".
        """
        if self.value_type == VariableType.BOOL:
            raise RuntimeValueAsBoolError(
                f"{self.describe()} is only known when the workflow runs, so Python cannot use "
                "it as True or False: give it to do_if() or do_while() as a condition, and "
                "combine it with value.do_and(b) or value.do_or(b) instead of 'and'/'or'"
            )
        return True


class NodeOutput(Operand):
    """The output of a node, optionally narrowed by a JSONPath."""

    def __init__(
        self,
        node_name: str,
        owner: object,
        value_type: VariableType | None = None,
        json_path: str | None = None,
    ) -> None:
        self.node_name = node_name
        self.owner = owner
        self._json_path: str | None = None
        self._value_type = value_type
        if json_path is not None:
            self.json_path = json_path

    @property
    def json_path(self) -> str | None:
        """The JSONPath this handle reads the output at, if any."""
        return self._json_path

    @json_path.setter
    def json_path(self, json_path: str) -> None:
        """Narrow this handle in place, as LittleHorse's ``output.json_path = "$.x"`` does."""
        if self._json_path is not None:
            raise WorkflowDefinitionError(
                f"output of node '{self.node_name}' already has JSONPath {self._json_path!r}"
            )
        check_json_path(json_path)
        self._json_path = json_path

    @property
    def value_type(self) -> VariableType | None:
        return self._value_type if self.json_path is None else None

    def with_json_path(self, json_path: str) -> NodeOutput:
        """A handle on the part of this output that ``json_path`` selects."""
        if self.json_path is not None:
            raise WorkflowDefinitionError(
                f"output of node '{self.node_name}' already has JSONPath {self.json_path!r}"
            )
        return NodeOutput(self.node_name, self.owner, self._value_type, json_path)

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        scope.require_own_node(self)
        assignment: dict[str, Any] = {"nodeOutput": {"nodeName": self.node_name}}
        if self.json_path is not None:
            assignment["jsonPath"] = self.json_path
        return assignment

    def describe(self) -> str:
        if self.json_path is not None:
            return f"output of node '{self.node_name}' at {self.json_path}"
        known = f"{self._value_type} " if self._value_type is not None else ""
        return f"{known}output of node '{self.node_name}'"


class Expression(Operand):
    """``lhs <operation> rhs``, evaluated when the workflow runs (LittleHorse's LHExpression)."""

    def __init__(self, lhs: Any, operation: VariableMutationType, rhs: Any) -> None:
        self.lhs = lhs
        self.operation = operation
        self.rhs = rhs

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        return {
            "expression": {
                "lhs": compile_assignment(self.lhs, scope),
                "mutationType": self.operation.value,
                "rhs": compile_assignment(self.rhs, scope),
            }
        }

    def describe(self) -> str:
        return f"expression {self.operation.value}({describe(self.lhs)}, {describe(self.rhs)})"


class Cast(Operand):
    """``source`` converted to ``target`` when the workflow runs (LittleHorse's CastExpression).

    It compiles to ``source``'s assignment with a ``targetType``; a cast of a
    cast keeps only the outer one, as in the LittleHorse SDK, since a
    ``VariableAssignment`` holds one target type.
    """

    def __init__(self, source: Any, target: VariableType | str) -> None:
        chosen = parse_enum(VariableType, target, "variable type")
        known = source.value_type if isinstance(source, Assignable) else None
        if known is not None and not can_cast(known, chosen):
            raise WorkflowDefinitionError(
                f"Cannot cast from {known} to {chosen}. This conversion is not supported "
                f"({describe(source)})"
            )
        self.source = source
        self.target = chosen

    @property
    def value_type(self) -> VariableType | None:
        return self.target

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        type_def = {"primitiveType": self.target.value}
        return {**compile_assignment(self.source, scope), "targetType": type_def}

    def describe(self) -> str:
        return f"{describe(self.source)} cast to {self.target}"


_PLACEHOLDER = re.compile(r"\{(\d+)\}")


class FormatString(Operand):
    """A STR built when the workflow runs: ``"Hello {0}"`` with operands as arguments."""

    def __init__(self, template: str, args: tuple[Any, ...]) -> None:
        if not isinstance(template, str):
            raise WorkflowDefinitionError(f"format template must be a str, not {template!r}")
        for index in _PLACEHOLDER.findall(template):
            if int(index) >= len(args):
                raise WorkflowDefinitionError(
                    f"format string {template!r} refers to {{{index}}} but has only "
                    f"{len(args)} argument(s)"
                )
        self.template = template
        self.args = args

    @property
    def value_type(self) -> VariableType | None:
        return VariableType.STR

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        body: dict[str, Any] = {"format": {"literalValue": {"str": self.template}}}
        if self.args:
            body["args"] = [compile_assignment(arg, scope) for arg in self.args]
        return {"formatString": body}

    def describe(self) -> str:
        return f"format string {self.template!r}"
