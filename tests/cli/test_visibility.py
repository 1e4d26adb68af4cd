"""``canter search|delete|await|list taskRun``, the CLI's refusals and hints (lhctl's level)."""

from __future__ import annotations

import json
import time

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.cli import progress, queue_hint
from google.protobuf.json_format import ParseDict
from littlehorse.model import (
    TaskDefIdList,
    TaskRunList,
    WfRunIdList,
    WfSpecIdList,
    WorkflowEvent,
    WorkflowEventIdList,
)

from .conftest import Cli, flat, rows

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def greeted(cli: Cli, deployed: None) -> str:
    result = cli("run", "cli-greeting", "name=Vi", "--id", "cli-vis-1", "--wait")
    assert result.exit_code == 0, result.output
    return "cli-vis-1"


def test_search_wf_spec_and_task_def_by_prefix(cli: Cli, deployed: None) -> None:
    table = cli("search", "wfSpec", "--prefix", "cli-gre")
    assert table.exit_code == 0, table.output
    assert ["cli-greeting", "v0.0"] in rows(table.output)
    as_json = json.loads(cli("search", "wfSpec", "--prefix", "cli-gre", "--json").stdout)
    ParseDict(as_json, WfSpecIdList())
    assert as_json["results"] == [{"name": "cli-greeting"}]
    tasks = json.loads(cli("search", "taskDef", "--prefix", "cli-", "--json").stdout)
    ParseDict(tasks, TaskDefIdList())
    assert {"name": "cli-greet"} in tasks["results"]
    assert ["cli-greet"] in rows(cli("search", "taskDef", "--prefix", "cli-").output)


def test_search_wf_run_without_a_wf_spec_prints_the_bookmark_on_one_line(
    cli: Cli, greeted: str
) -> None:
    found = json.loads(cli("search", "wfRun", "--status", "COMPLETED", "--json").stdout)
    ParseDict(found, WfRunIdList())
    assert {"id": greeted} in found["results"]
    assert cli("run", "cli-greeting", "name=Bo", "--id", "cli-vis-2", "--wait").exit_code == 0
    paged = cli("search", "wfRun", "--status", "COMPLETED", "--limit", "1")
    assert paged.exit_code == 0, paged.output
    (more,) = [line for line in paged.output.splitlines() if line.startswith("more:")]
    bookmark = more.removeprefix("more: --bookmark ")
    assert " " not in bookmark
    again = cli("search", "wfRun", "--status", "COMPLETED", "--bookmark", bookmark, "--json")
    assert again.exit_code == 0, again.output


def test_delete_task_def_then_get_is_not_found(cli: Cli, client: Client) -> None:
    client.put_task_def({"name": "cli-vis-doomed"})
    deleted = cli("delete", "taskDef", "cli-vis-doomed")
    assert deleted.exit_code == 0, deleted.output
    assert deleted.output == "TaskDef cli-vis-doomed: deleted\n"
    assert cli("get", "taskDef", "cli-vis-doomed").exit_code == 3
    assert cli("delete", "taskDef", "cli-vis-doomed").exit_code == 3


def test_stop_refuses_a_finished_run_and_a_missing_thread(cli: Cli, greeted: str) -> None:
    finished = cli("stop", greeted)
    assert finished.exit_code == 1
    assert "is COMPLETED: there is nothing to stop" in finished.output
    missing = cli("stop", greeted, "--thread", "7")
    assert missing.exit_code == 1


def test_not_found_names_the_command_and_the_closest_name(cli: Cli, deployed: None) -> None:
    result = cli("get", "wfSpec", "cli-greetng")
    assert result.exit_code == 3
    assert "canter deploy" in result.output
    assert "did you mean 'cli-greeting'?" in result.output
    assert "PutWfSpec" not in result.output


