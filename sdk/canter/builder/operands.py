"""Values a workflow passes around, and how each compiles to a ``VariableAssignment``.

An operand is compiled where it is used (a task argument, a mutation, a
condition), against the thread that uses it: that is the moment a variable
out of scope or a node output of another thread can be reported at the
user's line.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from canter.builder.errors import WorkflowDefinitionError
from canter.builder.literals import literal_type, variable_value
from canter.builder.types import (
    JSON_TYPES,
    NUMERIC_TYPES,
    Comparator,
    VariableMutationType,
    VariableType,
    accepts,
)

if TYPE_CHECKING:
    from canter.builder.variables import WfRunVariable


class Scope(Protocol):
    """The thread an operand is used in; it decides what the operand may refer to."""

    def require_visible(self, variable: WfRunVariable) -> None: ...

    def require_own_node(self, output: NodeOutput) -> None: ...


def check_json_path(json_path: str) -> None:
    if not isinstance(json_path, str) or not json_path.startswith(("$.", "$[")):
        raise WorkflowDefinitionError(
            f"invalid JSONPath {json_path!r}: it must start with '$.' or '$['"
        )


class Operand(ABC):
    """A value known only when the workflow runs: a variable, a node output, an expression."""

    @abstractmethod
    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        """The ``VariableAssignment`` JSON of this operand, used from ``scope``."""

    @property
    def value_type(self) -> VariableType | None:
        """The type this operand is known to have when defined, if it is known."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """How error messages name this operand."""

    def add(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.ADD, other)

    def subtract(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.SUBTRACT, other)

    def multiply(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.MULTIPLY, other)

    def divide(self, other: Any) -> Expression:
        return Expression(self, VariableMutationType.DIVIDE, other)

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


def type_of(value: Any) -> VariableType | None:
    """The type of an operand or literal, when known before the workflow runs."""
    if isinstance(value, Operand | Condition):
        return value.value_type
    return literal_type(value)


def describe(value: Any) -> str:
    if isinstance(value, Operand | Condition):
        return value.describe()
    kind = literal_type(value)
    return f"{kind} literal {value!r}" if kind is not None else "the null literal"


def compile_assignment(value: Any, scope: Scope) -> dict[str, Any]:
    """The ``VariableAssignment`` JSON of an operand, a condition or a Python literal."""
    if isinstance(value, Operand | Condition):
        return value.compile_assignment(scope)
    return {"literalValue": variable_value(value)}


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
        self.json_path = json_path
        self._value_type = value_type

    @property
    def value_type(self) -> VariableType | None:
        return self._value_type if self.json_path is None else None

    def with_json_path(self, json_path: str) -> NodeOutput:
        """A handle on the part of this output that ``json_path`` selects."""
        if self.json_path is not None:
            raise WorkflowDefinitionError(
                f"output of node '{self.node_name}' already has JSONPath {self.json_path!r}"
            )
        check_json_path(json_path)
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


_ORDERED = frozenset(
    {
        Comparator.LESS_THAN,
        Comparator.LESS_THAN_EQ,
        Comparator.GREATER_THAN,
        Comparator.GREATER_THAN_EQ,
    }
)
_CONTAINERS = JSON_TYPES | {VariableType.STR}


class Condition:
    """``lhs <comparator> rhs``: a BOOL evaluated when the workflow runs."""

    def __init__(self, lhs: Any, comparator: Comparator, rhs: Any) -> None:
        self.lhs = lhs
        self.comparator = comparator
        self.rhs = rhs
        self._check_types()

    def _check_types(self) -> None:
        left, right = type_of(self.lhs), type_of(self.rhs)
        if self.comparator in (Comparator.IN, Comparator.NOT_IN):
            if right is not None and right not in _CONTAINERS:
                raise WorkflowDefinitionError(
                    f"{self.comparator.value} needs a JSON_ARR, JSON_OBJ or STR to look in, "
                    f"not {describe(self.rhs)}"
                )
            return
        if left is None or right is None:
            return
        comparable = accepts(left, right) or accepts(right, left)
        if self.comparator in _ORDERED and not (
            {left, right} <= NUMERIC_TYPES or (comparable and left not in JSON_TYPES)
        ):
            raise WorkflowDefinitionError(
                f"cannot order {describe(self.lhs)} against {describe(self.rhs)} "
                f"with {self.comparator.value}"
            )
        if not comparable:
            raise WorkflowDefinitionError(
                f"{describe(self.lhs)} and {describe(self.rhs)} have different types, "
                f"so {self.comparator.value} cannot be what you mean"
            )

    @property
    def value_type(self) -> VariableType | None:
        return VariableType.BOOL

    def negate(self) -> Condition:
        return Condition(self.lhs, self.comparator.negate(), self.rhs)

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        return {
            "expression": {
                "lhs": compile_assignment(self.lhs, scope),
                "comparator": self.comparator.value,
                "rhs": compile_assignment(self.rhs, scope),
            }
        }

    def describe(self) -> str:
        return f"condition {describe(self.lhs)} {self.comparator.value} {describe(self.rhs)}"


def as_condition(value: Any) -> Condition:
    """The condition of a ``do_if``/``do_while``; refuses anything that is not a BOOL.

    A BOOL operand on its own means ``operand == True``, so that it negates
    like any comparison (``do_while`` needs the negation for its exit edge).
    """
    if isinstance(value, Condition):
        return value
    if isinstance(value, Operand) and value.value_type == VariableType.BOOL:
        return value.is_equal_to(True)
    raise WorkflowDefinitionError(
        "a condition must be a comparison such as var.is_greater_than(1) or a BOOL variable, "
        f"not {describe(value)}"
    )
