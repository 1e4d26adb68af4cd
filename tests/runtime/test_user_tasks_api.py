"""User tasks through the local stack's HTTP API, with workflows compiled by the
official LittleHorse SDK (``littlehorse.workflow``: ``assign_user_task`` and its
action methods). Every answer is parsed strictly into LittleHorse's message class.
Mirrors LittleHorse's e2e UserTaskTest where named.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from canter import Client
from canter.client import FailedPrecondition, InvalidArgument, NotFound
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import TaskRun, UserTaskRun, UserTaskRunIdList, UserTaskRunList, WfRun
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names, worker

pytestmark = pytest.mark.e2e

FIELDS = [
    {"name": "ok", "type": "BOOL", "displayName": "Approved?", "required": True},
    {"name": "why", "type": "STR", "displayName": "Reason"},
]


def _deploy(client: Client, names: Names, body: Callable[[WorkflowThread], None]) -> str:
    client.call("PutUserTaskDef", {"name": names("form"), "fields": FIELDS})
    name = names("wf")
    client.put_wf_spec(MessageToDict(Workflow(name, body).compile()))
    return name


def _start(client: Client, spec: str, **variables: Any) -> tuple[str, dict[str, Any]]:
    """Run the WfSpec and wait for its first UserTaskRun: (wfRunId, its UserTaskRunId)."""
    wf_run_id = client.run_wf(spec, variables)["id"]["id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = client.call("ListUserTaskRuns", {"wfRunId": {"id": wf_run_id}})
        ParseDict(listed, UserTaskRunList())
        if listed["results"]:
            return wf_run_id, listed["results"][0]["id"]
        time.sleep(0.1)
    raise AssertionError(f"no UserTaskRun in WfRun {wf_run_id}")


def _utr(client: Client, utr_id: dict[str, Any]) -> dict[str, Any]:
    found = client.call("GetUserTaskRun", utr_id)
    ParseDict(found, UserTaskRun())
    return found


def _until(client: Client, utr_id: dict[str, Any], done: Callable[[dict[str, Any]], bool]) -> Any:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = _utr(client, utr_id)
        if done(found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"UserTaskRun never got there: {found}")


def _run(client: Client, wf_run_id: str, *statuses: str) -> dict[str, Any]:
    found = client.wait_for_wf_run(wf_run_id, statuses or ("COMPLETED", "ERROR", "EXCEPTION"))
    ParseDict(found, WfRun())
    return found


def approval(names: Names) -> Callable[[WorkflowThread], None]:
    def body(wf: WorkflowThread) -> None:
        decision = wf.declare_json_obj("decision")
        item = wf.declare_str("item")
        form = wf.assign_user_task(names("form"), user_id="alice", user_group="finance")
        form.with_notes(wf.format("please approve {0}", item))
        decision.assign(form)

    return body


def test_a_person_completes_the_task_and_the_workflow_gets_the_results(
    client: Client, names: Names
) -> None:
    """UserTaskTest.shouldCompleteUserTaskRunWithProperOutput, with the results checked
    against the UserTaskDef first (a refused completion leaves the run untouched)."""
    spec = _deploy(client, names, approval(names))
    wf_run_id, utr_id = _start(client, spec, item="a laptop")
    run = _utr(client, utr_id)
    assert (run["status"], run["userId"], run["userGroup"]) == ("ASSIGNED", "alice", "finance")
    assert run["notes"] == "please approve a laptop"
    complete = {"userTaskRunId": utr_id, "userId": "alice"}
    with pytest.raises(InvalidArgument, match=r"\[ok\] are mandatory fields"):
        client.call("CompleteUserTaskRun", {**complete, "results": {"why": {"str": "x"}}})
    with pytest.raises(InvalidArgument, match=r"results\.ok.*\(the field is BOOL\)"):
        client.call("CompleteUserTaskRun", {**complete, "results": {"ok": {"str": "yes"}}})
    with pytest.raises(InvalidArgument, match=r"results\.nope"):
        client.call("CompleteUserTaskRun", {**complete, "results": {"nope": {"int": 1}}})
    assert _utr(client, utr_id) == run
    done = {**complete, "results": {"ok": {"bool": True}, "why": {"str": "fine"}}}
    assert client.call("CompleteUserTaskRun", done) == {}
    assert client.call("CompleteUserTaskRun", done) == {}  # the same request again is safe
    with pytest.raises(FailedPrecondition, match="already completed by another request"):
        client.call("CompleteUserTaskRun", {**done, "results": {"ok": {"bool": False}}})
    assert _run(client, wf_run_id)["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "decision") == {"ok": True, "why": "fine"}
    finished = _utr(client, utr_id)
    assert finished["status"] == "DONE"
    assert finished["results"] == {"ok": {"bool": True}, "why": {"str": "fine"}}
    with pytest.raises(FailedPrecondition, match="is DONE"):
        client.call("CancelUserTaskRun", {"userTaskRunId": utr_id})


def test_assign_save_comment_and_search_as_a_people_app_does(client: Client, names: Names) -> None:
    """UserTaskTest's claim, save and comment tests."""

    def body(wf: WorkflowThread) -> None:
        wf.assign_user_task(names("form"), user_group=names("team"))

    spec = _deploy(client, names, body)
    wf_run_id, utr_id = _start(client, spec)
    team = names("team")
    by_group = client.call("SearchUserTaskRun", {"userGroup": team, "status": "UNASSIGNED"})
    ParseDict(by_group, UserTaskRunIdList())
    assert by_group["results"] == [utr_id]
    # As in LittleHorse, an assignment names both: one without a group clears it.
    client.call(
        "AssignUserTaskRun", {"userTaskRunId": utr_id, "userId": "carol", "userGroup": team}
    )
    _until(client, utr_id, lambda r: r.get("userId") == "carol")
    with pytest.raises(FailedPrecondition, match="already assigned to carol"):
        client.call("AssignUserTaskRun", {"userTaskRunId": utr_id, "userId": "dave"})
    with pytest.raises(FailedPrecondition, match="assigned to another user"):
        client.call(
            "SaveUserTaskRunProgress",
            {"userTaskRunId": utr_id, "userId": "dave", "results": {"ok": {"bool": True}}},
        )
    saved = client.call(
        "SaveUserTaskRunProgress",
        {"userTaskRunId": utr_id, "userId": "carol", "results": {"why": {"str": "checking"}}},
    )
    ParseDict(saved, UserTaskRun())
    assert saved["results"] == {"why": {"str": "checking"}}
    commented = client.call(
        "PutUserTaskRunComment", {"userTaskRunId": utr_id, "userId": "carol", "comment": "hm"}
    )
    ParseDict(commented, UserTaskRun())
    assert commented["events"][-1]["commentAdded"]["userCommentId"] == 1
    _until(client, utr_id, lambda r: "commentAdded" in r["events"][-1])
    edited = client.call(
        "EditUserTaskRunComment",
        {"userTaskRunId": utr_id, "userId": "carol", "comment": "ok", "userCommentId": 1},
    )
    ParseDict(edited, UserTaskRun())
    _until(client, utr_id, lambda r: "commentEdited" in r["events"][-1])
    deleted = client.call(
        "DeleteUserTaskRunComment", {"userTaskRunId": utr_id, "userId": "carol", "userCommentId": 1}
    )
    ParseDict(deleted, UserTaskRun())
    _until(client, utr_id, lambda r: "commentDeleted" in r["events"][-1])
    with pytest.raises(FailedPrecondition, match="already been deleted"):
        client.call(
            "EditUserTaskRunComment",
            {"userTaskRunId": utr_id, "userId": "carol", "comment": "x", "userCommentId": 1},
        )
    with pytest.raises(NotFound, match="No comment exists"):
        client.call(
            "DeleteUserTaskRunComment",
            {"userTaskRunId": utr_id, "userId": "carol", "userCommentId": 9},
        )
    for search in (
        {"userId": "carol"},
        {"userId": "carol", "userGroup": team, "status": "ASSIGNED"},
        {"userTaskDefName": names("form"), "userGroup": team},
    ):
        found = client.call("SearchUserTaskRun", search)
        ParseDict(found, UserTaskRunIdList())
        assert utr_id in found["results"], search
    assert client.call("SearchUserTaskRun", {"userGroup": team, "status": "UNASSIGNED"}) == {
        "results": []
    }
    client.call("DeleteWfRun", {"id": {"id": wf_run_id}})
    deadline = time.monotonic() + 30
    while client.call("SearchUserTaskRun", {"userGroup": team})["results"]:
        assert time.monotonic() < deadline, "DeleteWfRun left the UserTaskRun's index entries"
        time.sleep(0.1)
    with pytest.raises(NotFound):
        client.call("GetUserTaskRun", utr_id)


