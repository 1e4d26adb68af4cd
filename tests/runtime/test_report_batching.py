"""A busy worker reports and deletes in batches; each report in a batch stands alone."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from canter import Client
from canter.client import to_value
from canter.local import LocalStack

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

    def call(
        self, rpc: str, request: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        self.calls[rpc] += 1
        if rpc == "ReportTasks":
            self.reports_sent += len(request["reports"])
        elif rpc == "ReportTask":
            self.reports_sent += 1
        return super().call(rpc, request, headers)


def test_each_report_in_a_batch_is_accepted_or_refused_on_its_own(
    client: Client, names: Names
) -> None:
    task = names("one")
    register(client, names("wf"), lambda t: t.execute(task, 1) and None, {task: int_input()})
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
    register(client, names("wf"), lambda t: t.execute(task, 1) and None, {task: int_input()})
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
