"""``canter dev --status-events`` and ``canter events tail``: the status changes of the
WfSpecs named, as the local EventBridge bus received them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.cli import app
from typer.testing import CliRunner

from .conftest import _ready_settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def publishing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    state = str(tmp_path_factory.mktemp("canter-dev-events"))
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "canter.cli", "dev", "--port", "0", "--in-memory"),
            *("--state-dir", state, "--status-events", "cli-loud,cli-all:all"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield _ready_settings(process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_tail_prints_the_status_changes_of_the_wf_specs_named(
    publishing: dict[str, str], tmp_path: Path
) -> None:
    client = Client(publishing["CANTER_API_URL"], timeout=10)
    for name in ("cli-loud", "cli-quiet"):
        client.put_wf_spec(Workflow(name, lambda t: t.declare_int("n", 1) and None).compile())
    loud = client.run_wf("cli-loud", id="loud-1")["id"]["id"]
    quiet = client.run_wf("cli-quiet", id="quiet-1")["id"]["id"]
    for run_id in (loud, quiet):
        assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    endpoint = ("--aws-endpoint-url", publishing["AWS_ENDPOINT_URL"])
    result = CliRunner().invoke(app, ["events", "tail", "--wait", "5", *endpoint, "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert [(r["wfRun"]["id"]["id"], r["wfRun"]["status"]) for r in records] == [
        ("loud-1", "COMPLETED")
    ]
    again = CliRunner().invoke(app, ["events", "tail", "--wait", "0", *endpoint])
    assert again.exit_code == 0 and again.stdout == ""


def test_at_the_all_level_tail_prints_entity_events_too(publishing: dict[str, str]) -> None:
    """``--status-events name:all``: a PUBLIC_VAR's value beside the WfRun's status."""
    client = Client(publishing["CANTER_API_URL"], timeout=10)

    def body(t: WorkflowThread) -> None:
        t.declare_int("n", 1).with_access_level("PUBLIC_VAR")

    client.put_wf_spec(Workflow("cli-all", body).compile())
    run_id = client.run_wf("cli-all", id="all-1")["id"]["id"]
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    endpoint = ("--aws-endpoint-url", publishing["AWS_ENDPOINT_URL"])
    result = CliRunner().invoke(app, ["events", "tail", "--wait", "5", *endpoint])
    assert result.exit_code == 0, result.output
    lines = [line.split()[1:] for line in result.stdout.splitlines()]
    assert lines == [["variable", "all-1", "n"], ["cli-all", "v0.0", "all-1", "COMPLETED"]]
