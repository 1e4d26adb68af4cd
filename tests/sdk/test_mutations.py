"""Mutations: queued on the edge leaving the last node, checked against the variable's type."""

from __future__ import annotations

import pytest
from canter import VariableMutationType, WorkflowThread

from .helpers import compile_wf, entrypoint_spec, raises_at


def test_mutations_ride_on_the_next_edge_in_order() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n", 0)
        doc = t.declare_json_obj("doc")
        out = t.execute("produce")
        n.assign(out.with_json_path("$.n"))
        t.mutate(n, "ADD", 1)
        t.mutate(doc.with_json_path("$.status"), VariableMutationType.ASSIGN, "ok")
        t.mutate(doc, "REMOVE_KEY", "old")
        t.execute("consume", n)

    edge = entrypoint_spec(wf)["nodes"]["1-produce-TASK"]["outgoingEdges"][0]
    assert edge == {
        "sinkNodeName": "2-consume-TASK",
        "variableMutations": [
            {
                "lhsName": "n",
                "rhsAssignment": {"nodeOutput": {"nodeName": "1-produce-TASK"}, "jsonPath": "$.n"},
            },
            {"lhsName": "n", "operation": "ADD", "rhsAssignment": {"literalValue": {"int": "1"}}},
            {
                "lhsName": "doc",
                "lhsJsonPath": "$.status",
                "rhsAssignment": {"literalValue": {"str": "ok"}},
            },
            {
                "lhsName": "doc",
                "operation": "REMOVE_KEY",
                "rhsAssignment": {"literalValue": {"str": "old"}},
            },
        ],
    }


def test_mutation_at_the_end_lands_on_the_edge_to_exit() -> None:
    def wf(t: WorkflowThread) -> None:
        flag = t.declare_bool("flag")
        flag.assign(True)

    edges = entrypoint_spec(wf)["nodes"]["0-entrypoint-ENTRYPOINT"]["outgoingEdges"]
    assert edges == [
        {
            "sinkNodeName": "1-exit-EXIT",
            "variableMutations": [
                {"lhsName": "flag", "rhsAssignment": {"literalValue": {"bool": True}}}
            ],
        }
    ]


@pytest.mark.parametrize(
    ("declare", "operation", "rhs", "message"),
    [
        ("declare_bool", "ADD", True, "cannot ADD on BOOL variable 'v'"),
        ("declare_str", "SUBTRACT", 1, "cannot SUBTRACT on STR variable 'v'"),
        ("declare_json_obj", "REMOVE_INDEX", 0, "cannot REMOVE_INDEX on JSON_OBJ variable 'v'"),
        ("declare_json_arr", "REMOVE_KEY", "k", "cannot REMOVE_KEY on JSON_ARR variable 'v'"),
        ("declare_int", "EXTEND", 1, "cannot EXTEND on INT variable 'v'"),
        ("declare_int", "ASSIGN", "seven", "cannot assign STR literal 'seven' to INT variable"),
        ("declare_double", "DIVIDE", "2", "DIVIDE needs a DOUBLE or INT right-hand side"),
        ("declare_json_arr", "REMOVE_INDEX", "0", "REMOVE_INDEX needs a INT right-hand side"),
        ("declare_str", "POW", 2, "cannot POW on STR variable 'v'"),
        ("declare_double", "POW", "2", "POW needs a DOUBLE or INT right-hand side"),
        ("declare_int", "SQUARE", 1, "'SQUARE' is not a variable mutation: use one of ASSIGN"),
    ],
)
def test_mutation_that_cannot_apply_is_refused(
    declare: str, operation: str, rhs: object, message: str
) -> None:
    def wf(t: WorkflowThread) -> None:
        var = getattr(t, declare)("v")
        t.mutate(var, operation, rhs)  # bad-mutation

    with raises_at("bad-mutation", message):
        compile_wf(wf)


def test_only_variables_can_be_mutated() -> None:
    def wf(t: WorkflowThread) -> None:
        out = t.execute("x")
        t.mutate(out, "ASSIGN", 1)  # mutate-output

    with raises_at("mutate-output", "only a variable can be mutated, not output of node"):
        compile_wf(wf)


def test_no_mutation_after_the_thread_ended() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.complete()
        n.assign(1)  # after-exit

    with raises_at("after-exit", "cannot mutate a variable after the thread has ended"):
        compile_wf(wf)


def test_assign_outside_the_workflow_definition_is_refused() -> None:
    handles = []

    def wf(t: WorkflowThread) -> None:
        handles.append(t.declare_int("n"))

    compile_wf(wf)
    with raises_at("too-late", "variables can only be changed inside its thread functions"):
        handles[0].assign(1)  # too-late
