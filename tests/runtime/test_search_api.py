"""SearchWfRun through the local stack: newest first, with or without a WfSpec, by
status, version, parent and start-time window, a page at a time."""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import InvalidArgument
from canter_engine.model import values
from google.protobuf.json_format import ParseDict
from littlehorse.model import WfRunIdList

from .support import Names, register


def _ids(page: dict[str, Any]) -> list[str]:
    ParseDict(page, WfRunIdList())
    return [r["id"] for r in page["results"]]


def _waiting(event: str) -> Any:
    def body(t: WorkflowThread) -> None:
        t.declare_str("note", "a")
        t.wait_for_event(event)

    return body


def _start(client: Client, name: str, count: int) -> list[str]:
    """``count`` RUNNING WfRuns, started at least 2 ms apart, oldest first."""
    ids = []
    for _ in range(count):
        ids.append(client.run_wf(name)["id"]["id"])
        time.sleep(0.01)
    for wf_run_id in ids:
        client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)
    return ids


def test_search_wf_run_newest_first_across_statuses_in_pages(client: Client, names: Names) -> None:
    event = names("go")
    name = names("wf")
    register(client, name, _waiting(event), events=(event,))
    ids = _start(client, name, 4)
    client.put_external_event(ids[1], event)
    client.wait_for_wf_run(ids[1], timeout=20)
    first = client.search_wf_run(name, limit=3)
    assert _ids(first) == ids[::-1][:3]
    rest = client.search_wf_run(name, limit=3, bookmark=first["bookmark"])
    assert _ids(rest) == [ids[0]]
    assert "bookmark" not in rest
    assert _ids(client.search_wf_run(name, "COMPLETED")) == [ids[1]]
    assert _ids(client.search_wf_run(name, "RUNNING")) == [ids[3], ids[2], ids[0]]


def test_search_wf_run_without_a_wf_spec_by_status_and_time_window(
    client: Client, names: Names
) -> None:
    event = names("go")
    name = names("wf")
    register(client, name, _waiting(event), events=(event,))
    before = values.format_timestamp(int(time.time() * 1000))
    ids = _start(client, name, 3)
    after = values.format_timestamp(int(time.time() * 1000))
    found = _ids(client.search_wf_run(status="RUNNING", earliest_start=before, latest_start=after))
    assert found == ids[::-1]
    everything = _ids(client.search_wf_run(earliest_start=before, latest_start=after))
    assert everything == ids[::-1]
    one = client.search_wf_run(status="RUNNING", earliest_start=before, limit=1)
    assert _ids(one) == [ids[2]]
    assert _ids(client.search_wf_run(earliest_start=after, latest_start=after)) == []


def test_search_wf_run_by_version_and_parent(client: Client, names: Names) -> None:
    event = names("go")
    name = names("wf")
    register(client, name, _waiting(event), events=(event,))
    v0 = _start(client, name, 1)

    def changed(t: WorkflowThread) -> None:
        t.declare_str("note", "b")
        t.wait_for_event(event)

    register(client, name, changed)
    v01 = _start(client, name, 1)
    assert _ids(client.search_wf_run(name, major_version=0, revision=1)) == v01
    assert _ids(client.search_wf_run(name, major_version=0, revision=0)) == v0
    assert _ids(client.search_wf_run(name, major_version=0)) == v01 + v0

    parent_name, child_name = names("parent"), names("child")

    def child(t: WorkflowThread) -> None:
        t.wait_for_event(event)

    def parent(t: WorkflowThread) -> None:
        t.run_wf(child_name)
        t.wait_for_event(event)

    register(client, child_name, child)
    register(client, parent_name, parent)
    parent_id = client.run_wf(parent_name)["id"]["id"]
    deadline = time.monotonic() + 20
    while not (found := _ids(client.search_wf_run(parent_wf_run_id=parent_id))):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert client.get_wf_run(found[0])["wfSpecId"]["name"] == child_name


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"status": "DONE"}, "status must be one of"),
        ({"wfSpecRevision": 1, "wfSpecName": "x"}, "needs wfSpecMajorVersion"),
        ({"earliestStart": "yesterday"}, "RFC 3339"),
        ({"variableFilters": [{"varName": "a"}]}, "SearchVariable"),
        ({"bookmark": "bm90IG1pbmU="}, "bookmark"),
    ],
)
def test_search_wf_run_refuses_bad_requests(
    client: Client, request_: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        client.call("SearchWfRun", request_)
