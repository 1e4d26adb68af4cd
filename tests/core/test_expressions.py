"""Expressions (``VariableAssignment.expression``), computed as LittleHorse's ExpressionModel does.

An expression computes in the type of its left side, or in DOUBLE when an INT
meets a DOUBLE; assigning the result converts it to the variable's type.
"""

from typing import Any

import pytest
from littlehorse.model import VariableMutationType
from littlehorse.workflow import LHExpression, WorkflowThread

from tests.core.harness import Harness


def division(wf: WorkflowThread) -> None:
    """ExpressionTest's precision part: ``$.lhs / $.rhs`` into a DOUBLE and an INT."""
    tests = wf.declare_json_obj("dividend-tests")
    result = wf.declare_double("division-result")
    result_int = wf.declare_int("division-result-int")
    quotient = tests.with_json_path("$.lhs").divide(tests.with_json_path("$.rhs"))
    result.assign(quotient)
    result_int.assign(quotient)


@pytest.mark.parametrize(
    ("lhs", "rhs", "as_double", "as_int"),
    [(5, 2, 2.0, 2), (5.0, 2, 2.5, 2), (5, 2.0, 2.5, 2), (5.0, 2.0, 2.5, 2), (-7, 2, -3.0, -3)],
)
def test_division_keeps_integer_division_only_between_ints(
    lhs: float, rhs: float, as_double: float, as_int: int
) -> None:
    """Mirrors ExpressionTest dividingTwoIntsShouldUseIntegerDivision,
    dividingDoubleByIntShouldUseFloatingDivision, dividingIntByDoubleShouldUseFloatingDivision,
    dividingTwoDoublesShouldUseFloatingDivision and shouldCastDoubleToIntWhenAssigningToInt."""
    h = Harness(division)
    h.run(**{"dividend-tests": {"lhs": lhs, "rhs": rhs}})
    assert h.status == "COMPLETED"
    assert h.variables["division-result"] == as_double
    assert h.variables["division-result-int"] == as_int
    assert type(h.variables["division-result"]) is float


def discount(wf: WorkflowThread) -> None:
    """ExpressionTest's ``quantity * price * (1.0 - discount / 100.0)``."""
    quantity = wf.declare_int("quantity")
    price = wf.declare_double("price")
    discount_percentage = wf.declare_int("discount-percentage")
    total_int = wf.declare_int("total-price-int")
    total_double = wf.declare_double("total-price-double")
    factor = LHExpression(1.0, VariableMutationType.SUBTRACT, discount_percentage.divide(100.0))
    total = quantity.multiply(price).multiply(factor)
    total_int.assign(total)
    total_double.assign(total)


def test_a_nested_expression_computes_in_double_precision() -> None:
    """Mirrors ExpressionTest shouldCalculateDiscountProperly and
    shouldStillUseDoublePrecisionWhenCalculatingBeforeAssigningToAnInt."""
    h = Harness(discount)
    h.run(quantity=10, price=100.3, **{"discount-percentage": 10})
    assert h.status == "COMPLETED"
    assert h.variables["total-price-double"] == 902.7
    assert h.variables["total-price-int"] == 902


def test_an_int_expression_with_a_double_operand_promotes_to_double() -> None:
    """The issue's case: ``10 * 100.3 * (1 - 10 / 100.0)`` is 902.7, not 1003.0."""

    def wf_fn(wf: WorkflowThread) -> None:
        out = wf.declare_double("out")
        ten = wf.declare_int("ten", 10)
        one_minus = LHExpression(1, VariableMutationType.SUBTRACT, ten.divide(100.0))
        out.assign(ten.multiply(100.3).multiply(one_minus))

    h = Harness(wf_fn)
    h.run()
    assert h.variables["out"] == 902.7


def test_multiplying_by_an_empty_value_fails_with_var_sub_error() -> None:
    """Mirrors ExpressionTest shouldGetVarSubErrorMultiplyingNull."""
    h = Harness(discount)
    h.run(quantity=5, price=2.5)
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "VAR_SUB_ERROR"
    assert "value_not_set" in failure["message"].lower() or "null" in failure["message"].lower()


def test_dividing_by_zero_fails_with_var_sub_error() -> None:
    """Mirrors ExpressionTest dividingByZeroThrowsVarSubError."""

    def wf_fn(wf: WorkflowThread) -> None:
        n = wf.declare_int("thing-to-divide-by-zero")
        result = wf.declare_int("divide-by-zero-result")
        result.assign(n.divide(0))

    h = Harness(wf_fn)
    h.run(**{"thing-to-divide-by-zero": 1})
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert "divide by zero" in h.failure()["message"].lower()


def test_extend_a_string_and_add_to_an_int_without_changing_the_operand() -> None:
    """Mirrors ExpressionTest shouldExtendString, shouldAddIntAndIgnoreLHSWhenAssigning and
    shouldNotChangeVariableUsedInExpression."""

    def wf_fn(wf: WorkflowThread) -> None:
        my_str = wf.declare_str("my-str")
        int_to_add = wf.declare_int("int-to-add")
        result = wf.declare_int("int-to-add-result")
        my_str.assign(my_str.extend("-suffix"))
        result.assign(wf.execute("expr-add-one", int_to_add.add(1)))

    h = Harness(wf_fn, tasks={"expr-add-one": ("INT",)})
    h.run(**{"my-str": "hello", "int-to-add": 1, "int-to-add-result": 137})
    assert h.task_input() == [2]
    h.succeed(3)
    assert h.status == "COMPLETED"
    assert h.variables == {"my-str": "hello-suffix", "int-to-add": 1, "int-to-add-result": 3}


@pytest.mark.parametrize(
    ("a", "b", "both", "either"),
    [
        (True, False, False, True),
        (False, True, False, True),
        (True, True, True, True),
        (False, False, False, False),
    ],
)
def test_logical_and_or(a: bool, b: bool, both: bool, either: bool) -> None:
    """Mirrors ExpressionTest shouldEvaluateLogicalAnd and shouldEvaluateLogicalOr."""

    def wf_fn(wf: WorkflowThread) -> None:
        bool_a = wf.declare_bool("bool-a", False)
        bool_b = wf.declare_bool("bool-b", True)
        both = LHExpression(bool_a, VariableMutationType.AND, bool_b)
        either = LHExpression(bool_a, VariableMutationType.OR, bool_b)
        wf.declare_bool("and-result").assign(both)
        wf.declare_bool("or-result").assign(either)

    h = Harness(wf_fn)
    h.run(**{"bool-a": a, "bool-b": b})
    assert (h.variables["and-result"], h.variables["or-result"]) == (both, either)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (lambda n: n.add(2**62).add(2**62), -(2**63) + 1),
        (lambda n: n.multiply(2.5), 2.5),
        (lambda n: n.pow(3), 1),
        (lambda n: n.subtract(0.5), 0.5),
    ],
)
def test_int_arithmetic_is_java_long_arithmetic(expression: Any, expected: Any) -> None:
    """VariableValueModel: INT is a Java long (wraps); an INT left side with a DOUBLE right side
    computes in DOUBLE inside an expression."""

    def wf_fn(wf: WorkflowThread) -> None:
        n = wf.declare_int("n", 1)
        out = wf.declare_json_obj("out", {})
        out.with_json_path("$.v").assign(expression(n))

    h = Harness(wf_fn)
    h.run()
    assert h.variables["out"] == {"v": expected}
    assert type(h.variables["out"]["v"]) is type(expected)
