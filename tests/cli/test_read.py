"""``canter get``, ``list`` and ``search``: tables for people, the API's JSON for scripts."""

from __future__ import annotations

import json
import time

import pytest
from canter import Client, WorkflowThread

from tests.runtime.support import register

from .conftest import Cli, DevStack, rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def greeted(cli: Cli, client: Client, deployed: None) -> str:
    """A COMPLETED run of cli-greeting, read by every test here."""
    result = cli("run", "cli-greeting", "name=Ada", "--id", "cli-read-1", "--wait")
    assert result.exit_code == 0, result.output
    return "cli-read-1"


def test_get_wf_run_is_a_tree_of_threads_and_node_runs(cli: Cli, greeted: str) -> None:
    result = cli("get", "wfRun", greeted)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"WfRun {greeted}  cli-greeting v0.0  COMPLETED"
    assert lines[1] == "└── thread 0 entrypoint  COMPLETED"
    assert lines[2:5] == [
        "    ├──   0 0-entrypoint-ENTRYPOINT  COMPLETED",
        "    ├──   1 1-cli-greet-TASK  COMPLETED  -> Hello, Ada!",
        "    └──   2 2-exit-EXIT  COMPLETED",
    ]


def test_get_wf_run_json_is_the_api_response(cli: Cli, client: Client, greeted: str) -> None:
    result = cli("get", "wfRun", greeted, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == client.get_wf_run(greeted)


def test_get_node_run_and_its_task_run(cli: Cli, client: Client, greeted: str) -> None:
    node = json.loads(cli("get", "nodeRun", greeted, "0", "1", "--json").stdout)
    assert node == client.get_node_run(greeted, 0, 1)
    table = cli("get", "nodeRun", greeted, "0", "1").output
    assert ["0", "1", "1-cli-greet-TASK", "TASK", "COMPLETED", "-> Hello, Ada!"] in rows(table)
    guid = node["task"]["taskRunId"]["taskGuid"]
    task_run = cli("get", "taskRun", greeted, guid)
    assert task_run.exit_code == 0, task_run.output
    table_rows = rows(task_run.output)
    assert ["TaskDef", "cli-greet"] in table_rows
    assert ["input name", "Ada"] in table_rows
    assert ["attempts", "1 of 1"] in table_rows
    assert table_rows[-1][:2] == ["0", "TASK_SUCCESS"]
    assert table_rows[-1][-1] == "-> Hello, Ada!"
    as_json = json.loads(cli("get", "taskRun", greeted, guid, "--json").stdout)
    assert as_json == client.get_task_run(greeted, guid)


def test_get_variable_keeps_masked_values_masked(cli: Cli, greeted: str) -> None:
    shown = cli("get", "variable", greeted, "secret")
    assert rows(shown.output)[1:] == [["0", "secret", "STR", "***** (masked)"]]
    raw = json.loads(cli("get", "variable", greeted, "secret", "--json").stdout)
    assert raw["masked"] is True
    assert "hunter2" not in shown.output + json.dumps(raw)


def test_get_wf_spec_shows_what_run_takes(cli: Cli, deployed: None) -> None:
    result = cli("get", "wfSpec", "cli-greeting")
    assert result.exit_code == 0, result.output
    assert "WfSpec cli-greeting v0.0" in result.output
    assert "var name: STR  [required]" in result.output
    assert "var secret: STR (masked)  [default hunter2]" in result.output
    assert json.loads(cli("get", "wfSpec", "cli-greeting", "--json").stdout)["id"] == {
        "name": "cli-greeting"
    }


def test_get_task_def(cli: Cli, deployed: None) -> None:
    result = cli("get", "taskDef", "cli-greet")
    assert ["signature", "(name: STR) -> STR"] in rows(result.output)
    assert ["task queue", "cli-greet"] in rows(result.output)
    as_json = json.loads(cli("get", "taskDef", "cli-greet", "--json").stdout)
    assert as_json["id"] == {"name": "cli-greet"} and "taskQueue" not in as_json


def test_get_external_event_def(cli: Cli, deployed: None) -> None:
    result = cli("get", "externalEventDef", "cli-approval")
    assert result.output.splitlines()[0].rstrip() == "ExternalEventDef cli-approval"
    assert rows(result.output)[0][0] == "created"
    as_json = json.loads(cli("get", "externalEventDef", "cli-approval", "--json").stdout)
    assert as_json["id"] == {"name": "cli-approval"}


def test_list_node_runs_and_variables(cli: Cli, client: Client, greeted: str) -> None:
    nodes = cli("list", "nodeRun", greeted)
    assert [row[2] for row in rows(nodes.output)[1:]] == [
        "0-entrypoint-ENTRYPOINT",
        "1-cli-greet-TASK",
        "2-exit-EXIT",
    ]
    assert json.loads(cli("list", "nodeRun", greeted, "--json").stdout) == {
        "results": client.list_node_runs(greeted)
    }
    variables = cli("list", "variable", greeted)
    assert rows(variables.output)[1:] == [
        ["0", "message", "STR", "Hello, Ada!"],
        ["0", "name", "STR", "Ada"],
        ["0", "secret", "STR", "***** (masked)"],
    ]
    names = [
        v["id"]["name"]
        for v in json.loads(cli("list", "variable", greeted, "--json").stdout)["results"]
    ]
    assert sorted(names) == ["message", "name", "secret"]


def test_search_by_wf_spec_and_status(cli: Cli, greeted: str) -> None:
    completed = cli("search", "wfRun", "--wf-spec", "cli-greeting", "--status", "COMPLETED")
    assert completed.exit_code == 0, completed.output
    assert greeted in [row[0] for row in rows(completed.output)]
    failed = json.loads(
        cli("search", "wfRun", "--wf-spec", "cli-greeting", "--status", "ERROR", "--json").stdout
    )
    assert failed == {"results": []}


def test_search_needs_a_known_status(cli: Cli) -> None:
    assert cli("search", "wfRun", "--wf-spec", "x", "--status", "DONE").exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ("get", "wfRun", "cli-no-such-run"),
        ("get", "nodeRun", "cli-no-such-run", "0", "1"),
        ("get", "variable", "cli-no-such-run", "x"),
        ("get", "taskDef", "cli-no-such-task"),
        ("get", "wfSpec", "cli-no-such-spec"),
        ("list", "nodeRun", "cli-no-such-run"),
        ("list", "variable", "cli-no-such-run", "--json"),
    ],
)
def test_not_found_exits_3_with_one_line(cli: Cli, stack: DevStack, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.exit_code == 3
    assert result.output.startswith("canter: NOT_FOUND: ")
    assert result.output.count("\n") == 1


def test_get_wf_run_of_a_fan_out_shows_a_page_of_threads(cli: Cli, client: Client) -> None:
    """A wide WfRun's tree is shown a page of threads at a time, each thread's
    NodeRuns read on their own, with the command for the next page."""

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items").required()
        t.wait_for_threads(
            t.spawn_thread_for_each(items, lambda c: c.wait_for_event("cli-go"), "child")
        )

    register(client, "cli-fan-out", body, events=("cli-go",))
    run_id = client.run_wf("cli-fan-out", {"items": [1, 2, 3, 4, 5]})["id"]["id"]
    deadline = time.monotonic() + 60
    while len(client.list_node_runs(run_id, 5)) < 2:
        assert time.monotonic() < deadline, "the children never started"
        time.sleep(0.2)
    result = cli("get", "wfRun", run_id, "--threads", "2", "--from-thread", "1")
    assert result.exit_code == 0, result.output
    shown = [line for line in result.output.splitlines() if "thread " in line]
    assert [line.split("thread ")[1].split()[0] for line in shown[:2]] == ["1", "2"]
    assert "    ├──   0 0-entrypoint-ENTRYPOINT  COMPLETED" in result.output
    assert f"threads 1-2 of 6; the next ones: canter get wfRun {run_id} --from-thread 3" in (
        " ".join(result.output.split())
    )