def test_cancel_fails_the_node_with_the_exception_a_handler_catches(
    client: Client, names: Names
) -> None:
    """UserTaskTest.shouldExecuteBusinessExceptionHandlerWhenUserTaskGetsCancel."""

    def body(wf: WorkflowThread) -> None:
        handled = wf.declare_bool("handled", False)
        form = wf.assign_user_task(names("form"), user_group="finance")
        form.with_on_cancellation_exception("no-response")
        wf.handle_exception(form, lambda h: h.mutate(handled, "ASSIGN", True), "no-response")

    spec = _deploy(client, names, body)
    wf_run_id, utr_id = _start(client, spec)
    client.call("CancelUserTaskRun", {"userTaskRunId": utr_id})
    assert _run(client, wf_run_id)["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "handled") is True
    assert _utr(client, utr_id)["status"] == "CANCELLED"
    with pytest.raises(FailedPrecondition, match="is CANCELLED"):
        client.call("CompleteUserTaskRun", {"userTaskRunId": utr_id, "results": {}})


def test_a_completion_while_the_workflow_is_stopped_applies_when_it_resumes(
    client: Client, names: Names
) -> None:
    spec = _deploy(client, names, approval(names))
    wf_run_id, utr_id = _start(client, spec, item="a chair")
    client.call("StopWfRun", {"wfRunId": {"id": wf_run_id}})
    _run(client, wf_run_id, "HALTED")
    client.call(
        "CompleteUserTaskRun", {"userTaskRunId": utr_id, "results": {"ok": {"bool": False}}}
    )
    _until(client, utr_id, lambda r: r.get("status") == "DONE")
    assert client.get_wf_run(wf_run_id)["status"] == "HALTED"
    client.call("ResumeWfRun", {"wfRunId": {"id": wf_run_id}})
    assert _run(client, wf_run_id)["status"] == "COMPLETED"


def test_the_task_is_cancelled_after_its_deadline(client: Client, names: Names) -> None:
    """UserTaskTest.shouldExecuteBusinessExceptionHandlerWhenUserTaskGetsCancelOnDeadline:
    the timer path cancels it."""

    def body(wf: WorkflowThread) -> None:
        form = wf.assign_user_task(names("form"), user_id="alice")
        wf.cancel_user_task_run_after(form, 1)

    spec = _deploy(client, names, body)
    wf_run_id, utr_id = _start(client, spec)
    assert _run(client, wf_run_id)["status"] == "ERROR"
    assert _utr(client, utr_id)["status"] == "CANCELLED"


def test_unknown_runs_and_bad_requests_are_refused(client: Client, names: Names) -> None:
    spec = _deploy(client, names, approval(names))
    wf_run_id, utr_id = _start(client, spec, item="x")
    with pytest.raises(NotFound, match=r"UserTaskRun .*/0-9 does not exist"):
        client.call("GetUserTaskRun", {**utr_id, "userTaskGuid": "0-9"})
    with pytest.raises(InvalidArgument, match="must provide either userGroup or userId"):
        client.call("AssignUserTaskRun", {"userTaskRunId": utr_id})
    with pytest.raises(InvalidArgument, match="status must be one of"):
        client.call("SearchUserTaskRun", {"status": "FINISHED"})
    with pytest.raises(InvalidArgument, match="The comment must be provided"):
        client.call("PutUserTaskRunComment", {"userTaskRunId": utr_id, "userId": "a"})
    client.call("CancelUserTaskRun", {"userTaskRunId": utr_id})
    _run(client, wf_run_id)


def test_put_wf_spec_needs_the_user_task_def_and_pins_its_version(
    client: Client, names: Names
) -> None:
    def body(wf: WorkflowThread) -> None:
        wf.assign_user_task(names("form"), user_id="alice")

    compiled = MessageToDict(Workflow(names("wf"), body).compile())
    with pytest.raises(InvalidArgument, match=r"UserTaskDef .* not found"):
        client.put_wf_spec(compiled)
    client.call("PutUserTaskDef", {"name": names("form"), "fields": FIELDS})
    client.call("PutUserTaskDef", {"name": names("form"), "description": "v1"})
    spec = client.put_wf_spec(compiled)
    (node,) = [
        n["userTask"]
        for n in spec["threadSpecs"]["entrypoint"]["nodes"].values()
        if "userTask" in n
    ]
    assert node["userTaskDefVersion"] == 1


def test_a_reminder_task_runs_on_a_worker_and_a_deadline_reassigns(
    client: Client, names: Names
) -> None:
    """UserTaskTest.shouldScheduleAndExecuteReminderTask and
    ...TransferOwnershipFromUserToSpecificGroupOnDeadline, through the timer path."""
    remind = names("remind")
    client.put_task_def({"name": remind, "inputVars": [{"name": "who", "type": "STR"}]})

    def body(wf: WorkflowThread) -> None:
        form = wf.assign_user_task(names("form"), user_id="alice")
        wf.schedule_reminder_task(form, 1, remind, "alice")
        wf.reassign_user_task_on_deadline(form, 2, user_group=names("backup"))

    spec = _deploy(client, names, body)
    reminded: list[str] = []
    with worker(client, {remind: reminded.append}):
        wf_run_id, utr_id = _start(client, spec)
        moved = _until(client, utr_id, lambda r: r.get("userGroup") == names("backup"))
        executed = next(e["taskExecuted"] for e in moved["events"] if "taskExecuted" in e)
        task_run = executed["taskRun"]
        deadline = time.monotonic() + 30
        while client.call("GetTaskRun", task_run).get("status") != "TASK_SUCCESS":
            assert time.monotonic() < deadline, "the reminder was never reported"
            time.sleep(0.1)
    ParseDict(client.call("GetTaskRun", task_run), TaskRun())
    assert reminded == ["alice"]
    assert "userId" not in moved and moved.get("status", "UNASSIGNED") == "UNASSIGNED"
    window = {"userGroup": names("backup"), "earliestStart": "2000-01-01T00:00:00Z"}
    assert client.call("SearchUserTaskRun", window)["results"] == [utr_id]
    future = {**window, "earliestStart": "2999-01-01T00:00:00Z"}
    assert client.call("SearchUserTaskRun", future)["results"] == []
    client.call("CompleteUserTaskRun", {"userTaskRunId": utr_id, "results": {"ok": {"bool": True}}})
    assert _run(client, wf_run_id)["status"] == "COMPLETED"
