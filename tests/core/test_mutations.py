"""All nine mutations, applied on the edge after a node completes."""

from typing import Any

import pytest
from littlehorse.model import VariableMutationType
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def mutation(var_type: str, initial: Any, op: str, rhs: Any):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        declare = getattr(wf, f"declare_{var_type}")
        var = declare("v", initial)
        wf.mutate(var, VariableMutationType.Value(op), rhs)

    return wf_fn


CASES = [
    ("int", 5, "ASSIGN", 7, 7),
    ("int", 5, "ADD", 3, 8),
    ("double", 1.5, "ADD", 1, 2.5),
    ("str", "ab", "ADD", "cd", "abcd"),
    ("json_arr", [1], "ADD", 2, [1, 2]),
    ("int", 5, "SUBTRACT", 7, -2),
    ("int", 6, "MULTIPLY", 7, 42),
    ("int", 7, "DIVIDE", 2, 3),
    ("double", 7.0, "DIVIDE", 2, 3.5),
    ("json_arr", [1, 2], "EXTEND", [3, 4], [1, 2, 3, 4]),
    ("str", "ab", "EXTEND", "c", "abc"),
    ("json_arr", [1, 2, 1], "REMOVE_IF_PRESENT", 1, [2, 1]),
    ("json_obj", {"a": 1, "b": 2}, "REMOVE_IF_PRESENT", "a", {"b": 2}),
    ("json_arr", ["x", "y", "z"], "REMOVE_INDEX", 1, ["x", "z"]),
    ("json_obj", {"a": 1, "b": 2}, "REMOVE_KEY", "b", {"a": 1}),
]


@pytest.mark.parametrize(("var_type", "initial", "op", "rhs", "expected"), CASES)
def test_mutation(var_type: str, initial: Any, op: str, rhs: Any, expected: Any) -> None:
    h = Harness(mutation(var_type, initial, op, rhs))
    h.run()
    assert h.status == "COMPLETED"
    assert h.variables["v"] == expected
    assert type(h.variables["v"]) is type(expected)


@pytest.mark.parametrize(
    ("var_type", "initial", "op", "rhs", "message"),
    [
        ("int", 5, "ADD", "five", "ADD needs a number on the right, got STR"),
        ("int", 5, "DIVIDE", 0, "DIVIDE by zero"),
        ("json_arr", [1], "REMOVE_INDEX", 3, "out of range"),
        ("bool", True, "ADD", 1, "cannot ADD INT to/from BOOL"),
    ],
)
def test_a_bad_mutation_fails_the_node(
    var_type: str, initial: Any, op: str, rhs: Any, message: str
) -> None:
    h = Harness(mutation(var_type, initial, op, rhs))
    h.run()
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_MUTATION_ERROR"
    assert message in h.failure()["message"]
    assert h.variables["v"] == initial


def test_a_mutation_can_write_inside_a_json_variable_and_read_a_node_output() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        order = wf.declare_json_obj("order", {"items": [], "total": 0})
        out = wf.execute("price")
        order.with_json_path("$.total").assign(out.with_json_path("$.amount"))

    h = Harness(wf_fn, tasks={"price": ()})
    h.run()
    h.succeed({"amount": 42})
    assert h.variables["order"] == {"items": [], "total": 42}
