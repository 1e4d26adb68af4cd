"""Search and delete definitions, and WorkflowEventDefs, through the local stack's HTTP API.

Every response is parsed into LittleHorse's own message class.
"""

from __future__ import annotations

from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from google.protobuf.json_format import ParseDict
from littlehorse.model import (
    ExternalEventDefIdList,
    TaskDefIdList,
    WfSpecIdList,
    WorkflowEventDef,
    WorkflowEventDefIdList,
)

from .support import Names, register


def _names(page: dict[str, Any]) -> list[str]:
    return [r["name"] for r in page["results"]]


def test_search_task_def_by_prefix_pages_with_bookmarks(client: Client, names: Names) -> None:
    prefix = names("td")
    for n in range(5):
        client.put_task_def({"name": f"{prefix}-{n}"})
    client.put_task_def({"name": names("other")})
    first = client.search("SearchTaskDef", {"prefix": prefix, "limit": 3})
    ParseDict(first, TaskDefIdList())
    assert _names(first) == [f"{prefix}-{n}" for n in range(3)]
    second = client.search("SearchTaskDef", {"prefix": prefix, "bookmark": first["bookmark"]})
    ParseDict(second, TaskDefIdList())
    assert _names(second) == [f"{prefix}-3", f"{prefix}-4"]
    assert "bookmark" not in second


def test_search_refuses_a_foreign_bookmark(client: Client, names: Names) -> None:
    prefix = names("td")
    for n in range(2):
        client.put_task_def({"name": f"{prefix}-{n}"})
    page = client.search("SearchTaskDef", {"prefix": prefix, "limit": 1})
    with pytest.raises(InvalidArgument, match="bookmark"):
        client.search("SearchExternalEventDef", {"bookmark": page["bookmark"]})


def test_delete_task_def_removes_it_and_its_search_entry(client: Client, names: Names) -> None:
    name = names("td")
    client.put_task_def({"name": name, "inputVars": [{"name": "a", "type": "INT"}]})
    client.delete_task_def(name)
    with pytest.raises(NotFound):
        client.get_task_def(name)
    assert _names(client.search("SearchTaskDef", {"prefix": name})) == []
    # The changed signature can now be registered under the same name.
    changed = client.put_task_def({"name": name, "inputVars": [{"name": "b", "type": "STR"}]})
    assert changed["inputVars"][0]["name"] == "b"
    with pytest.raises(NotFound, match="does not exist"):
        client.delete_task_def(names("never"))


def test_search_and_delete_external_event_def(client: Client, names: Names) -> None:
    name = names("evt")
    client.put_external_event_def(name)
    page = client.search("SearchExternalEventDef", {"prefix": name})
    ParseDict(page, ExternalEventDefIdList())
    assert _names(page) == [name]
    client.delete_external_event_def(name)
    with pytest.raises(NotFound):
        client.get_external_event_def(name)
    assert _names(client.search("SearchExternalEventDef", {"prefix": name})) == []


def test_search_wf_spec_by_name_prefix_and_task_def(client: Client, names: Names) -> None:
    task = names("task")
    name = names("wf")

    def one_task(note: str) -> Any:
        def body(t: WorkflowThread) -> None:
            t.declare_str("note", note)
            t.execute(task)

        return body

    register(client, name, one_task("a"), {task: {}})
    register(client, name, one_task("b"))
    register(client, names("wf2"), one_task("a"))
    by_name = client.search("SearchWfSpec", {"name": name})
    ParseDict(by_name, WfSpecIdList())
    assert by_name["results"] == [{"name": name}, {"name": name, "revision": 1}]
    by_prefix = client.search("SearchWfSpec", {"prefix": name})
    assert [r["name"] for r in by_prefix["results"]] == [name, name, names("wf2")]
    by_task = client.search("SearchWfSpec", {"taskDefName": task})
    assert len(by_task["results"]) == 3
    with pytest.raises(InvalidArgument, match="oneof"):
        client.search("SearchWfSpec", {"name": name, "prefix": name})


def test_delete_wf_spec_version(client: Client, names: Names) -> None:
    task = names("task")
    name = names("wf")

    def body(t: WorkflowThread) -> None:
        t.execute(task)

    register(client, name, body, {task: {}})
    client.delete_wf_spec(name, 0, 0)
    with pytest.raises(NotFound):
        client.get_wf_spec(name)
    assert client.search("SearchWfSpec", {"name": name})["results"] == []
    assert client.search("SearchWfSpec", {"taskDefName": task})["results"] == []
    with pytest.raises(NotFound):
        client.delete_wf_spec(name, 0, 0)


def test_delete_wf_spec_refused_while_a_wf_run_runs(client: Client, names: Names) -> None:
    name = names("wf")
    event = names("go")

    def body(t: WorkflowThread) -> None:
        t.wait_for_event(event)

    register(client, name, body, events=(event,))
    run = client.run_wf(name)
    client.wait_for_wf_run(run["id"]["id"], ("RUNNING",))
    with pytest.raises(FailedPrecondition, match="canter stop"):
        client.delete_wf_spec(name)
    client.put_external_event(run["id"]["id"], event)
    client.wait_for_wf_run(run["id"]["id"])
    client.delete_wf_spec(name)


def test_put_get_search_delete_workflow_event_def(client: Client, names: Names) -> None:
    name = names("done")
    content = {"returnType": {"primitiveType": "STR"}}
    put = client.put_workflow_event_def(name, content)
    ParseDict(put, WorkflowEventDef())
    assert put["id"] == {"name": name}
    assert client.put_workflow_event_def(name, content) == put
    with pytest.raises(AlreadyExists):
        client.put_workflow_event_def(name, {"returnType": {"primitiveType": "INT"}})
    got = client.get_workflow_event_def(name)
    ParseDict(got, WorkflowEventDef())
    assert got == put
    page = client.search("SearchWorkflowEventDef", {"prefix": name})
    ParseDict(page, WorkflowEventDefIdList())
    assert _names(page) == [name]
    client.delete_workflow_event_def(name)
    with pytest.raises(NotFound, match="WorkflowEventDef"):
        client.get_workflow_event_def(name)
