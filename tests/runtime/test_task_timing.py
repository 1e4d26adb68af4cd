"""Task timing: a TaskAttempt shows when it was scheduled, when its worker started it,
when it ended and which worker ran it, as LittleHorse's TaskAttempt does."""

from __future__ import annotations

import time
from datetime import datetime

from canter import Client, WorkflowThread
from canter.worker import report
from google.protobuf.json_format import ParseDict
from littlehorse.model import TaskRun

from .support import Names, register, worker


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_an_attempt_shows_schedule_start_end_and_worker(client: Client, names: Names) -> None:
    task = names("slow")

    def body(t: WorkflowThread) -> None:
        t.execute(task)

    def slow() -> str:
        time.sleep(0.5)
        return "done"

    register(client, names("wf"), body, {task: {}})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    time.sleep(0.5)  # the task waits on its queue before a worker starts it
    with worker(client, {task: slow}):
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    task_run = client.get_task_run(wf_run_id, "0-1")
    ParseDict(task_run, TaskRun())
    (attempt,) = task_run["attempts"]
    scheduled, started, ended = (_at(attempt[k]) for k in ("scheduleTime", "startTime", "endTime"))
    assert started - scheduled >= 0.4, "queued time is not running time"
    assert ended - started >= 0.4, "the task ran for half a second"
    assert attempt["taskWorkerId"] == report.WORKER_ID


def test_a_bad_start_time_is_refused(client: Client) -> None:
    results = client.report_tasks(
        [{"taskRunId": {"wfRunId": {"id": "x"}, "taskGuid": "0-1"}, "status": "TASK_SUCCESS"}],
        ["forged"],
        [{"startTime": "soon"}],
    )
    assert results[0]["code"] == "INVALID_ARGUMENT"
    assert "startTime" in results[0]["message"]
