"""Edges: tried in order, the first whose condition holds is taken; all eight comparators."""

import pytest
from littlehorse.model import Comparator
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

CASES = [
    ("LESS_THAN", 1, 2, True),
    ("LESS_THAN", 2, 2, False),
    ("GREATER_THAN", 3, 2.5, True),
    ("LESS_THAN_EQ", 2, 2, True),
    ("GREATER_THAN_EQ", 1, 2, False),
    ("EQUALS", 2, 2.0, True),
    ("EQUALS", "a", "b", False),
    ("NOT_EQUALS", "a", "b", True),
    ("IN", 2, [1, 2, 3], True),
    ("IN", "k", {"k": 1}, True),
    ("NOT_IN", 4, [1, 2, 3], True),
    ("NOT_IN", "ell", "hello", False),
]


def branch(comparator: str, lhs: object, rhs: object):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        wf.do_if(
            wf.condition(lhs, Comparator.Value(comparator), rhs),
            lambda t: t.execute("yes"),
            lambda t: t.execute("no"),
        )

    return wf_fn


@pytest.mark.parametrize(("comparator", "lhs", "rhs", "holds"), CASES)
def test_each_comparator_chooses_the_branch(
    comparator: str, lhs: object, rhs: object, holds: bool
) -> None:
    h = Harness(branch(comparator, lhs, rhs), tasks={"yes": (), "no": ()})
    h.run()
    assert h.in_flight().task_def_name == ("yes" if holds else "no")


def test_comparing_values_that_cannot_be_ordered_fails_with_var_sub_error() -> None:
    h = Harness(branch("LESS_THAN", "abc", 3), tasks={"yes": (), "no": ()})
    h.run()
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert "cannot compare STR with INT using LESS_THAN" in h.failure()["message"]


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
