"""SearchVariable, SearchExternalEvent and SearchNodeRun through the local stack:
index entries only for searchable variables, ExternalEvents and EXTERNAL_EVENT
NodeRuns, newest first, a page at a time."""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import InvalidArgument
from canter_engine.model import values
from google.protobuf.json_format import ParseDict
from littlehorse.model import ExternalEventIdList, NodeRunIdList, TaskRunIdList, VariableIdList

from .support import Names, int_input, register, state_items, worker


def _variables(page: dict[str, Any]) -> list[tuple[str, int, str]]:
    ParseDict(page, VariableIdList())
    return [(r["wfRunId"]["id"], r.get("threadRunNumber", 0), r["name"]) for r in page["results"]]


def _events(page: dict[str, Any]) -> list[tuple[str, str]]:
    ParseDict(page, ExternalEventIdList())
    return [(r["wfRunId"]["id"], r["guid"]) for r in page["results"]]


def _eventually(search: Any, expected: Any) -> None:
    """The index is written when the scheduler applies the record: poll briefly."""
    deadline = time.monotonic() + 20
    while (found := search()) != expected:
        assert time.monotonic() < deadline, f"{found} != {expected}"
        time.sleep(0.1)


def test_search_variable_by_value_newest_first_in_pages(client: Client, names: Names) -> None:
    """WfRuns found by a searchable input's value; a variable not searchable has no entry."""
    event, name = names("go"), names("wf")

    def body(t: WorkflowThread) -> None:
        t.declare_str("customer").searchable()
        t.declare_str("note")
        t.wait_for_event(event)

    register(client, name, body, events=(event,))
    ids = []
    for customer in ("ann", "bob", "ann", "ann"):
        ids.append(client.run_wf(name, {"customer": customer, "note": customer})["id"]["id"])
        time.sleep(0.01)
    anns = [ids[3], ids[2], ids[0]]
    search = lambda: _variables(client.search_variable(name, "customer", {"str": "ann"}))  # noqa: E731
    _eventually(search, [(i, 0, "customer") for i in anns])
    first = client.search_variable(name, "customer", {"str": "ann"}, limit=2)
    assert [v[0] for v in _variables(first)] == anns[:2]
    rest = client.search_variable(
        name, "customer", {"str": "ann"}, limit=2, bookmark=first["bookmark"]
    )
    assert [v[0] for v in _variables(rest)] == anns[2:]
    assert "bookmark" not in rest
    assert _variables(client.search_variable(name, "customer", {"str": "bob"}))[0][0] == ids[1]
    # Not searchable: never indexed, so never found.
    assert _variables(client.search_variable(name, "note", {"str": "ann"})) == []
    assert (
        _variables(
            client.search_variable(name, "customer", {"str": "ann"}, major_version=0, revision=0)
        )
        != []
    )
    assert (
        _variables(
            client.search_variable(name, "customer", {"str": "ann"}, major_version=0, revision=1)
        )
        == []
    )


def test_search_variable_follows_a_changed_value(client: Client, names: Names) -> None:
    event, name = names("go"), names("wf")

    def body(t: WorkflowThread) -> None:
        count = t.declare_int("count").searchable()
        t.wait_for_event(event)
        count.assign(7)
        t.wait_for_event(event)

    register(client, name, body, events=(event,))
    wf_run_id = client.run_wf(name, {"count": 3})["id"]["id"]
    by = lambda n: _variables(client.search_variable(name, "count", {"int": n}))  # noqa: E731
    _eventually(lambda: by(3), [(wf_run_id, 0, "count")])
    client.put_external_event(wf_run_id, event)
    _eventually(lambda: by("7"), [(wf_run_id, 0, "count")])
    assert by(3) == []
    # One entry per searchable variable, overwritten in place when its value changes.
    entries = [sk for sk in state_items(wf_run_id) if sk.startswith("idx#var#")]
    assert entries == ["idx#var#000000#count"]
    client.delete_wf_run(wf_run_id)
    _eventually(lambda: by(7), [])


