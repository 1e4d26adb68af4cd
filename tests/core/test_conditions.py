"""Edges: tried in order, the first whose condition holds is taken; all eight comparators."""

import pytest
from canter_engine.model.validate import SpecError
from littlehorse.model import Comparator
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

# ConditionalsTest's tables: (comparator, lhs, rhs, holds).
CASES = [
    ("LESS_THAN", 1, 2, True),
    ("LESS_THAN", 2, 2, False),
    ("LESS_THAN", "a", "b", True),
    ("LESS_THAN", 5, 4, False),
    ("GREATER_THAN", 5.4, 4.0, True),
    ("GREATER_THAN", "b", "a", True),
    ("LESS_THAN_EQ", 2, 2, True),
    ("LESS_THAN_EQ", 1.0, 1.0, True),
    ("GREATER_THAN_EQ", 1, 2, False),
    ("GREATER_THAN_EQ", "hi", "hi", True),
    ("EQUALS", 2, 2, True),
    ("EQUALS", 1.0, 2.0, False),
    ("EQUALS", "a", "b", False),
    ("EQUALS", True, True, True),
    ("NOT_EQUALS", "a", "b", True),
    ("NOT_EQUALS", 1.0, 1.0, False),
    ("IN", 2, [1, 2, 3], True),
    ("IN", 0, [0], True),
    ("IN", [0], [0], False),
    ("IN", "k", {"k": 1}, True),
    ("IN", 2, {"hi": 2}, False),
    ("IN", {"a": 1}, {"a": 1}, False),
    ("IN", "o", "one", True),
    ("IN", 1, "one", False),
    ("IN", 2, "2", True),
    ("NOT_IN", 4, [1, 2, 3], True),
    ("NOT_IN", "ell", "hello", False),
    ("NOT_IN", 2, "2", False),
    ("NOT_IN", 2, {"a": 1}, True),
]


def branch(comparator: str, lhs: object, rhs: object):  # type: ignore[no-untyped-def]
    """ConditionalsTest's shape: both sides come from ``$.lhs`` and ``$.rhs`` of a JSON_OBJ
    input, so their types are only known at run time."""

    def wf_fn(wf: WorkflowThread) -> None:
        given = wf.declare_json_obj("input")
        wf.do_if(
            wf.condition(
                given.with_json_path("$.lhs"),
                Comparator.Value(comparator),
                given.with_json_path("$.rhs"),
            ),
            lambda t: t.execute("yes"),
            lambda t: t.execute("no"),
        )

    return wf_fn


def run_branch(comparator: str, lhs: object, rhs: object) -> Harness:
    h = Harness(branch(comparator, lhs, rhs), tasks={"yes": (), "no": ()})
    h.run(input={"lhs": lhs, "rhs": rhs})
    return h


@pytest.mark.parametrize(("comparator", "lhs", "rhs", "holds"), CASES)
def test_each_comparator_chooses_the_branch(
    comparator: str, lhs: object, rhs: object, holds: bool
) -> None:
    """Mirrors LittleHorse's ConditionalsTest (Comparer): IN/NOT_IN turn the left side into a
    string to look it up in a STR or a JSON_OBJ, so ``2 IN "2"`` holds."""
    h = run_branch(comparator, lhs, rhs)
    assert h.in_flight().task_def_name == ("yes" if holds else "no")


@pytest.mark.parametrize(
    ("comparator", "lhs", "rhs"),
    [
        ("EQUALS", 1, 1.0),
        ("EQUALS", 2, "2"),
        ("EQUALS", False, "false"),
        ("EQUALS", {"a": 1}, {"a": 1}),
        ("EQUALS", [0], [0]),
        ("NOT_EQUALS", 1, "one"),
        ("LESS_THAN", "abc", 3),
        ("NOT_IN", 1, 1.0),
    ],
)
def test_values_of_different_types_cannot_be_compared(
    comparator: str, lhs: object, rhs: object
) -> None:
    """Mirrors ConditionalsTest shouldFailEqualsWorkflowWithInvalidInput and
    shouldFailNotInWorkflowWithInvalidArguments: Java's compareTo needs one type (1 != 1.0)."""
    h = run_branch(comparator, lhs, rhs)
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    message = h.failure()["message"]
    assert "Failed comparing the provided values" in message or "CONTAINS" in message


