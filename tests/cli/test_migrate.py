"""``canter migrate`` through ``canter dev``: MigrateWfSpec, the report of WfRuns left
behind, and WorkflowMigrationPlans."""

from __future__ import annotations

import shlex
import time
import uuid

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.cli import app
from typer.testing import CliRunner

from .conftest import Cli, flat, rows
from .test_readme_walkthrough import block_after

pytestmark = pytest.mark.e2e


def _two_versions(client: Client) -> tuple[str, str, str]:
    """v0.0 waits for ``a`` then ``b``; v0.1 waits for ``a``, ``b`` and then ``c``."""
    name = f"cli-mig-{uuid.uuid4().hex[:8]}"
    a, b, c = (f"{name}-{x}" for x in "abc")
    for event in (a, b, c):
        client.put_external_event_def(event)

    def v1(wf: WorkflowThread) -> None:
        wf.wait_for_event(a)
        wf.wait_for_event(b)

    client.put_wf_spec(Workflow(name, v1).compile())
    return name, a, b


def _second(client: Client, name: str) -> None:
    def v2(wf: WorkflowThread) -> None:
        wf.wait_for_event(f"{name}-a")
        wf.wait_for_event(f"{name}-b")
        wf.wait_for_event(f"{name}-c")

    assert client.put_wf_spec(Workflow(name, v2).compile())["id"]["revision"] == 1


def _waiting_at(client: Client, wf_run_id: str, position: int) -> None:
    deadline = time.monotonic() + 20
    while (
        client.get_wf_run(wf_run_id).get("threadRuns", [{}])[0].get("currentNodePosition")
        != position
    ):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_every_migrate_command_has_help_with_an_example() -> None:
    for command in (
        ["migrate", "wfspec"],
        ["migrate", "pending"],
        ["migrate", "apply"],
        *(["migrate", "plan", verb] for verb in ("put", "get", "search", "delete")),
    ):
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        assert f"Example: canter {' '.join(command)}" in result.output, command


def test_migrate_wfspec_moves_waiting_runs_and_pending_lists_the_others(
    cli: Cli, client: Client
) -> None:
    name, a, _ = _two_versions(client)
    at_a = client.run_wf(name)["id"]["id"]
    at_b = client.run_wf(name)["id"]["id"]
    client.put_external_event(at_b, a)
    _waiting_at(client, at_a, 1)
    _waiting_at(client, at_b, 2)
    _second(client, name)
    node_a = f"1-{a}-EXTERNAL_EVENT"
    moved = cli(
        "migrate", "wfspec", name, "--from", "0.0", "--to", "0.1", "--node", f"{node_a}={node_a}"
    )
    assert moved.exit_code == 0, moved.output
    assert flat(moved.output).startswith(f"WfSpec {name} v0.0: migration to v0.1 recorded")
    deadline = time.monotonic() + 20
    while client.get_wf_run(at_a)["wfSpecId"].get("revision") != 1:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    report = cli("migrate", "pending", name, "--from", "0.0")
    assert report.exit_code == 0, report.output
    assert rows(report.output)[1:] == [
        [at_b, "0", f"2-{name}-b-EXTERNAL_EVENT", "the migration does not map this node"]
    ]


def test_a_plan_is_put_shown_found_applied_and_deleted(cli: Cli, client: Client) -> None:
    name, a, _ = _two_versions(client)
    wf_run_id = client.run_wf(name)["id"]["id"]
    _waiting_at(client, wf_run_id, 1)
    _second(client, name)
    plan = f"{name}-plan"
    node_a, node_c = f"1-{a}-EXTERNAL_EVENT", f"3-{name}-c-EXTERNAL_EVENT"
    put = cli(
        "migrate", "plan", "put", plan, name, "--from", "0.0", "--to", "0.1", "--node",
        f"{node_a}={node_c}",
    )  # fmt: skip
    assert put.exit_code == 0, put.output
    assert put.output == f"WorkflowMigrationPlan {plan}: {name} v0.0 -> v0.1\n"
    shown = cli("migrate", "plan", "get", plan)
    assert shown.exit_code == 0, shown.output
    assert ["entrypoint", "entrypoint", node_a, node_c] in rows(shown.output)
    assert cli("migrate", "plan", "search", "--wfspec", name).output.split() == [plan]
    applied = cli("migrate", "apply", plan, wf_run_id)
    assert applied.exit_code == 0, applied.output
    assert applied.output == f"WfRun {wf_run_id} moves to {name} v0.1 by plan {plan}\n"
    client.put_external_event(wf_run_id, f"{name}-c")
    client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=20)
    assert cli("migrate", "plan", "delete", plan).exit_code == 0
    assert cli("migrate", "plan", "get", plan).exit_code == 3


def test_a_bad_version_is_a_usage_error(cli: Cli) -> None:
    refused = cli("migrate", "pending", "anything", "--from", "one")
    assert refused.exit_code == 2
    assert "'one' is not MAJOR.REVISION" in flat(refused.output)


def test_the_readme_migration_runs_as_written(cli: Cli, client: Client) -> None:
    """README "Migrating running WfRuns": its commands, then the WfRun it describes."""
    *commands, report = [
        shlex.split(line) for line in block_after("migration").splitlines() if line
    ]
    for command in commands:
        assert command[0] == "canter"
        result = cli(*command[1:])
        assert result.exit_code == 0, (command, result.output)
    deadline = time.monotonic() + 20
    while (wf_run := client.get_wf_run("buy-1"))["threadRuns"][0].get("currentNodePosition") != 3:
        assert time.monotonic() < deadline, wf_run
        time.sleep(0.1)
    assert wf_run["wfSpecId"] == {"name": "purchase", "revision": 1}
    assert wf_run["oldWfSpecVersions"] == [{"name": "purchase"}]
    waiting = client.get_node_run("buy-1", 0, 3)
    assert waiting["nodeName"] == "2-finance-decision-EXTERNAL_EVENT"
    assert cli(*report[1:]).output == "No running WfRun of purchase v0.0 is waiting to move\n"
