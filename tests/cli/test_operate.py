"""``canter rescue`` (and ``canter schedule``) through ``canter dev``."""

from __future__ import annotations

import pytest
from canter import Client

from .conftest import Cli, flat

pytestmark = pytest.mark.e2e


def test_rescue_reruns_the_failed_node(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    assert cli("run", "cli-impatient", "--id", run_id).exit_code == 0
    client.wait_for_wf_run(run_id, ("ERROR",), timeout=20)
    # The approval arrives late; the node run again takes it at once (a wait
    # of one second after the rescue would race a loaded machine).
    assert cli("post", "event", run_id, "cli-approval", '{"ok": true}').exit_code == 0
    rescued = cli("rescue", run_id)
    assert rescued.exit_code == 0, rescued.output
    assert rescued.output == (
        f"WfRun {run_id} thread 0: rescue requested (running its failed node again)\n"
    )
    client.wait_for_wf_run(run_id, ("COMPLETED",), timeout=20)


def test_rescue_of_a_run_that_did_not_fail_with_an_error_exits_1(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    assert cli("run", "cli-refusal", "amount=5", "--id", run_id).exit_code == 0
    client.wait_for_wf_run(run_id, ("EXCEPTION",), timeout=20)
    refused = cli("rescue", run_id, "--skip")
    assert refused.exit_code == 1
    assert "FAILED_PRECONDITION" in refused.output
    assert "has status EXCEPTION, not ERROR" in flat(refused.output)


def test_schedule_create_get_search_delete(cli: Cli, deployed: None, run_id: str) -> None:
    created = cli("schedule", "create", "cli-greeting", "0 9 * * 1-5", "name=Ada", "--id", run_id)
    assert created.exit_code == 0, created.output
    assert created.output == f"ScheduledWfRun {run_id}: cli-greeting at '0 9 * * 1-5' (UTC)\n"
    shown = cli("schedule", "get", run_id)
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(
        f"ScheduledWfRun {run_id}: cli-greeting v0.0 at '0 9 * * 1-5' (UTC), created 20"
    )
    assert run_id in cli("schedule", "search", "cli-greeting").output.split()
    assert cli("schedule", "delete", run_id).exit_code == 0
    assert run_id not in cli("schedule", "search", "cli-greeting").output.split()
    assert cli("schedule", "get", run_id).exit_code == 3


def test_schedule_with_a_bad_cron_exits_1_and_says_why(cli: Cli, deployed: None) -> None:
    refused = cli("schedule", "create", "cli-greeting", "0 25 * * *", "name=Ada")
    assert refused.exit_code == 1
    assert "hour '25' is not in 0-23" in flat(refused.output)
