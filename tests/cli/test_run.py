"""``canter run``: values typed by the WfSpec, --wait with its exit codes, --json."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

import pytest
from canter import Client

from .conftest import Cli, DevStack, flat, rows

pytestmark = pytest.mark.e2e


def test_run_starts_a_wf_run_and_returns_at_once(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    result = cli("run", "cli-greeting", "name=Ada", "--id", run_id)
    assert result.exit_code == 0, result.output
    assert result.output == f"WfRun {run_id} started (cli-greeting v0.0)\n"
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"


def test_run_wait_shows_the_node_runs_and_variables_and_exits_0(
    cli: Cli, deployed: None, run_id: str
) -> None:
    result = cli("run", "cli-greeting", "name=Ada", "--id", run_id, "--wait")
    assert result.exit_code == 0, result.output
    assert f"WfRun {run_id}  cli-greeting v0.0  COMPLETED" in result.output
    assert "1 1-cli-greet-TASK  COMPLETED  -> Hello, Ada!" in result.output
    assert ["0", "message", "STR", "Hello, Ada!"] in rows(result.output)
    assert ["0", "secret", "STR", "***** (masked)"] in rows(result.output)
    assert "hunter2" not in result.output
    assert result.output.endswith(f"WfRun {run_id} COMPLETED\n")


def test_run_wait_exits_1_when_the_wf_run_fails(cli: Cli, deployed: None, run_id: str) -> None:
    result = cli("run", "cli-refusal", "amount=5", "--id", run_id, "--wait")
    assert result.exit_code == 1
    assert "not-allowed" in result.output
    assert result.output.endswith(f"WfRun {run_id} EXCEPTION\n")


def test_run_wait_json_prints_the_final_wf_run(cli: Cli, deployed: None, run_id: str) -> None:
    result = cli("run", "cli-greeting", "name=Bo", "--id", run_id, "--wait", "--json")
    assert result.exit_code == 0, result.output
    wf_run = json.loads(result.stdout)
    assert wf_run["id"] == {"id": run_id}
    assert wf_run["status"] == "COMPLETED"


def test_run_wait_gives_up_after_the_timeout_with_exit_1(
    cli: Cli, deployed: None, run_id: str
) -> None:
    result = cli("run", "cli-approval-wf", "--id", run_id, "--wait", "--timeout", "0.5")
    assert result.exit_code == 1
    # Under load the scheduler may not have taken the first step within 0.5 s.
    assert re.search(
        rf"canter: WfRun {run_id} is still (STARTING|RUNNING) after 0\.5 s", result.output
    )


def test_values_are_parsed_by_the_declared_types(
    cli: Cli, client: Client, deployed: None, run_id: str
) -> None:
    result = cli(
        "run",
        "cli-typed",
        "i=42",
        "d=2.5",
        "b=true",
        "s=42",
        f"raw={base64.b64encode(b'hi').decode()}",
        'obj={"a": [1, 2]}',
        'arr=[1, "x"]',
        "at=2026-01-31T12:00:00Z",
        "other=wf-7",
        "--id",
        run_id,
        "--wait",
    )
    assert result.exit_code == 0, result.output
    assert client.variables(run_id) == {
        "i": 42,
        "d": 2.5,
        "b": True,
        "s": "42",
        "raw": b"hi",
        "obj": {"a": [1, 2]},
        "arr": [1, "x"],
        "at": datetime(2026, 1, 31, 12, tzinfo=UTC),
        "other": "wf-7",
    }


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("i=4.5", "variable 'i' is INT: expected an integer, e.g. 42, got '4.5'"),
        ("b=maybe", "variable 'b' is BOOL: expected true or false, got 'maybe'"),
        ("obj=[1]", "variable 'obj' is JSON_OBJ: expected a JSON object"),
        ("at=yesterday", "variable 'at' is TIMESTAMP: expected an ISO-8601 time"),
        ("nope=1", "WfSpec 'cli-typed' has no variable 'nope'; its variables: i (INT), d (DOUBLE)"),
        ("i", "'i' is not name=value"),
    ],
)
def test_a_bad_value_is_a_usage_error_naming_the_variable_and_type(
    cli: Cli, deployed: None, assignment: str, message: str
) -> None:
    result = cli("run", "cli-typed", assignment)
    assert result.exit_code == 2
    assert message in flat(result.output)


def test_a_missing_required_variable_is_refused_by_the_api_with_exit_1(
    cli: Cli, deployed: None
) -> None:
    result = cli("run", "cli-greeting")
    assert result.exit_code == 1
    assert result.output == (
        "canter: INVALID_ARGUMENT: RunWf 'cli-greeting': variables.name: required input of "
        "WfSpec 'cli-greeting' is missing\n"
    )


def test_an_unknown_wf_spec_exits_3_with_one_line(cli: Cli, stack: DevStack) -> None:
    result = cli("run", "no-such-workflow", "--wait")
    assert result.exit_code == 3
    assert result.output == (
        "canter: NOT_FOUND: WfSpec 'no-such-workflow' does not exist; register it with "
        "canter deploy <module>\n"
    )


def test_running_again_with_the_same_id_is_the_same_wf_run(
    cli: Cli, deployed: None, run_id: str
) -> None:
    first = cli("run", "cli-greeting", "name=Cy", "--id", run_id, "--json")
    again = cli("run", "cli-greeting", "name=Cy", "--id", run_id, "--json")
    assert first.exit_code == again.exit_code == 0
    assert json.loads(first.stdout)["id"] == json.loads(again.stdout)["id"] == {"id": run_id}
    changed = cli("run", "cli-greeting", "name=Di", "--id", run_id)
    assert changed.exit_code == 1
    assert changed.output.startswith(f"canter: ALREADY_EXISTS: WfRun {run_id!r} already exists")
