"""A busy worker reports and deletes in batches; each report in a batch stands alone."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from canter import Client, WorkflowThread
from canter.client import to_value
from canter.local import LocalStack
from canter_engine.handlers import faults

from tests.runtime.support import (
    Names,
    int_input,
    register,
    success_report,
    take_attempt,
    worker,
)


class CountingClient(Client):
    """The real client, counting the rpcs it sends."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=10)
        self.calls: Counter[str] = Counter()
        self.reports_sent = 0
        self.largest_batch = 0

    def call(
        self,
        rpc: str,
        request: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        self.calls[rpc] += 1
        if rpc == "ReportTasks":
            self.reports_sent += len(request["reports"])
            self.largest_batch = max(self.largest_batch, len(request["reports"]))
        elif rpc == "ReportTask":
            self.reports_sent += 1
        return super().call(rpc, request, headers, timeout=timeout)


def one_task(task: str) -> Callable[[WorkflowThread], None]:
    """A WfSpec that runs ``task`` once."""

    def body(t: WorkflowThread) -> None:
        t.execute(task, 1)

    return body


def test_each_report_in_a_batch_is_accepted_or_refused_on_its_own(
    client: Client, names: Names
) -> None:
    task = names("one")
    register(client, names("wf"), one_task(task), {task: int_input()})
    first = client.run_wf(names("wf"))["id"]["id"]
    second = client.run_wf(names("wf"))["id"]["id"]
    attempts = {}
    for _ in range(2):
        scheduled, token, _ = take_attempt(client, task)
        attempts[scheduled["taskRunId"]["wfRunId"]["id"]] = (scheduled, token)
    good = success_report(attempts[first][0], to_value(1))
    bad = {**success_report(attempts[second][0], to_value(1)), "status": "TASK_DONE"}
    forged = {**good, "attemptNumber": 1}
    results = client.report_tasks(
        [good, bad, forged], [attempts[first][1], attempts[second][1], attempts[first][1]]
    )
    assert results[0] == {}
    assert results[1]["code"] == "INVALID_ARGUMENT"
    assert "status must be one of" in results[1]["message"]
    assert results[2]["code"] == "PERMISSION_DENIED"
    assert client.wait_for_wf_run(first, timeout=20)["status"] == "COMPLETED"
    assert client.get_wf_run(second)["status"] == "RUNNING"


def test_a_busy_worker_sends_fewer_report_requests_than_tasks(
    stack: LocalStack, client: Client, names: Names
) -> None:
    task = names("slowish")
    register(client, names("wf"), one_task(task), {task: int_input()})
    gate = threading.Event()
    running = threading.Semaphore(0)

    def slowish(n: int) -> int:
        running.release()
        gate.wait(20)
        return n

    counting = CountingClient(stack.api_url)
    runs = [client.run_wf(names("wf"))["id"]["id"] for _ in range(20)]
    with worker(counting, {task: slowish}, concurrency=20):
        assert all(running.acquire(timeout=20) for _ in runs), "all 20 tasks run at once"
        gate.set()
        statuses = [client.wait_for_wf_run(r, timeout=20)["status"] for r in runs]
    assert statuses == ["COMPLETED"] * 20
    assert counting.reports_sent == 20, "every attempt reported exactly once"
    requests = counting.calls["ReportTasks"] + counting.calls["ReportTask"]
    assert requests < 20, f"20 reports took {requests} requests"
    for run in runs:
        (attempt,) = client.get_task_run(run, "0-1")["attempts"]
        assert attempt["status"] == "TASK_SUCCESS"


class CrashEveryOther:
    """Crash at every other reach of one fault point, ``times`` times in all.

    While the crashes last, a request with two reports or more always
    crashes, while a report sent alone never crashes twice in a row. Five
    crashes are as many as a worker's tries of one request.
    """

    def __init__(self, point: str, times: int) -> None:
        self._point = point
        self._times = times
        self._lock = threading.Lock()
        self._crash_next = False
        self.crashes = 0

    def __call__(self, reached: str) -> None:
        if reached != self._point:
            return
        with self._lock:
            crash = self._crash_next and self.crashes < self._times
            self._crash_next = not crash
            self.crashes += crash
        if crash:
            raise RuntimeError(f"injected crash at {reached}")


def test_a_batch_the_api_fails_is_reported_again_one_report_at_a_time(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """A crash while the API handles one report of a batch fails the whole
    request. Sent again whole, the batch would crash again on every retry and
    its messages would come back to run their tasks again; sent again one by
    one, every report is accepted and every message deleted."""
    task = names("crashy")
    register(client, names("wf"), one_task(task), {task: int_input()})
    gate = threading.Event()
    running = threading.Semaphore(0)

    def gated(n: int) -> int:
        running.release()
        gate.wait(20)
        return n

    counting = CountingClient(stack.api_url)
    runs = [client.run_wf(names("wf"))["id"]["id"] for _ in range(10)]
    crash = CrashEveryOther(faults.REPORT_AFTER_APPEND, times=5)
    sqs = boto3.client("sqs")
    queue_url = client.get_task_def_queue(task)["queueUrl"]
    faults.install(crash)
    try:
        with worker(counting, {task: gated}, concurrency=10):
            assert all(running.acquire(timeout=20) for _ in runs), "all 10 tasks run at once"
            gate.set()
            statuses = [client.wait_for_wf_run(r, timeout=20)["status"] for r in runs]
            left = _messages_left(sqs, queue_url, within=15)
    finally:
        faults.install(None)
    assert counting.largest_batch >= 2, "the worker sent a batch"
    assert crash.crashes == 5
    assert statuses == ["COMPLETED"] * 10
    assert left == 0, f"{left} reported message(s) not deleted: their tasks would run again"
    for run in runs:
        (attempt,) = client.get_task_run(run, "0-1")["attempts"]
        assert attempt["status"] == "TASK_SUCCESS"


def _messages_left(sqs: Any, queue_url: str, within: float) -> int:
    """Messages still in the queue, visible or taken, once none are or ``within`` passes."""
    deadline = time.monotonic() + within
    while True:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        left = sum(int(v) for v in attributes.values())
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)
