"""Task checkpoints through the local stack: a task saves its steps with
``WorkerContext.execute_and_checkpoint``; when it fails or its worker dies, the
attempt that runs next takes the saved steps instead of running them again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from canter import Client, WorkerContext, WorkflowThread, lambda_handler
from canter.client import CanterError, NotFound
from canter.local import LocalStack
from google.protobuf.json_format import ParseDict
from littlehorse.model import Checkpoint, PutCheckpointResponse, TaskRun

from .support import Names, register, take_attempt, wait_for, worker

pytestmark = pytest.mark.e2e


def _workflow(client: Client, names: Names, retries: int) -> str:
    task = names("task-with-checkpoint")

    def body(t: WorkflowThread) -> None:
        t.complete(t.execute(task, retries=retries, timeout_seconds=30))

    register(client, names("wf"), body, {task: {}})
    return task


def test_a_failed_attempt_is_retried_from_its_last_checkpoint(client: Client, names: Names) -> None:
    """Mirrors LittleHorse's CheckpointedTaskTest.checkpointedTasksTest and
    shouldDeleteCheckpoints."""
    task = _workflow(client, names, retries=1)
    counts = {"location-0": 0, "checkpoint-1": 0, "location-2": 0, "checkpoint-2": 0}

    def obi_wan(context: WorkerContext) -> str:
        counts["location-0"] += 1

        def first(_: object) -> str:
            counts["checkpoint-1"] += 1
            return "hello from first checkpoint"

        result = context.execute_and_checkpoint(first)
        counts["location-2"] += 1
        if context.attempt_number == 0:
            raise RuntimeError("failing after the first checkpoint")

        def second(step: object) -> str:
            counts["checkpoint-2"] += 1
            return " and the second checkpoint"

        result += context.execute_and_checkpoint(second)
        return result + " and after the second checkpoint"

    with worker(client, {task: obi_wan}):
        run_id = client.run_wf(names("wf"))["id"]["id"]
        wf_run = client.wait_for_wf_run(run_id, timeout=30)
    assert wf_run["status"] == "COMPLETED"
    assert wf_run["threadRuns"][0]["output"] == {
        "str": "hello from first checkpoint and the second checkpoint and after the "
        "second checkpoint"
    }
    assert counts == {"location-0": 2, "checkpoint-1": 1, "location-2": 2, "checkpoint-2": 1}
    task_run = client.get_task_run(run_id, "0-1")
    ParseDict(task_run, TaskRun())
    assert task_run["totalCheckpoints"] == 2
    saved = client.get_checkpoint(run_id, "0-1", 0)
    ParseDict(saved, Checkpoint())
    assert saved["value"] == {"str": "hello from first checkpoint"}
    client.delete_wf_run(run_id)
    with pytest.raises(NotFound):
        for _ in range(200):
            client.get_checkpoint(run_id, "0-1", 0)


def test_a_killed_worker_s_attempt_resumes_from_its_checkpoint(
    stack: LocalStack, client: Client, names: Names, tmp_path: Path
) -> None:
    task = _workflow(client, names, retries=0)
    run_id = client.run_wf(names("wf"))["id"]["id"]
    marker = tmp_path / "saved"
    script = Path(__file__).with_name("checkpoint_worker.py")
    doomed = subprocess.Popen([sys.executable, str(script), stack.api_url, task, str(marker)])
    try:
        wait_for(marker, doomed)
    finally:
        doomed.wait(timeout=30)
    ran: list[str] = []

    def steps(context: WorkerContext) -> str:
        first = context.execute_and_checkpoint(lambda _: ran.append("first") or "first step")
        second = context.execute_and_checkpoint(lambda _: ran.append("second") or "second step")
        return f"{first}, {second}"

    with worker(client, {task: steps}):
        wf_run = client.wait_for_wf_run(run_id, timeout=30)
    assert wf_run["status"] == "COMPLETED"
    assert wf_run["threadRuns"][0]["output"] == {"str": "first step, second step"}
    assert ran == ["second"]
    assert client.get_task_run(run_id, "0-1")["totalCheckpoints"] == 2


def test_only_the_attempt_in_flight_may_checkpoint(client: Client, names: Names) -> None:
    """Mirrors PutCheckpointRequestModel: a worker whose attempt ended is told STOP_TASK."""
    task = _workflow(client, names, retries=0)
    run_id = client.run_wf(names("wf"))["id"]["id"]
    scheduled, token, _ = take_attempt(client, task, wait_seconds=30)
    request = {
        "taskRunId": scheduled["taskRunId"],
        "taskAttempt": 0,
        "value": {"int": 1},
        "logs": "step one",
    }
    with pytest.raises(CanterError) as refused:
        client.put_checkpoint(request, "not-a-token")
    assert refused.value.code == "PERMISSION_DENIED"
    other = {**request, "taskAttempt": 1}
    with pytest.raises(CanterError) as wrong_attempt:
        client.put_checkpoint(other, token)
    assert wrong_attempt.value.code == "PERMISSION_DENIED"
    created = client.put_checkpoint(request, token)
    ParseDict(created, PutCheckpointResponse())
    assert created["createdCheckpoint"]["id"].get("checkpointNumber", 0) == 0
    assert created["createdCheckpoint"]["logs"] == "step one"
    client.report_task(
        {
            "taskRunId": scheduled["taskRunId"],
            "attemptNumber": 0,
            "status": "TASK_SUCCESS",
            "output": {"int": 1},
        },
        token,
    )
    assert client.wait_for_wf_run(run_id, timeout=30)["status"] == "COMPLETED"
    stopped = client.put_checkpoint(request, token)
    assert stopped == {"flowControlContinueType": "STOP_TASK"}
    ParseDict(stopped, PutCheckpointResponse())
    saved = client.get_checkpoint(run_id, scheduled["taskRunId"]["taskGuid"], 0)
    assert saved["value"] == {"int": "1"}


def test_lambda_tasks_checkpoint_too(stack: LocalStack, client: Client, names: Names) -> None:
    """The same checkpointed task, run by ``canter.lambda_handler`` on canter dev."""
    task = _workflow(client, names, retries=1)
    ran: list[int] = []

    def steps(context: WorkerContext) -> int:
        saved = context.execute_and_checkpoint(lambda _: ran.append(1) or 41)
        if context.attempt_number == 0:
            raise RuntimeError("failing after the checkpoint")
        return saved + 1

    stack.add_lambda_tasks(lambda_handler({task: steps}))
    run_id = client.run_wf(names("wf"))["id"]["id"]
    wf_run = client.wait_for_wf_run(run_id, timeout=30)
    assert wf_run["status"] == "COMPLETED"
    assert wf_run["threadRuns"][0]["output"] == {"int": "42"}
    assert ran == [1]
