"""What can stand where LittleHorse takes a ``VariableAssignment``, and how it compiles.

A value is compiled where it is used (a task argument, a mutation, a
condition), against the thread that uses it: that is the moment a variable
out of scope or a node output of another thread can be reported at the
user's line. Python literals compile to ``literalValue``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from canter.builder.errors import WorkflowDefinitionError
from canter.builder.literals import literal_type, variable_value
from canter.builder.types import VariableType

if TYPE_CHECKING:
    from canter.builder.operands import NodeOutput
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


class Assignable(ABC):
    """A value known only when the workflow runs (an operand or a boolean expression)."""

    @abstractmethod
    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        """The ``VariableAssignment`` JSON of this value, used from ``scope``."""

    @property
    def value_type(self) -> VariableType | None:
        """The type this value is known to have when defined, if it is known."""
        return None

    @abstractmethod
    def describe(self) -> str:
        """How error messages name this value."""


def type_of(value: Any) -> VariableType | None:
    """The type of an operand or literal, when known before the workflow runs."""
    if isinstance(value, Assignable):
        return value.value_type
    return literal_type(value)


def describe(value: Any) -> str:
    if isinstance(value, Assignable):
        return value.describe()
    kind = literal_type(value)
    if kind is None and value is not None:
        return f"struct literal {type(value).__name__}"
    return f"{kind} literal {value!r}" if kind is not None else "the null literal"


def compile_assignment(value: Any, scope: Scope) -> dict[str, Any]:
    """The ``VariableAssignment`` JSON of an assignable value or a Python literal."""
    if isinstance(value, Assignable):
        return value.compile_assignment(scope)
    return {"literalValue": variable_value(value)}


def check_seconds(value: object, what: str) -> None:
    """A delay: a positive int literal, or an operand that may hold an INT."""
    if isinstance(value, Assignable):
        if value.value_type not in (None, VariableType.INT):
            raise WorkflowDefinitionError(f"{what} must be an INT, not {describe(value)}")
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise WorkflowDefinitionError(f"{what} must be a positive number of seconds, not {value!r}")
