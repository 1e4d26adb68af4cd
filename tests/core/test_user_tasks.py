"""USER_TASK: a UserTaskRun for a person; the node waits until it is completed or cancelled.

Workflows are compiled by the official LittleHorse SDK (``assign_user_task``
and its action methods). Mirrors LittleHorse's e2e UserTaskTest where named.
"""

from __future__ import annotations

from typing import Any

from canter_engine.core.events import UserTaskRequested
from canter_engine.core.records import Record
from canter_engine.core.user_tasks import ACTION_TIMER
from google.protobuf.json_format import ParseDict
from littlehorse.model import NodeRun, UserTaskRun
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

GUID = "0-1"


def approval(wf: WorkflowThread) -> None:
    decision = wf.declare_json_obj("decision")
    item = wf.declare_str("item", "a laptop")
    form = wf.assign_user_task("approve", user_id="alice", user_group="finance")
    form.with_notes(wf.format("please approve {0}", item))
    decision.assign(form)
    wf.execute("ship", decision.with_json_path("$.ok"))


def ask(h: Harness, op: str, guid: str = GUID, **request: Any) -> bool:
    return h.apply(UserTaskRequested(op, guid, request, h.tick())).applied


def utr(h: Harness, guid: str = GUID) -> dict[str, Any]:
    found = h.records[f"usertask#{guid}"]
    ParseDict(found, UserTaskRun())
    return found


def test_arrival_creates_an_assigned_user_task_run_and_the_node_waits() -> None:
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    run = utr(h)
    assert run["status"] == "ASSIGNED"
    assert (run["userId"], run["userGroup"]) == ("alice", "finance")
    assert run["notes"] == "please approve a laptop"
    assert run["userTaskDefId"] == {"name": "approve"}
    assert run["nodeRunId"] == {"wfRunId": {"id": "wf-1"}, "position": 1}
    assert list(run["events"][0]) == ["time", "assigned"]
    assert run["events"][0]["assigned"] == {"newUserId": "alice", "newUserGroup": "finance"}
    (node_run,) = [n for n in h.node_runs() if n["nodeName"] == "1-approve-USER_TASK"]
    ParseDict(node_run, NodeRun())
    assert node_run["status"] == "RUNNING"
    assert node_run["userTask"]["userTaskRunId"]["userTaskGuid"] == GUID
    assert h.status == "RUNNING"


def test_completing_gives_the_node_the_results_as_its_output() -> None:
    """UserTaskTest.shouldCompleteUserTaskRunWithProperOutput."""
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert ask(h, "CompleteUserTaskRun", userId="alice", results={"ok": {"bool": True}})
    run = utr(h)
    assert run["status"] == "DONE"
    assert run["results"] == {"ok": {"bool": True}}
    assert "completed" in run["events"][-1]
    assert h.variables["decision"] == {"ok": True}
    assert h.task_input() == [True]
    h.succeed()
    assert h.status == "COMPLETED"


def test_completing_twice_or_after_cancel_changes_nothing() -> None:
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert ask(h, "CompleteUserTaskRun", results={"ok": {"bool": True}})
    assert not ask(h, "CompleteUserTaskRun", results={"ok": {"bool": False}})
    assert not ask(h, "CancelUserTaskRun")
    assert h.variables["decision"] == {"ok": True}


def test_completing_as_another_user_reassigns_without_actions() -> None:
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert ask(h, "CompleteUserTaskRun", userId="bob", results={"ok": {"bool": False}})
    run = utr(h)
    assert run["userId"] == "bob"
    assert run["events"][-2]["assigned"]["oldUserId"] == "alice"


def test_cancel_without_an_exception_name_fails_the_node_with_an_error() -> None:
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert ask(h, "CancelUserTaskRun")
    assert utr(h)["status"] == "CANCELLED"
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "USER_TASK_CANCELLED"
    assert failure["message"] == "User task cancelled"