def test_await_and_list_workflow_events(cli: Cli, client: Client, deployed: None) -> None:
    def body(t: WorkflowThread) -> None:
        t.throw_event("cli-vis-done", "shipped")

    client.put_workflow_event_def("cli-vis-done", {"returnType": {"primitiveType": "STR"}})
    client.put_wf_spec(Workflow("cli-vis-events", body))
    assert cli("run", "cli-vis-events", "--id", "cli-vis-ev-1").exit_code == 0
    awaited = cli("await", "workflowEvent", "cli-vis-ev-1", "cli-vis-done", "--json")
    assert awaited.exit_code == 0, awaited.output
    ParseDict(json.loads(awaited.stdout), WorkflowEvent())
    text = cli("await", "workflowEvent", "cli-vis-ev-1")
    assert text.output.startswith("WorkflowEvent cli-vis-done #0 of WfRun cli-vis-ev-1 at ")
    assert text.output.rstrip().endswith('"shipped"')
    listed = cli("list", "workflowEvent", "cli-vis-ev-1")
    assert rows(listed.output)[1][:3] == ["0", "cli-vis-done", "shipped"]
    searched = ("search", "workflowEvent", "--workflow-event-def", "cli-vis-done")
    found = cli(*searched, "--json")
    assert found.exit_code == 0, found.output
    ParseDict(json.loads(found.stdout), WorkflowEventIdList())
    assert ["cli-vis-ev-1", "cli-vis-done", "0"] in rows(cli(*searched).output)


def test_list_task_runs_table_and_json(cli: Cli, greeted: str) -> None:
    table = cli("list", "taskRun", greeted)
    assert table.exit_code == 0, table.output
    assert rows(table.output)[1][:4] == ["0-1", "cli-greet", "TASK_SUCCESS", "1"]
    as_json = json.loads(cli("list", "taskRun", greeted, "--json").stdout)
    ParseDict(as_json, TaskRunList())


def test_delete_wf_run_still_takes_just_the_id(cli: Cli, client: Client, deployed: None) -> None:
    assert cli("run", "cli-greeting", "name=Al", "--id", "cli-vis-del", "--wait").exit_code == 0
    assert cli("delete", "cli-vis-del").output == "WfRun cli-vis-del: delete requested\n"
    deadline = time.monotonic() + 10
    while cli("get", "wfRun", "cli-vis-del").exit_code != 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_task_without_a_worker_gets_a_hint_with_its_queue_depth(
    cli: Cli, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue_hint, "WAIT_HINT_SECONDS", 0.5)
    monkeypatch.setattr(progress, "HINT_CHECK_SECONDS", 0.5)

    def body(t: WorkflowThread) -> None:
        t.execute("cli-vis-idle")

    client.put_task_def({"name": "cli-vis-idle"})
    client.put_wf_spec(Workflow("cli-vis-idle-wf", body))
    waited = cli("run", "cli-vis-idle-wf", "--id", "cli-vis-idle-1", "--wait", "--timeout", "3")
    assert waited.exit_code == 1
    hint = "task 0-1 (cli-vis-idle) has waited"
    assert hint in waited.output
    assert "queue canter-local-task-cli-vis-idle" in flat(waited.output)
    assert "1 waiting, 0 being run" in flat(waited.output)
    assert "no worker may be running for TaskDef 'cli-vis-idle'" in flat(waited.output)
    assert "start one: canter worker" in flat(waited.output)
    got = cli("get", "wfRun", "cli-vis-idle-1")
    assert hint in got.output


def test_deploy_registers_the_workflow_event_defs_a_wf_spec_throws(
    cli: Cli, client: Client
) -> None:
    result = cli("deploy", "examples.concepts.workflow_events")
    assert result.exit_code == 0, result.output
    assert ["WorkflowEventDef", "shipped", ""] in rows(result.output)
    assert client.get_workflow_event_def("shipped")["id"] == {"name": "shipped"}
    again = cli("deploy", "examples.concepts.workflow_events")
    assert again.exit_code == 0, again.output
