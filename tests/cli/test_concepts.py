"""Every concept example in the README deploys, runs and ends as the README says."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from canter import Client

from tests.runtime.support import worker

from .conftest import Cli

pytestmark = pytest.mark.e2e

MODULES = (
    "variables",
    "tasks",
    "conditions",
    "expressions",
    "events",
    "sleep",
    "threads",
    "failures",
    "interrupts",
    "workflow_events",
    "child_workflows",
)


@pytest.fixture(scope="module")
def concepts(cli: Cli, client: Client) -> Iterator[None]:
    tasks: list[Any] = []
    for name in MODULES:
        result = cli("deploy", f"examples.concepts.{name}")
        assert result.exit_code == 0, result.output
        tasks += getattr(importlib.import_module(f"examples.concepts.{name}"), "TASKS", [])
    with worker(client, tasks):
        yield


def _variables(cli: Cli, wf_run_id: str) -> dict[str, Any]:
    listed = json.loads(cli("list", "variable", wf_run_id, "--json").stdout)["results"]
    return {v["id"]["name"]: v.get("value") for v in listed if not v["id"].get("threadRunNumber")}


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (
            ["signup", "email=ada@example.com", "password=s3cret", "age=36"],
            0,
            {"adult": {"bool": True}, "plan": {"str": "free"}, "password": {"str": "*****"}},
        ),
        (["payment", "amount=25"], 0, {"receipt": {"str": "charged 25.0 on attempt 1"}}),
        (["payment", "amount=5000"], 1, {}),
        (["countdown", "n=3"], 0, {"size": {"str": "small"}, "seen": {"jsonArr": "[3,2,1]"}}),
        (
            ["invoice", "price=9.5", "quantity=2", 'customer={"name": "Ada"}'],
            0,
            {"total": {"double": 24.0}, "line": {"str": "Ada owes 24.0"}},
        ),
        (["approval", "request=laptop", "wait-seconds=1"], 1, {}),
        (["reminder", "delay-seconds=1"], 0, {"state": {"str": "reminded"}}),
        (["booking", "seat=A1"], 0, {"outcome": {"str": "booked"}}),
        (["booking", "seat=Z9"], 0, {"outcome": {"str": "waitlisted"}}),
        (["shipment", "tracking=T-1"], 0, {}),
        (["fulfil", "order=o-9"], 0, {"label": {"str": "LABEL-o-9"}}),
    ],
)
def test_concept_runs_as_documented(
    cli: Cli,
    concepts: None,
    run_id: str,
    args: list[str],
    exit_code: int,
    expected: dict[str, Any],
) -> None:
    result = cli("run", *args, "--id", run_id, "--wait", "--timeout", "20")
    assert result.exit_code == exit_code, result.output
    variables = _variables(cli, run_id)
    assert {name: variables.get(name) for name in expected} == expected


def test_child_threads_write_their_parents_variables(
    cli: Cli, client: Client, concepts: None, run_id: str
) -> None:
    result = cli("run", "packing", 'items=["mug", "teapot"]', "--id", run_id, "--wait")
    assert result.exit_code == 0, result.output
    variables = client.variables(run_id)
    assert sorted(variables["packed"]) == ["packed mug", "packed teapot"]
    assert variables["label"] == "FRAGILE"


def test_an_event_completes_the_approval_and_stop_resume_hold_it(
    cli: Cli, client: Client, concepts: None, run_id: str
) -> None:
    assert cli("run", "approval", "request=laptop", "--id", run_id).exit_code == 0
    client.wait_for_wf_run(run_id, ("RUNNING",), timeout=10)
    assert cli("stop", run_id).exit_code == 0
    client.wait_for_wf_run(run_id, ("HALTED",), timeout=10)
    assert cli("resume", run_id).exit_code == 0
    posted = cli("post", "event", run_id, "manager-decision", '{"approved": true}')
    assert posted.exit_code == 0, posted.output
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(run_id)["decision"] == {"approved": True}


def test_each_interrupt_runs_its_handler_and_the_thread_goes_on(
    cli: Cli, client: Client, concepts: None, run_id: str
) -> None:
    assert cli("run", "subscription", "--id", run_id).exit_code == 0
    for guid in ("pause-1", "pause-2"):
        assert cli("post", "event", run_id, "pause-requested", "--guid", guid).exit_code == 0
        client.wait_for_wf_run(run_id, ("RUNNING",), timeout=10)
    assert cli("post", "event", run_id, "cancel-requested").exit_code == 0
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(run_id)["pauses"] == 2