def test_search_external_event_by_def_claimed_and_time(client: Client, names: Names) -> None:
    event, name = names("go"), names("wf")

    def body(t: WorkflowThread) -> None:
        t.wait_for_event(event)
        t.wait_for_event(names("never"))

    register(client, name, body, events=(event, names("never")))
    before = values.format_timestamp(int(time.time() * 1000))
    wf_run_id = client.run_wf(name)["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)
    first = client.put_external_event(wf_run_id, event)["id"]["guid"]
    time.sleep(0.01)
    second = client.put_external_event(wf_run_id, event)["id"]["guid"]
    search = lambda **kw: _events(client.search_external_event(event, **kw))  # noqa: E731
    _eventually(search, [(wf_run_id, second), (wf_run_id, first)])
    assert search(is_claimed=True) == [(wf_run_id, first)]
    assert search(is_claimed=False) == [(wf_run_id, second)]
    assert search(earliest_start=before, limit=1) == [(wf_run_id, second)]
    page = client.search_external_event(event, limit=1)
    assert _events(client.search_external_event(event, limit=1, bookmark=page["bookmark"])) == [
        (wf_run_id, first)
    ]
    assert search(latest_start=before) == []


def test_search_node_run_finds_external_event_nodes_by_status(client: Client, names: Names) -> None:
    """LittleHorse's SearchNodeRun: the NodeRuns waiting for an ExternalEventDef."""
    event, name = names("go"), names("wf")

    def body(t: WorkflowThread) -> None:
        t.wait_for_event(event)

    register(client, name, body, events=(event,))
    before = values.format_timestamp(int(time.time() * 1000))
    ids = []
    for _ in range(3):
        ids.append(client.run_wf(name)["id"]["id"])
        time.sleep(0.01)

    def search(status: str | None = None, **kw: Any) -> list[tuple[str, int, int]]:
        page = client.search_node_run(event, status, **kw)
        ParseDict(page, NodeRunIdList())
        return [
            (r["wfRunId"]["id"], r.get("threadRunNumber", 0), r["position"])
            for r in page["results"]
        ]

    _eventually(lambda: search("RUNNING"), [(i, 0, 1) for i in ids[::-1]])
    client.put_external_event(ids[1], event)
    _eventually(lambda: search("COMPLETED"), [(ids[1], 0, 1)])
    assert search("RUNNING") == [(ids[2], 0, 1), (ids[0], 0, 1)]
    assert search(earliest_start=before, limit=1) == [(ids[2], 0, 1)]
    page = client.search_node_run(event, limit=2)
    assert search(limit=2, bookmark=page["bookmark"]) == [(ids[0], 0, 1)]
    assert search(latest_start=before) == []


def test_search_task_run_by_task_def_status_and_time(client: Client, names: Names) -> None:
    task, other, name = names("step"), names("other"), names("wf")

    def body(t: WorkflowThread) -> None:
        t.execute(task, 1)
        t.execute(other, 1)
        t.execute(task, 2)

    register(client, name, body, {task: int_input(), other: int_input()})
    before = values.format_timestamp(int(time.time() * 1000))
    with worker(client, {task: lambda n: n, other: lambda n: n}):
        ids = []
        for _ in range(2):
            ids.append(client.run_wf(name)["id"]["id"])
            assert client.wait_for_wf_run(ids[-1], timeout=30)["status"] == "COMPLETED"

    def search(**kw: Any) -> list[tuple[str, str]]:
        page = client.search_task_run(task, **kw)
        ParseDict(page, TaskRunIdList())
        return [(r["wfRunId"]["id"], r["taskGuid"]) for r in page["results"]]

    expected = [(i, g) for i in ids[::-1] for g in ("0-3", "0-1")]
    assert search() == expected
    assert search(status="TASK_SUCCESS") == expected
    assert search(status="TASK_FAILED") == []
    assert search(earliest_start=before) == expected
    assert search(latest_start=before) == []
    first = client.search_task_run(task, limit=3)
    assert [(r["wfRunId"]["id"], r["taskGuid"]) for r in first["results"]] == expected[:3]
    assert search(limit=3, bookmark=first["bookmark"]) == expected[3:]
    assert search(limit=4) == expected
    # A TaskDef no WfSpec uses has no TaskRuns.
    assert client.search_task_run(names("unused")) == {"results": []}


@pytest.mark.parametrize(
    ("rpc", "request_", "message"),
    [
        ("SearchVariable", {"varName": "a", "value": {"str": "x"}}, "wfSpecName is required"),
        ("SearchVariable", {"wfSpecName": "w", "value": {"str": "x"}}, "varName is required"),
        ("SearchVariable", {"wfSpecName": "w", "varName": "a"}, "value is required"),
        (
            "SearchVariable",
            {"wfSpecName": "w", "varName": "a", "value": {"nope": 1}},
            "unknown VariableValue",
        ),
        ("SearchVariable", {"wfSpecName": "w", "varName": "a", "value": {}}, "must be set"),
        (
            "SearchVariable",
            {"wfSpecName": "w", "varName": "a", "value": {"int": 1}, "wfSpecRevision": 1},
            "needs wfSpecMajorVersion",
        ),
        (
            "SearchVariable",
            {"wfSpecName": "w", "varName": "a", "value": {"int": 1}, "bookmark": "bm90IG1pbmU="},
            "bookmark",
        ),
        (
            "SearchVariable",
            {"wfSpecName": "w", "varName": "a", "value": {"int": 1}, "status": "x"},
            "unknown field",
        ),
        ("SearchExternalEvent", {}, "externalEventDefId is required"),
        ("SearchTaskRun", {}, "taskDefName is required"),
        ("SearchTaskRun", {"taskDefName": "t", "status": "DONE"}, "status must"),
        ("SearchTaskRun", {"taskDefName": "t", "bookmark": "bm90IG1pbmU="}, "bookmark"),
        ("SearchNodeRun", {"status": "RUNNING"}, "externalEventDef is required"),
        ("SearchNodeRun", {"externalEventDef": {"name": "e"}, "status": "DONE"}, "status must"),
        ("SearchNodeRun", {"externalEventDef": {"name": "e"}, "nodeType": "TASK"}, "unknown field"),
        (
            "SearchExternalEvent",
            {"externalEventDefId": {"name": "e"}, "isClaimed": "yes"},
            "isClaimed",
        ),
        (
            "SearchExternalEvent",
            {"externalEventDefId": {"name": "e"}, "earliestStart": "now"},
            "RFC 3339",
        ),
        ("SearchExternalEvent", {"externalEventDefId": {"name": "e"}, "limit": 5000}, "limit"),
    ],
)
def test_bad_searches_are_refused_with_what_and_where(
    client: Client, rpc: str, request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        client.search(rpc, request_)
