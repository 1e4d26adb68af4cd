"""TASK_RUNNING: a TaskRun whose worker has been running it for a while shows so, with
the worker's startTime and taskWorkerId, before its result (LittleHorse sets TASK_RUNNING
when a worker takes the task; Canter's workers say so for attempts still running after
canter.worker.worker.START_NOTICE_SECONDS)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound, to_value
from canter.worker import report
from canter_engine.handlers import task_tokens
from canter_engine.handlers.task_tokens import Attempt
from google.protobuf.json_format import ParseDict
from littlehorse.model import TaskRun, TaskRunList

from .support import Names, register, success_report, take_attempt, worker


def _one_task(task: str) -> Any:
    def body(t: WorkflowThread) -> None:
        out = t.declare_str("out")
        t.mutate(out, "ASSIGN", t.execute(task))

    return body


def _until_running(client: Client, wf_run_id: str, timeout: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(NotFound):  # not dispatched yet
            task_run = client.get_task_run(wf_run_id, "0-1")
            if task_run.get("status") == "TASK_RUNNING":
                return task_run
        time.sleep(0.1)
    raise AssertionError(f"TaskRun 0-1 of {wf_run_id} not TASK_RUNNING within {timeout} s")


def test_a_long_task_shows_task_running_with_its_worker_before_its_result(
    client: Client, names: Names
) -> None:
    task = names("long")
    release = threading.Event()

    def long() -> str:
        assert release.wait(30)
        return "done"

    register(client, names("wf"), _one_task(task), {task: {}})
    with worker(client, {task: long}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        running = _until_running(client, wf_run_id)
        ParseDict(running, TaskRun())
        (attempt,) = running["attempts"]
        assert attempt["status"] == "TASK_RUNNING"
        assert attempt["taskWorkerId"] == report.WORKER_ID
        assert attempt["startTime"] >= attempt["scheduleTime"]
        assert "endTime" not in attempt and "output" not in attempt
        listed = client.call("ListTaskRuns", {"wfRunId": {"id": wf_run_id}})
        ParseDict(listed, TaskRunList())
        assert listed["results"] == [running]
        release.set()
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    done = client.get_task_run(wf_run_id, "0-1")
    assert done["status"] == "TASK_SUCCESS"
    (ended,) = done["attempts"]
    assert ended["startTime"] == attempt["startTime"]
    assert ended["taskWorkerId"] == report.WORKER_ID
    assert ended["output"] == {"str": "done"}


def test_a_start_notice_needs_its_attempts_token_and_never_changes_a_result(
    client: Client, names: Names
) -> None:
    task = names("manual")
    register(client, names("wf"), _one_task(task), {task: {}})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    scheduled, token, _ = take_attempt(client, task)
    notice = report.start_notice(scheduled, 0, time.time())
    with pytest.raises(CanterError) as no_token:
        client.call("ReportTaskStarts", {"starts": [notice]})
    assert no_token.value.code == "UNAUTHENTICATED"
    forged = task_tokens.issue(b"guess", Attempt(wf_run_id, "x", "0-1", 0))
    assert client.report_task_starts([notice], [forged])[0]["code"] == "PERMISSION_DENIED"
    other_attempt = client.report_task_starts([{**notice, "attemptNumber": 1}], [token])
    assert other_attempt[0]["code"] == "PERMISSION_DENIED"
    assert client.get_task_run(wf_run_id, "0-1").get("status") is None  # TASK_SCHEDULED

    assert client.report_task_starts([notice], [token]) == [{}]
    assert client.get_task_run(wf_run_id, "0-1")["status"] == "TASK_RUNNING"
    client.report_task(success_report(scheduled, to_value("real")), token)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    # A notice after the result (its token is genuine) is taken, and shows nowhere.
    assert client.report_task_starts([notice], [token]) == [{}]
    done = client.get_task_run(wf_run_id, "0-1")
    assert done["status"] == "TASK_SUCCESS"
    assert done["attempts"][0]["output"] == {"str": "real"}
    assert client.variables(wf_run_id) == {"out": "real"}


def test_a_bad_start_notice_is_refused_with_where(client: Client) -> None:
    notice = {
        "taskRunId": {"wfRunId": {"id": "x"}, "taskGuid": "0-1"},
        "attemptNumber": 0,
        "startTime": "soon",
        "workerId": "w",
    }
    (result,) = client.report_task_starts([notice], ["forged"])
    assert result["code"] == "INVALID_ARGUMENT"
    assert "starts[0]: startTime 'soon'" in result["message"]
