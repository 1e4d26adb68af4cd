"""User tasks in the builder: the USER_TASK node, its actions, and the mistakes caught early.

The whole node is compared with littlehorse-client 1.3.0 in
``test_golden.py``; here each method's JSON on its own, and what the
builder refuses, at the author's line.
"""

from __future__ import annotations

from typing import Any

import canter
from canter import WorkflowThread
from google.protobuf.json_format import MessageToDict
from littlehorse.workflow import Workflow as LHWorkflow

from tests.sdk.helpers import entrypoint_spec, nodes_of_kind, raises_at


def user_task_node(entrypoint: Any) -> dict[str, Any]:
    (node,) = nodes_of_kind(entrypoint_spec(entrypoint), "userTask")
    body: dict[str, Any] = node["userTask"]
    return body


def test_assign_to_a_group_names_the_node_after_the_user_task_def() -> None:
    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_group="finance")

    spec = entrypoint_spec(wf)
    assert "1-approve-USER_TASK" in spec["nodes"]
    assert spec["nodes"]["1-approve-USER_TASK"]["userTask"] == {
        "userTaskDefName": "approve",
        "userGroup": {"literalValue": {"str": "finance"}},
    }


def test_the_output_is_the_results_object() -> None:
    def wf(t: WorkflowThread) -> None:
        decision = t.assign_user_task("approve", user_id="anna")
        t.declare_bool("approved").assign(decision.with_json_path("$.approved"))
        t.execute("file", decision)

    (task,) = nodes_of_kind(entrypoint_spec(wf), "task")
    assert task["task"]["variables"] == [{"nodeOutput": {"nodeName": "1-approve-USER_TASK"}}]


def test_reminder_on_assignment_passes_its_arguments_as_given() -> None:
    """LittleHorse 1.3.0 wraps the arguments in one JSON_OBJ (and refuses a variable among
    them); everything else is identical."""

    def ours(t: Any) -> None:
        review = t.assign_user_task("approve", user_id="anna")
        t.schedule_reminder_task_on_assignment(review, 30, "nudge", "anna")

    (action,) = user_task_node(ours)["actions"]
    assert action == {
        "task": {
            "task": {
                "taskDefId": {"name": "nudge"},
                "variables": [{"literalValue": {"str": "anna"}}],
            }
        },
        "delaySeconds": {"literalValue": {"int": "30"}},
        "hook": "ON_TASK_ASSIGNED",
    }
    theirs = MessageToDict(LHWorkflow("wf", ours).compile())
    (lh_node,) = nodes_of_kind(theirs["threadSpecs"]["entrypoint"], "userTask")
    (lh_action,) = lh_node["userTask"]["actions"]
    assert lh_action["task"]["task"]["variables"] == [{"literalValue": {"jsonObj": '["anna"]'}}]
    assert {k: v for k, v in lh_action.items() if k != "task"} == {
        k: v for k, v in action.items() if k != "task"
    }


def test_a_registered_reminder_task_has_its_arguments_checked() -> None:
    @canter.task
    def nudge(user: str, times: int) -> None:
        del user, times

    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        t.schedule_reminder_task(review, 30, nudge, "finance", "twice")  # nudge-args

    with raises_at("nudge-args", "argument 'times' of task 'nudge' must be INT"):
        canter.Workflow("wf", wf).compile()


def test_an_assignment_needs_a_user_or_a_group() -> None:
    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve")  # nobody

    with raises_at("nobody", "needs a user_id, a user_group or both"):
        canter.Workflow("wf", wf).compile()


def test_an_empty_or_non_str_assignee_is_refused() -> None:
    def empty(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_id="  ")  # empty-user

    def number(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_group=t.declare_int("group"))  # int-group

    with raises_at("empty-user", "user_id of a user task cannot be empty"):
        canter.Workflow("wf", empty).compile()
    with raises_at("int-group", "user_group must be a STR, not INT variable 'group'"):
        canter.Workflow("wf", number).compile()


def test_actions_must_follow_their_user_task_node() -> None:
    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        t.execute("other")
        t.cancel_user_task_run_after(review, 60)  # stale

    with raises_at("stale", "configure a user task right after assign_user_task"):
        canter.Workflow("wf", wf).compile()


def test_a_deadline_is_a_positive_int() -> None:
    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        t.reassign_user_task_on_deadline(review, 0, user_id="boss")  # zero

    with raises_at("zero", "deadline_seconds must be a positive number of seconds, not 0"):
        canter.Workflow("wf", wf).compile()


def test_release_to_group_needs_a_user_and_a_group() -> None:
    """As in the LittleHorse SDK: releasing gives the task from its user back to its group."""

    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        t.release_to_group_on_deadline(review, 60)  # no-user

    with raises_at("no-user", "assigned to both a user_id and a user_group"):
        canter.Workflow("wf", wf).compile()


def test_the_cancellation_exception_is_a_business_name() -> None:
    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        review.with_on_cancellation_exception("TIMEOUT")  # system-name

    with raises_at("system-name", "'TIMEOUT' is a system ERROR name"):
        canter.Workflow("wf", wf).compile()


def test_notes_set_after_actions_keep_the_actions() -> None:
    """The LittleHorse SDK rebuilds the node in ``with_notes`` and drops earlier actions."""

    def wf(t: WorkflowThread) -> None:
        review = t.assign_user_task("approve", user_group="finance")
        t.cancel_user_task_run_after(review, 60)
        review.with_notes("please look")

    node = user_task_node(wf)
    assert node["notes"] == {"literalValue": {"str": "please look"}}
    assert node["actions"] == [{"cancel": {}, "delaySeconds": {"literalValue": {"int": "60"}}}]
