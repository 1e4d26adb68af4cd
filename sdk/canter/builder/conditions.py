"""Boolean expressions: comparisons and their AND/OR combinations.

Every boolean expression can be negated, because ``do_while`` needs the
negation for the edge that leaves the loop; ``AND``/``OR`` negate by De
Morgan's laws.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Literal

from canter.builder.assignable import Assignable, Scope, compile_assignment, describe, type_of
from canter.builder.errors import RuntimeValueAsBoolError, WorkflowDefinitionError
from canter.builder.types import JSON_TYPES, NUMERIC_TYPES, Comparator, VariableType, accepts


class BooleanExpression(Assignable):
    @property
    def value_type(self) -> VariableType | None:
        return VariableType.BOOL

    @abstractmethod
    def negate(self) -> BooleanExpression:
        """The expression that holds exactly when this one does not."""

    def do_and(self, other: Any) -> Junction:
        """Holds when this and ``other`` both hold (LittleHorse's AND expression)."""
        return Junction(self, "AND", other)

    def do_or(self, other: Any) -> Junction:
        """Holds when this or ``other`` holds (LittleHorse's OR expression)."""
        return Junction(self, "OR", other)

    def __bool__(self) -> bool:
        """Refused, so that ``a and b`` cannot silently compile to ``b`` alone."""
        raise RuntimeValueAsBoolError(
            f"{self.describe()} is evaluated when the workflow runs, so Python cannot use it "
            "as True or False: combine conditions with a.do_and(b) or a.do_or(b) instead of "
            "'and'/'or', and negate one with a.negate() instead of 'not'"
        )


_ORDERED = frozenset(
    {
        Comparator.LESS_THAN,
        Comparator.LESS_THAN_EQ,
        Comparator.GREATER_THAN,
        Comparator.GREATER_THAN_EQ,
    }
)
_CONTAINERS = JSON_TYPES | {VariableType.STR}


class Condition(BooleanExpression):
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


class Junction(BooleanExpression):
    """``lhs AND rhs`` or ``lhs OR rhs`` over BOOL values (conditions or BOOL operands)."""

    def __init__(self, lhs: Any, operation: Literal["AND", "OR"], rhs: Any) -> None:
        as_condition(lhs)
        as_condition(rhs)
        self.lhs = lhs
        self.operation = operation
        self.rhs = rhs

    def negate(self) -> Junction:
        flipped: Literal["AND", "OR"] = "OR" if self.operation == "AND" else "AND"
        return Junction(as_condition(self.lhs).negate(), flipped, as_condition(self.rhs).negate())

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        return {
            "expression": {
                "lhs": compile_assignment(self.lhs, scope),
                "mutationType": self.operation,
                "rhs": compile_assignment(self.rhs, scope),
            }
        }

    def describe(self) -> str:
        return f"({describe(self.lhs)} {self.operation} {describe(self.rhs)})"


def as_condition(value: Any) -> BooleanExpression:
    """The condition of a ``do_if``/``do_while``; refuses anything that is not a BOOL.

    A BOOL value on its own means ``value == True``, so that it negates like
    any comparison.
    """
    if isinstance(value, BooleanExpression):
        return value
    if isinstance(value, Assignable) and value.value_type == VariableType.BOOL:
        return Condition(value, Comparator.EQUALS, True)
    raise WorkflowDefinitionError(
        "a condition must be a comparison such as var.is_greater_than(1) or a BOOL variable, "
        f"not {describe(value)}"
    )
