"""``canter bulk delete|get|search|remove`` through ``canter dev``."""

from __future__ import annotations

import time

import pytest
from canter import Client
from canter.client import CanterError

from .conftest import Cli, flat

pytestmark = pytest.mark.e2e


def test_bulk_delete_get_search_remove(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    """One EXCEPTION WfRun, chosen by its start time, deleted by a BulkJob."""
    assert cli("run", "cli-refusal", "amount=5", "--id", run_id).exit_code == 0
    started = client.wait_for_wf_run(run_id, ("EXCEPTION",), timeout=20)["startTime"]
    window = ("--earliest-start", started, "--latest-start", started)
    created = cli("bulk", "delete", "cli-refusal", "--status", "exception", *window, "--id", run_id)
    assert created.exit_code == 0, created.output
    assert created.output.startswith(
        f"BulkJob {run_id}: delete EXCEPTION WfRuns of cli-refusal started {started}"
    )
    shown = cli("bulk", "get", run_id)
    assert shown.exit_code == 0, shown.output
    assert ", COMPLETED, created 20" in flat(shown.output)
    assert f"subprocess 0: COMPLETED, last deleted WfRun started {started}" in shown.output
    assert run_id in cli("bulk", "search", "--status", "completed").output.split()
    deadline = time.monotonic() + 20
    while True:
        try:
            client.get_wf_run(run_id)
        except CanterError as exc:
            assert exc.code == "NOT_FOUND"
            break
        assert time.monotonic() < deadline, "the WfRun was never deleted"
        time.sleep(0.2)
    assert cli("bulk", "remove", run_id).exit_code == 0
    assert run_id not in cli("bulk", "search").output.split()
    assert cli("bulk", "get", run_id).exit_code == 3


def test_bulk_delete_of_running_wf_runs_exits_1_and_says_why(cli: Cli, deployed: None) -> None:
    refused = cli("bulk", "delete", "cli-refusal", "--status", "RUNNING")
    assert refused.exit_code == 1
    assert "wfRunStatus must be a terminal status" in flat(refused.output)
