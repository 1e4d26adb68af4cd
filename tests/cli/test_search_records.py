"""``canter search variable|taskRun|nodeRun|externalEvent``: table and ``--json`` output."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from canter import Client, Workflow, WorkflowThread
from google.protobuf.json_format import ParseDict
from littlehorse.model import ExternalEventIdList, NodeRunIdList, TaskRunIdList, VariableIdList

from .conftest import Cli, rows

pytestmark = pytest.mark.e2e


def _json(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _eventually(cli: Cli, args: tuple[str, ...], count: int) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while len((page := _json(cli, *args))["results"]) < count:
        assert time.monotonic() < deadline, page
        time.sleep(0.1)
    return page


@pytest.fixture(scope="module")
def greeted(cli: Cli, deployed: None) -> str:
    result = cli("run", "cli-greeting", "name=Vi", "--id", "cli-search-task-1", "--wait")
    assert result.exit_code == 0, result.output
    return "cli-search-task-1"


def test_search_records_of_a_waiting_run(cli: Cli, client: Client) -> None:
    suffix = uuid.uuid4().hex[:8]
    name, event = f"cli-search-{suffix}", f"cli-search-go-{suffix}"

    def body(t: WorkflowThread) -> None:
        t.declare_str("customer").searchable()
        t.wait_for_event(event)

    client.put_external_event_def(event)
    client.put_wf_spec(Workflow(name, body).compile())
    wf_run_id = client.run_wf(name, {"customer": "ann"})["id"]["id"]

    by_value = ("search", "variable", "--wf-spec", name, "--name", "customer", "--value", "ann")
    found = _eventually(cli, by_value, 1)
    ParseDict(found, VariableIdList())
    assert found["results"] == [{"wfRunId": {"id": wf_run_id}, "name": "customer"}]
    assert [wf_run_id, "0", "customer"] in rows(cli(*by_value).output)
    bad = cli(*by_value[:-1], "yes", "--type", "BOOL")
    assert bad.exit_code != 0

    waiting = ("search", "nodeRun", "--external-event-def", event, "--status", "RUNNING")
    nodes = _eventually(cli, waiting, 1)
    ParseDict(nodes, NodeRunIdList())
    assert [wf_run_id, "0", "1"] in rows(cli(*waiting).output)

    guid = client.put_external_event(wf_run_id, event)["id"]["guid"]
    claimed = ("search", "externalEvent", "--external-event-def", event, "--claimed")
    events = _eventually(cli, claimed, 1)
    ParseDict(events, ExternalEventIdList())
    assert [wf_run_id, event, guid] in rows(cli(*claimed).output)
    unclaimed = _json(cli, "search", "externalEvent", "--external-event-def", event, "--unclaimed")
    assert unclaimed["results"] == []


def test_search_task_run_of_a_task_def(cli: Cli, greeted: str) -> None:
    found = _json(cli, "search", "taskRun", "--task-def", "cli-greet", "--status", "TASK_SUCCESS")
    ParseDict(found, TaskRunIdList())
    assert greeted in [r["wfRunId"]["id"] for r in found["results"]]
    table = cli("search", "taskRun", "--task-def", "cli-greet")
    assert table.exit_code == 0, table.output
    assert greeted in [row[0] for row in rows(table.output)]
