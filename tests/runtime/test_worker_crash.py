"""Workers stopped mid-task: killed, the task runs again and completes once in
the WfRun; asked to stop (SIGTERM), the worker finishes the task first."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from canter import Client, WorkflowThread
from canter.local import LocalStack

from .support import Names, int_input, register, start_slow_worker, wait_for, worker

pytestmark = pytest.mark.e2e


def test_killed_worker_task_runs_again_and_completes_once(
    stack: LocalStack, client: Client, names: Names, tmp_path: Path
) -> None:
    task = names("work")

    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        t.mutate(out, "ASSIGN", t.execute(task, 7, timeout_seconds=30))

    register(client, names("wf"), body, {task: int_input()})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    marker = tmp_path / "started"
    doomed = start_slow_worker(stack, task, marker, seconds=120)
    try:
        wait_for(marker, doomed)
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    calls: list[int] = []

    def work(n: int) -> int:
        calls.append(n)
        return n * 3

    with worker(client, {task: work}):
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert calls == [7]
    assert client.variables(wf_run_id)["out"] == 21
    task_run = client.get_task_run(wf_run_id, "0-1")
    assert [a.get("status") for a in task_run["attempts"]] == ["TASK_SUCCESS"]
    task_nodes = [n for n in client.list_node_runs(wf_run_id) if "task" in n]
    assert len(task_nodes) == 1 and task_nodes[0]["status"] == "COMPLETED"


def test_sigterm_lets_the_running_task_finish_and_report(
    stack: LocalStack, client: Client, names: Names, tmp_path: Path
) -> None:
    task = names("work")

    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        t.mutate(out, "ASSIGN", t.execute(task, 5, timeout_seconds=30))

    register(client, names("wf"), body, {task: int_input()})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    marker = tmp_path / "started"
    graceful = start_slow_worker(stack, task, marker, seconds=1.5)
    try:
        wait_for(marker, graceful)
        graceful.send_signal(signal.SIGTERM)
        assert graceful.wait(timeout=15) == 0
    finally:
        if graceful.poll() is None:
            graceful.kill()
    assert client.wait_for_wf_run(wf_run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 15
