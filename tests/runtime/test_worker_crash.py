"""A worker killed mid-task: the task runs again and completes once in the WfRun."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from canter import Client, WorkflowThread
from canter.local import LocalStack

from .support import Names, int_input, register, worker

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
    doomed = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("slow_worker.py")),
            stack.api_url,
            task,
            str(marker),
        ],
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert time.monotonic() < deadline, "the doomed worker never started the task"
            assert doomed.poll() is None, "the doomed worker exited early"
            time.sleep(0.05)
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