def test_cancel_with_an_exception_name_is_a_business_exception_a_handler_catches() -> None:
    """UserTaskTest.shouldExecuteBusinessExceptionHandlerWhenUserTaskGetsCancel."""

    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_group="finance")
        form.with_on_cancellation_exception("no-response")
        t.handle_exception(form, lambda h: h.execute("cancelled"), "no-response")

    h = Harness(wf, tasks={"cancelled": ()})
    h.run()
    assert "status" not in utr(h)  # UNASSIGNED is the enum's default
    assert ask(h, "CancelUserTaskRun")
    assert h.failure()["failureName"] == "no-response"
    h.succeed()
    assert h.status == "COMPLETED"


def test_assignment_claims_and_override_claim_reassigns() -> None:
    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_group="finance")

    h = Harness(wf)
    h.run()
    assert ask(h, "AssignUserTaskRun", userId="carol")
    assert utr(h)["status"] == "ASSIGNED"
    assert not ask(h, "AssignUserTaskRun", userId="dave")
    assert ask(h, "AssignUserTaskRun", userId="dave", userGroup="ops", overrideClaim=True)
    run = utr(h)
    assert (run["userId"], run["userGroup"], run["epoch"]) == ("dave", "ops", 3)


def test_progress_is_saved_with_its_assignment_policy() -> None:
    """UserTaskTest.shouldSaveUserTaskRun and ...FailIfClaimedByOther / ...IgnoreClaim."""
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert not ask(h, "SaveUserTaskRunProgress", userId="bob", results={"ok": {"bool": True}})
    assert ask(
        h,
        "SaveUserTaskRunProgress",
        userId="bob",
        results={"ok": {"bool": True}},
        policy="IGNORE_CLAIM",
    )
    run = utr(h)
    assert run["userId"] == "alice"
    assert run["events"][-1]["saved"] == {"userId": "bob", "results": {"ok": {"bool": True}}}
    assert run["results"] == {"ok": {"bool": True}}
    assert h.status == "RUNNING"


def test_comments_are_added_edited_and_deleted_as_events() -> None:
    """UserTaskTest comment tests: ids count from 1; a deleted comment cannot change."""
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert ask(h, "PutUserTaskRunComment", userId="alice", comment="looks fine")
    assert ask(h, "PutUserTaskRunComment", userId="bob", comment="agreed")
    assert ask(h, "EditUserTaskRunComment", userId="alice", comment="ok", userCommentId=1)
    assert ask(h, "DeleteUserTaskRunComment", userId="bob", userCommentId=2)
    assert not ask(h, "EditUserTaskRunComment", userId="bob", comment="x", userCommentId=2)
    assert not ask(h, "DeleteUserTaskRunComment", userId="bob", userCommentId=7)
    events = utr(h)["events"][1:]
    assert [next(k for k in e if k != "time") for e in events] == [
        "commentAdded",
        "commentAdded",
        "commentEdited",
        "commentDeleted",
    ]
    assert events[1]["commentAdded"] == {"userCommentId": 2, "userId": "bob", "comment": "agreed"}


def test_an_assignment_that_names_nobody_fails_with_var_error() -> None:
    """UserTaskTest.shouldValidateUserIdOrUserGroup (a null variable)."""

    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_id=t.declare_str("who"))

    h = Harness(wf)
    h.run()
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_ERROR"


def test_a_request_for_a_run_that_is_not_there_changes_nothing() -> None:
    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    assert not ask(h, "CancelUserTaskRun", guid="0-7")
    assert not ask(h, "CancelUserTaskRun", guid="nope")


def test_state_round_trips_through_its_item() -> None:
    from canter_engine.core.state import WfRunState

    h = Harness(approval, tasks={"ship": ("BOOL",)})
    h.run()
    ask(h, "PutUserTaskRunComment", userId="alice", comment="hi")
    assert h.state is not None
    again = WfRunState.from_item(h.state.to_item())
    assert again.to_item() == h.state.to_item()
    assert Record.of(again, again.threads[0].current.user_task).to_json() == utr(h)  # type: ignore[union-attr, arg-type]


