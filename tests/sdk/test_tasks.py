"""``execute()``: TASK nodes, their options, and the checks a known TaskDef allows."""

from __future__ import annotations

from typing import Any

import canter
import pytest
from canter import ExponentialBackoff, WorkflowThread, create_task_def

from .helpers import compile_wf, entrypoint_spec, nodes_of_kind, raises_at


@canter.task(name="charge")
def charge(customer: str, amount: float, attempt: int) -> dict[str, Any]:
    return {}


def undecorated(x: int) -> int:
    return x


def test_task_node_with_arguments_and_options() -> None:
    def wf(t: WorkflowThread) -> None:
        who = t.declare_str("who")
        t.execute(
            "send",
            who,
            3,
            retries=2,
            timeout_seconds=15,
            exponential_backoff=ExponentialBackoff(100, 5000, 1.5),
        )

    spec = entrypoint_spec(wf)
    assert spec["nodes"]["1-send-TASK"]["task"] == {
        "taskDefId": {"name": "send"},
        "variables": [{"variableName": "who"}, {"literalValue": {"int": "3"}}],
        "retries": 2,
        "timeoutSeconds": 15,
        "exponentialBackoff": {"baseIntervalMs": 100, "maxDelayMs": "5000", "multiplier": 1.5},
    }
    assert spec["nodes"]["0-entrypoint-ENTRYPOINT"]["outgoingEdges"] == [
        {"sinkNodeName": "1-send-TASK"}
    ]
    assert spec["nodes"]["1-send-TASK"]["outgoingEdges"] == [{"sinkNodeName": "2-exit-EXIT"}]


def test_registered_function_and_task_def_request_name_the_task_def() -> None:
    def wf(t: WorkflowThread) -> None:
        amount = t.declare_int("amount")
        t.execute(charge, "ann", amount, 1)
        t.execute(create_task_def(undecorated, name="double-it"), 2)

    tasks = nodes_of_kind(entrypoint_spec(wf), "task")
    assert [task["task"]["taskDefId"] for task in tasks] == [
        {"name": "charge"},
        {"name": "double-it"},
    ]


def test_task_chosen_at_run_time() -> None:
    def wf(t: WorkflowThread) -> None:
        channel = t.declare_str("channel")
        t.execute(t.format("notify-{0}", channel))
        t.execute(channel)

    tasks = nodes_of_kind(entrypoint_spec(wf), "task")
    assert tasks[0]["task"]["dynamicTask"]["formatString"]["args"] == [{"variableName": "channel"}]
    assert tasks[1]["task"] == {"dynamicTask": {"variableName": "channel"}}


def test_workflow_defaults_apply_unless_overridden() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute("a")
        t.execute("b", retries=0, timeout_seconds=7)

    compiled = canter.Workflow(
        "wf",
        wf,
        task_retries=5,
        task_timeout_seconds=60,
        task_exponential_backoff=ExponentialBackoff(multiplier=3.0),
    ).compile()
    a, b = nodes_of_kind(compiled["threadSpecs"]["entrypoint"], "task")
    assert a["task"]["retries"] == 5
    assert a["task"]["timeoutSeconds"] == 60
    assert a["task"]["exponentialBackoff"] == {"multiplier": 3.0}
    assert "retries" not in b["task"]
    assert b["task"]["timeoutSeconds"] == 7


def test_output_carries_the_return_type_of_a_known_task() -> None:
    def wf(t: WorkflowThread) -> None:
        count = t.declare_int("count")
        receipt = t.execute(charge, "ann", 1.0, 1)
        count.assign(receipt.with_json_path("$.count"))
        count.assign(receipt)  # typed-output

    with raises_at("typed-output", "cannot assign JSON_OBJ output of node '1-charge-TASK'"):
        compile_wf(wf)


def test_wrong_argument_count_names_the_signature() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute(charge, "ann", 10.0)  # too-few

    with raises_at(
        "too-few",
        r"task 'charge' takes 3 argument\(s\) \(customer: STR, amount: DOUBLE, attempt: INT\) "
        "but 2 were given",
    ):
        compile_wf(wf)


def test_literal_of_the_wrong_type_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute(charge, "ann", "ten", 1)  # str-for-double

    with raises_at(
        "str-for-double", "argument 'amount' of task 'charge' must be DOUBLE, not STR literal 'ten'"
    ):
        compile_wf(wf)


def test_typed_variable_must_match_but_int_widens_to_double() -> None:
    def wf(t: WorkflowThread) -> None:
        whole = t.declare_int("whole")
        doc = t.declare_json_obj("doc")
        t.execute(charge, doc.with_json_path("$.name"), whole, whole)
        t.execute(charge, "ann", 1.0, doc)  # obj-for-int

    with raises_at("obj-for-int", "must be INT, not JSON_OBJ variable 'doc'"):
        compile_wf(wf)


def test_unregistered_function_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute(undecorated, 1)  # unregistered

    with raises_at("unregistered", "'undecorated' is not a registered TaskDef"):
        compile_wf(wf)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retries": -1}, "retries must be a non-negative int"),
        ({"timeout_seconds": 1.5}, "timeout_seconds must be a non-negative int"),
    ],
)
def test_bad_task_options_are_refused(options: dict[str, Any], message: str) -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute("x", **options)  # bad-option

    with raises_at("bad-option", message):
        compile_wf(wf)


def test_a_task_must_be_something_that_names_a_task() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute(42)  # not-a-task

    with raises_at("not-a-task", "execute\\(\\) needs a TaskDef name"):
        compile_wf(wf)


def test_malformed_task_def_request_is_refused() -> None:
    request = {"name": "odd", "inputVars": [{"name": "x", "typeDef": {"primitiveType": "FLOAT"}}]}

    def wf(t: WorkflowThread) -> None:
        t.execute(request, 1.0)  # malformed

    with raises_at("malformed", "'FLOAT' is not a type: use one of JSON_OBJ"):
        compile_wf(wf)
