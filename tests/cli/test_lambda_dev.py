"""``canter dev --lambda-tasks``: a workflow whose task runs through ``canter.lambda_handler``."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from canter import Client, Workflow, WorkflowThread

from .conftest import _ready_settings

REPO = Path(__file__).resolve().parents[2]


def doubling(t: WorkflowThread) -> None:
    n = t.declare_int("n").required()
    out = t.declare_int("out")
    out.assign(t.execute("cli-lambda-double", n))


def test_a_workflow_runs_end_to_end_with_its_task_on_the_lambda_handler(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "canter.cli",
            "dev",
            "--port",
            "0",
            "--in-memory",
            *("--state-dir", str(tmp_path)),
            *("--lambda-tasks", "tests.cli.lambda_tasks:handler"),
            *("--lambda-timeout", "30"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        client = Client(_ready_settings(process)["CANTER_API_URL"], timeout=10)
        client.put_wf_spec(Workflow("cli-lambda-doubling", doubling).compile())
        run = client.run_wf("cli-lambda-doubling", {"n": 21})["id"]["id"]
        assert client.wait_for_wf_run(run, timeout=30)["status"] == "COMPLETED"
        assert client.variables(run)["out"] == 42
        [attempt] = client.get_task_run(run, "0-1")["attempts"]
        assert attempt["logOutput"] == {"str": "doubling 21"}
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
