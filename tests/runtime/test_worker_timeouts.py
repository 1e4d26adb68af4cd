"""Task timeouts: counted from a worker's first receive and enforced by the worker.

A task waiting in its queue for a worker waits; an attempt whose worker died,
or whose function overruns, is reported TASK_TIMEOUT and retried.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from canter import Client, WorkerContext, WorkflowThread
from canter.local import LocalStack
from canter.worker import worker as worker_module
from canter_engine.core.tasks import DEFAULT_TASK_TIMEOUT_SECONDS
from canter_engine.store.queues import TIMEOUT_ATTRIBUTE

from .support import Names, int_input, register, start_slow_worker, wait_for, worker

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.e2e


def one_task(
    task: str, n: int, timeout_seconds: int, retries: int = 1
) -> Callable[[WorkflowThread], None]:
    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        done = t.execute(task, n, retries=retries, timeout_seconds=timeout_seconds)
        t.mutate(out, "ASSIGN", done)

    return body


def attempts(client: Client, wf_run_id: str) -> list[dict[str, object]]:
    return list(client.get_task_run(wf_run_id, "0-1")["attempts"])


def test_a_worker_that_dies_mid_task_is_timed_out_by_the_next_and_the_retry_completes(
    stack: LocalStack, client: Client, names: Names, tmp_path: Path
) -> None:
    task = names("work")
    register(client, names("wf"), one_task(task, 7, timeout_seconds=3), {task: int_input()})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    marker = tmp_path / "started"
    # Holding the message 4 s, the dead worker's message comes back after the
    # attempt's 3 s deadline (counted from that first receive).
    doomed = start_slow_worker(stack, task, marker, "crash", visibility=4)
    wait_for(marker, doomed)
    assert doomed.wait(timeout=30) != 0, "the worker died mid-task"
    ran: list[int] = []

    def work(n: int, ctx: WorkerContext) -> int:
        ran.append(ctx.attempt_number)
        return n * 3

    with worker(client, {task: work}):
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert ran == [1], "attempt 0 was reported TASK_TIMEOUT, not run again"
    assert client.variables(wf_run_id)["out"] == 21
    first, second = attempts(client, wf_run_id)
    assert (first["status"], second["status"]) == ("TASK_TIMEOUT", "TASK_SUCCESS")
    assert first["error"] == {
        "type": "TIMEOUT",
        "message": "no report within 3 s of the first receive by a worker "
        "(the worker that took it stopped or hung); not run again",
    }


def test_a_task_that_overruns_its_timeout_is_reported_at_the_deadline_and_retried(
    client: Client, names: Names, caplog: pytest.LogCaptureFixture
) -> None:
    task = names("work")
    register(client, names("wf"), one_task(task, 4, timeout_seconds=2), {task: int_input()})
    release = threading.Event()

    def work(n: int, ctx: WorkerContext) -> int:
        if ctx.attempt_number == 0:
            release.wait(60)  # hangs until the test lets it go
            return -1
        return n * 2

    caplog.set_level(logging.WARNING, logger="canter.worker")
    with worker(client, {task: work}):
        try:
            wf_run_id = client.run_wf(names("wf"))["id"]["id"]
            assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
            assert client.variables(wf_run_id)["out"] == 8, "the retry's result"
        finally:
            release.set()
        wait_until(lambda: "its result is discarded" in caplog.text, "the late result discarded")
    assert client.variables(wf_run_id)["out"] == 8
    first, second = attempts(client, wf_run_id)
    assert (first["status"], second["status"]) == ("TASK_TIMEOUT", "TASK_SUCCESS")
    assert "output" not in first
    assert first["error"] == {
        "type": "TIMEOUT",
        "message": "still running 2 s after a worker first received it; "
        "whatever it returns is discarded",
    }


def test_a_task_waiting_for_a_worker_longer_than_its_timeout_waits_then_runs(
    client: Client, names: Names
) -> None:
    task = names("work")
    register(
        client, names("wf"), one_task(task, 5, timeout_seconds=2, retries=0), {task: int_input()}
    )
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)
    time.sleep(3)  # no worker for longer than the timeout: the premise, not a wait for a condition
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    with worker(client, {task: lambda n: n + 1}):
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 6
    assert [a.get("status") for a in attempts(client, wf_run_id)] == ["TASK_SUCCESS"]


def test_the_last_receive_before_the_dead_letter_queue_reports_a_timeout_instead_of_running(
    client: Client, names: Names
) -> None:
    task = names("work")
    register(client, names("wf"), one_task(task, 3, timeout_seconds=60), {task: int_input()})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    queue_url = str(client.get_task_def_queue(task)["queueUrl"])
    sqs: SQSClient = boto3.client("sqs")
    limit = _max_receive_count(sqs, queue_url)
    for _ in range(limit - 1):  # workers that took it and died at once, well within its timeout
        received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10, VisibilityTimeout=0)
        assert len(received.get("Messages", [])) == 1
    ran: list[int] = []

    def work(n: int, ctx: WorkerContext) -> int:
        ran.append(ctx.attempt_number)
        return n

    with worker(client, {task: work}):
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert ran == [1], "the last receive was reported, not run; the retry ran"
    first, _ = attempts(client, wf_run_id)
    assert first["status"] == "TASK_TIMEOUT"
    assert first["error"] == {
        "type": "TIMEOUT",
        "message": f"received {limit} times without a report, the most its queue allows "
        "before its dead-letter queue: the workers that took it kept stopping; not run again",
    }


def test_the_worker_reads_the_timeout_the_engine_sends() -> None:
    assert worker_module.TIMEOUT_ATTRIBUTE == TIMEOUT_ATTRIBUTE
    assert worker_module.DEFAULT_TIMEOUT_SECONDS == DEFAULT_TASK_TIMEOUT_SECONDS


def _max_receive_count(sqs: SQSClient, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])[
        "Attributes"
    ]
    return int(json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