# --- actions -------------------------------------------------------------------


def test_reassign_on_deadline_moves_the_task_unless_reassigned_since() -> None:
    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_id="alice")
        t.reassign_user_task_on_deadline(form, 60, user_id="bob")

    h = Harness(wf)
    h.run()
    h.fire(ACTION_TIMER)
    assert utr(h)["userId"] == "bob"

    h = Harness(wf)
    h.run()
    assert ask(h, "AssignUserTaskRun", userId="carol", overrideClaim=True)
    assert h.fire(ACTION_TIMER).applied  # the timer is used up ...
    assert utr(h)["userId"] == "carol"  # ... and changes no assignment made since


def test_release_to_group_on_deadline_unassigns_the_user() -> None:
    """UserTaskTest.shouldTransferOwnershipFromUserToGroupOnDeadline."""

    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_id="alice", user_group="finance")
        t.release_to_group_on_deadline(form, 60)

    h = Harness(wf)
    h.run()
    h.fire(ACTION_TIMER)
    run = utr(h)
    assert "userId" not in run and "status" not in run and run["userGroup"] == "finance"


def test_cancel_after_a_delay_and_a_completed_run_is_left_alone() -> None:
    """UserTaskTest.shouldExecuteBusinessExceptionHandlerWhenUserTaskGetsCancelOnDeadline."""

    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_group="finance")
        t.cancel_user_task_run_after(form, 60)

    h = Harness(wf)
    h.run()
    h.fire(ACTION_TIMER)
    assert h.status == "ERROR"
    assert utr(h)["status"] == "CANCELLED"

    h = Harness(wf)
    h.run()
    assert ask(h, "CompleteUserTaskRun", results={"ok": {"bool": True}})
    assert not h.fire(ACTION_TIMER).applied
    assert h.status == "COMPLETED"


def test_cancel_after_assignment_waits_for_someone_to_take_it() -> None:
    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_group="finance")
        t.cancel_user_task_run_after_assignment(form, 30)

    h = Harness(wf)
    h.run()
    assert h.timers == []
    ask(h, "AssignUserTaskRun", userId="erin")
    (timer,) = h.timers
    assert timer.due == h.now + 30_000
    h.fire(ACTION_TIMER)
    assert h.status == "ERROR"


def test_a_reminder_task_runs_and_the_node_keeps_waiting() -> None:
    """UserTaskTest.shouldScheduleAndExecuteReminderTask."""

    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_id="alice")
        t.schedule_reminder_task(form, 10, "remind", "alice")

    h = Harness(wf, tasks={"remind": ("STR",)})
    h.run()
    assert h.sent == []
    h.fire(ACTION_TIMER)
    (sent,) = h.sent
    assert sent.task_def_name == "remind"
    assert sent.scheduled_task["variables"][0]["value"] == {"str": "alice"}
    event = utr(h)["events"][-1]
    assert event["taskExecuted"]["taskRun"]["taskGuid"] == sent.task_guid
    assert h.records[f"task#{sent.task_guid}"]["taskDefId"] == {"name": "remind"}
    assert h.status == "RUNNING"
    assert ask(h, "CompleteUserTaskRun", results={})
    assert h.status == "COMPLETED"


def test_a_run_keeps_a_bounded_number_of_events_but_can_always_complete() -> None:
    from canter_engine.core.user_task_state import UserTaskRun as Run
    from canter_engine.core.user_tasks import MAX_EVENTS, refusal

    run = Run(0, 1, "approve", 0, "ASSIGNED", 0, user_id="alice")
    run.events = [{"commentAdded": {}}] * MAX_EVENTS
    comment = {"userId": "alice", "comment": "one more"}
    refused = refusal(run, "PutUserTaskRunComment", comment)
    assert refused is not None and refused[0] == "RESOURCE_EXHAUSTED"
    assert refusal(run, "CompleteUserTaskRun", {"results": {}}) is None
