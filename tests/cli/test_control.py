"""``canter post event``, ``stop``, ``resume`` and ``delete`` through the local stack."""

from __future__ import annotations

import json
import time

import pytest
from canter import Client

from .conftest import Cli, flat, rows

pytestmark = pytest.mark.e2e


def _wait_for_status(client: Client, wf_run_id: str, status: str) -> None:
    client.wait_for_wf_run(wf_run_id, (status,), timeout=20)


def test_post_event_completes_the_waiting_wf_run_once_per_guid(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    assert cli("run", "cli-approval-wf", "--id", run_id).exit_code == 0
    for _ in range(2):
        posted = cli("post", "event", run_id, "cli-approval", '{"ok": true}', "--guid", "g-1")
        assert posted.exit_code == 0, posted.output
        assert (
            posted.output == f'ExternalEvent cli-approval g-1 -> WfRun {run_id}: {{"ok": true}}\n'
        )
    _wait_for_status(client, run_id, "COMPLETED")
    assert client.variables(run_id)["decision"] == {"ok": True}
    events = json.loads(cli("list", "externalEvent", run_id, "--json").stdout)["results"]
    assert [event["id"]["guid"] for event in events] == ["g-1"]
    table = rows(cli("list", "externalEvent", run_id).output)
    assert table[1][:2] == ["cli-approval", "g-1"]
    assert table[1][3:] == ["thread 0, position 1", '{"ok": true}']


def test_post_event_content_must_be_json(cli: Cli, deployed: None) -> None:
    result = cli("post", "event", "any-run", "cli-approval", "yes")
    assert result.exit_code == 2
    assert "'yes' is not JSON; quote text as JSON, e.g. '\"yes\"'" in flat(result.output)


def test_post_event_to_a_wf_run_not_started_yet_keeps_it(cli: Cli, deployed: None) -> None:
    result = cli("post", "event", "cli-not-started-run", "cli-approval", "1", "--guid", "e-1")
    assert result.exit_code == 0, result.output
    assert "WfRun cli-not-started-run does not exist yet: the event waits" in flat(result.output)
    listed = cli("list", "externalEvent", "cli-not-started-run")
    assert rows(listed.output)[1][:2] == ["cli-approval", "e-1"]


def test_post_event_of_an_unknown_external_event_def_exits_3(cli: Cli, deployed: None) -> None:
    result = cli("post", "event", "any-run", "cli-no-such-event", "1")
    assert result.exit_code == 3
    assert result.output.startswith("canter: NOT_FOUND: ")


def test_stop_halts_and_resume_continues(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    assert cli("run", "cli-approval-wf", "--id", run_id).exit_code == 0
    _wait_for_status(client, run_id, "RUNNING")
    stopped = cli("stop", run_id)
    assert stopped.exit_code == 0, stopped.output
    assert stopped.output == f"WfRun {run_id}: stop requested (HALTING, then HALTED)\n"
    _wait_for_status(client, run_id, "HALTED")
    cli("post", "event", run_id, "cli-approval", "{}", "--guid", "while-halted")
    time.sleep(0.5)
    assert client.get_wf_run(run_id)["status"] == "HALTED"
    resumed = cli("resume", run_id, "--thread", "0")
    assert resumed.output == f"WfRun {run_id} thread 0: resume requested\n"
    _wait_for_status(client, run_id, "COMPLETED")


def test_delete_removes_the_wf_run(cli: Cli, client: Client, deployed: None, run_id: str) -> None:
    assert cli("run", "cli-greeting", "name=Ed", "--id", run_id, "--wait").exit_code == 0
    deleted = cli("delete", run_id)
    assert deleted.exit_code == 0
    assert deleted.output == f"WfRun {run_id}: delete requested\n"
    deadline = time.monotonic() + 10
    while cli("get", "wfRun", run_id).exit_code != 3:
        assert time.monotonic() < deadline, "the WfRun is still there 10 s after delete"
        time.sleep(0.1)
    assert cli("delete", run_id).exit_code == 3
