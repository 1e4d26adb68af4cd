"""Casts: ``cast_to_*`` converts a value when the workflow runs (``targetType``)."""

from __future__ import annotations

import canter
import pytest
from canter import WorkflowThread

from .helpers import compile_wf, entrypoint_spec, raises_at


def test_a_cast_is_the_value_with_a_target_type() -> None:
    def wf(t: WorkflowThread) -> None:
        text = t.declare_str("text")
        count = t.declare_int("count")
        count.assign(text.cast_to_int())
        t.execute("x", count.add(1).cast_to_str(), text.cast_to_int().cast_to_double())

    spec = entrypoint_spec(wf)
    assert spec["nodes"]["0-entrypoint-ENTRYPOINT"]["outgoingEdges"][0]["variableMutations"] == [
        {
            "lhsName": "count",
            "rhsAssignment": {"variableName": "text", "targetType": {"primitiveType": "INT"}},
        }
    ]
    assert spec["nodes"]["1-x-TASK"]["task"]["variables"] == [
        {
            "expression": {
                "lhs": {"variableName": "count"},
                "mutationType": "ADD",
                "rhs": {"literalValue": {"int": "1"}},
            },
            "targetType": {"primitiveType": "STR"},
        },
        {"variableName": "text", "targetType": {"primitiveType": "DOUBLE"}},
    ]


def test_a_cast_gives_its_value_the_target_type() -> None:
    def without_cast(t: WorkflowThread) -> None:
        t.declare_int("count").assign(t.declare_str("text"))  # no-cast

    def with_cast(t: WorkflowThread) -> None:
        t.declare_int("count").assign(t.declare_str("text").cast_to_int())

    with raises_at(
        "no-cast",
        "cannot assign STR variable 'text' to INT variable 'count' without an explicit cast: "
        r"use value\.cast_to_int\(\)",
    ):
        compile_wf(without_cast)
    compile_wf(with_cast)


@pytest.mark.parametrize(
    ("declare", "target", "message"),
    [
        ("declare_double", "BOOL", "Cannot cast from DOUBLE to BOOL"),
        ("declare_int", "BOOL", "Cannot cast from INT to BOOL"),
        ("declare_json_obj", "STR", "Cannot cast from JSON_OBJ to STR"),
        ("declare_bool", "INT", "Cannot cast from BOOL to INT"),
        ("declare_str", "TIMESTAMP", "Cannot cast from STR to TIMESTAMP"),
        ("declare_str", "NUMBER", "'NUMBER' is not a variable type"),
    ],
)
def test_a_cast_that_cannot_work_is_refused_where_it_is_written(
    declare: str, target: str, message: str
) -> None:
    """LittleHorse refuses these at PutWfSpec (TypeCastingTest); Canter already here."""

    def wf(t: WorkflowThread) -> None:
        getattr(t, declare)("v").cast_to(target)  # bad-cast

    with raises_at("bad-cast", message):
        compile_wf(wf)


def test_a_value_of_unknown_type_can_be_cast_to_anything() -> None:
    def wf(t: WorkflowThread) -> None:
        out = t.execute("x")
        t.execute("y", out.cast_to_bool(), out.with_json_path("$.n").cast_to_int())

    arguments = entrypoint_spec(wf)["nodes"]["2-y-TASK"]["task"]["variables"]
    assert [argument["targetType"] for argument in arguments] == [
        {"primitiveType": "BOOL"},
        {"primitiveType": "INT"},
    ]


@canter.task(name="double-it")
def double_it(n: int) -> int:
    return 2 * n


def test_a_task_argument_of_the_wrong_type_is_pointed_at_a_cast() -> None:
    def wf(t: WorkflowThread) -> None:
        text = t.declare_str("text")
        t.execute(double_it, text)  # task-arg

    with raises_at("task-arg", r"must be INT, not STR variable 'text' without an explicit cast"):
        compile_wf(wf)