def test_an_empty_value_sorts_before_any_other() -> None:
    """LittleHorse's Comparer: null < anything, so ``x != null`` holds for a set variable."""

    def wf_fn(wf: WorkflowThread) -> None:
        n = wf.declare_int("n")
        wf.do_if(n.is_less_than(0), lambda t: t.execute("yes"), lambda t: t.execute("no"))

    h = Harness(wf_fn, tasks={"yes": (), "no": ()})
    h.run()
    assert h.in_flight().task_def_name == "yes"


def test_the_first_true_edge_wins_even_when_later_ones_hold_too() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        n = wf.declare_int("n")
        wf.do_if(n.is_greater_than(10), lambda t: t.execute("big")).do_else_if(
            n.is_greater_than(0), lambda t: t.execute("positive")
        ).do_else(lambda t: t.execute("other"))

    for n, expected in [(50, "big"), (5, "positive"), (-1, "other")]:
        h = Harness(wf_fn, tasks={"big": (), "positive": (), "other": ()})
        h.run(n=n)
        assert h.in_flight().task_def_name == expected
        h.succeed()
        assert h.status == "COMPLETED"


def nested_if(wf: WorkflowThread) -> None:
    """ConditionalsTest's ``test-nested-if``."""
    value = wf.declare_int("input")

    def outer(t: WorkflowThread) -> None:
        t.do_if(value.is_less_than(10), lambda inner: inner.execute("echo", 1))
        t.execute("echo", 2)

    wf.do_if(value.is_less_than(15), outer)
    wf.execute("echo", 3)


@pytest.mark.parametrize(("given", "echoed"), [(16, [3]), (11, [2, 3]), (1, [1, 2, 3])])
def test_nested_ifs_skip_whole_blocks(given: int, echoed: list[int]) -> None:
    """Mirrors ConditionalsTest testThatWholeIfBlockIsSkipped, testThatInnerIfBlockIsSkipped
    and testThatBothIfBlocksFire."""
    h = Harness(nested_if, tasks={"echo": ("INT",)})
    h.run(input=given)
    seen = []
    while h.status == "RUNNING":
        seen.append(h.task_input()[0])
        h.succeed(seen[-1])
    assert h.status == "COMPLETED"
    assert seen == echoed


@pytest.mark.parametrize(
    ("lhs", "comparator", "rhs", "message"),
    [
        ("o", "IN", "one", "You cannot compare RHS type STR using Comparator IN"),
        (1, "NOT_IN", 1.0, "You cannot compare RHS type DOUBLE using Comparator NOT_IN"),
        (2, "IN", {"a": 1}, "You cannot use LHS type INT with Comparator IN"),
        ([0], "EQUALS", 1, "You can only compare LHS type JSON_ARR with its own type"),
        (1, "LESS_THAN", {"a": 1}, "You cannot compare RHS type JSON_OBJ using Comparator"),
    ],
)
def test_comparisons_of_known_types_that_cannot_work_are_refused_at_put_wf_spec(
    lhs: object, comparator: str, rhs: object, message: str
) -> None:
    """LittleHorse's ExpressionModel/LegacyEdgeConditionModel.validate
    (checkTypeComparisonIncompatibility): decided when both types are known."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.do_if(wf.condition(lhs, Comparator.Value(comparator), rhs), lambda t: t.execute("yes"))

    with pytest.raises(SpecError) as caught:
        Harness(wf_fn, tasks={"yes": ()})
    assert message in str(caught.value)
