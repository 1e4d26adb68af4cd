"""The enumerations of LittleHorse's wire format, as string enums.

String enums compare equal to their names, so users may write either
``VariableType.INT`` or ``"INT"``; the value is what goes on the wire.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from canter.builder.errors import WorkflowDefinitionError

E = TypeVar("E", bound=StrEnum)


def parse_enum(enum_type: type[E], value: Any, what: str) -> E:
    """``value`` as a member of ``enum_type``, or a definition error listing the choices."""
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_type)
        raise WorkflowDefinitionError(f"{value!r} is not a {what}: use one of {choices}") from None


class VariableType(StrEnum):
    JSON_OBJ = "JSON_OBJ"
    JSON_ARR = "JSON_ARR"
    DOUBLE = "DOUBLE"
    BOOL = "BOOL"
    STR = "STR"
    INT = "INT"
    BYTES = "BYTES"
    WF_RUN_ID = "WF_RUN_ID"
    TIMESTAMP = "TIMESTAMP"


class Comparator(StrEnum):
    LESS_THAN = "LESS_THAN"
    GREATER_THAN = "GREATER_THAN"
    LESS_THAN_EQ = "LESS_THAN_EQ"
    GREATER_THAN_EQ = "GREATER_THAN_EQ"
    EQUALS = "EQUALS"
    NOT_EQUALS = "NOT_EQUALS"
    IN = "IN"
    NOT_IN = "NOT_IN"

    def negate(self) -> Comparator:
        """The comparator that holds exactly when this one does not."""
        return _NEGATION[self]


_NEGATION = {
    Comparator.LESS_THAN: Comparator.GREATER_THAN_EQ,
    Comparator.GREATER_THAN_EQ: Comparator.LESS_THAN,
    Comparator.GREATER_THAN: Comparator.LESS_THAN_EQ,
    Comparator.LESS_THAN_EQ: Comparator.GREATER_THAN,
    Comparator.EQUALS: Comparator.NOT_EQUALS,
    Comparator.NOT_EQUALS: Comparator.EQUALS,
    Comparator.IN: Comparator.NOT_IN,
    Comparator.NOT_IN: Comparator.IN,
}


class VariableMutationType(StrEnum):
    ASSIGN = "ASSIGN"
    ADD = "ADD"
    EXTEND = "EXTEND"
    SUBTRACT = "SUBTRACT"
    MULTIPLY = "MULTIPLY"
    DIVIDE = "DIVIDE"
    REMOVE_IF_PRESENT = "REMOVE_IF_PRESENT"
    REMOVE_INDEX = "REMOVE_INDEX"
    REMOVE_KEY = "REMOVE_KEY"
    POW = "POW"


class AccessLevel(StrEnum):
    PUBLIC_VAR = "PUBLIC_VAR"
    PRIVATE_VAR = "PRIVATE_VAR"
    INHERITED_VAR = "INHERITED_VAR"


class WaitForThreadsStrategy(StrEnum):
    WAIT_FOR_ALL = "WAIT_FOR_ALL"
    WAIT_FOR_FIRST = "WAIT_FOR_FIRST"
    WAIT_FOR_ANY = "WAIT_FOR_ANY"


class AllowedUpdateType(StrEnum):
    """Which new versions a PutWfSpec may make of an existing WfSpec."""

    ALL_UPDATES = "ALL_UPDATES"
    MINOR_REVISION_UPDATES = "MINOR_REVISION_UPDATES"
    NO_UPDATES = "NO_UPDATES"


class ErrorType(StrEnum):
    """The technical failures (``ERROR``) a failure handler may name."""

    CHILD_FAILURE = "CHILD_FAILURE"
    VAR_SUB_ERROR = "VAR_SUB_ERROR"
    VAR_MUTATION_ERROR = "VAR_MUTATION_ERROR"
    USER_TASK_CANCELLED = "USER_TASK_CANCELLED"
    TIMEOUT = "TIMEOUT"
    TASK_FAILURE = "TASK_FAILURE"
    VAR_ERROR = "VAR_ERROR"
    TASK_ERROR = "TASK_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"


NUMERIC_TYPES = frozenset({VariableType.INT, VariableType.DOUBLE})
JSON_TYPES = frozenset({VariableType.JSON_OBJ, VariableType.JSON_ARR})


_CASTABLE_TO_STR = frozenset(
    {
        VariableType.STR,
        VariableType.INT,
        VariableType.DOUBLE,
        VariableType.BOOL,
        VariableType.BYTES,
        VariableType.WF_RUN_ID,
    }
)
_PARSED_FROM_STR = _CASTABLE_TO_STR - {VariableType.STR}


def can_cast(source: VariableType, target: VariableType) -> bool:
    """Whether an explicit cast from ``source`` to ``target`` can work.

    LittleHorse's ``TypeCastingUtils.canCastTo``: any primitive to STR, INT and
    DOUBLE either way, and a STR parsed as INT, DOUBLE, BOOL, BYTES or WF_RUN_ID.
    """
    if source == target:
        return True
    if target == VariableType.STR:
        return source in _CASTABLE_TO_STR
    if {source, target} == NUMERIC_TYPES:
        return True
    return source == VariableType.STR and target in _PARSED_FROM_STR


def cast_hint(actual: VariableType, expected: VariableType) -> str:
    """What to write instead, when an explicit cast would convert ``actual`` to ``expected``."""
    if not can_cast(actual, expected):
        return ""
    return f" without an explicit cast: use value.cast_to_{expected.value.lower()}()"


def accepts(expected: VariableType, actual: VariableType) -> bool:
    """Whether a value of type ``actual`` may go where ``expected`` is required.

    The one implicit conversion the model allows is INT -> DOUBLE widening.
    """
    return expected == actual or (expected == VariableType.DOUBLE and actual == VariableType.INT)
