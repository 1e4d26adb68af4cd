"""ExternalEvents posted before their WfRun exists, through the local stack's HTTP API.

LittleHorse keeps an ExternalEvent posted under a WfRun id that has no WfRun
yet; a WfRun started later under that id takes it at its EXTERNAL_EVENT
node (LittleHorse's e2e ExternalEventTest posts before running, too).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound
from canter_engine.store.early_events import MAX_EARLY_EVENTS
from google.protobuf.json_format import ParseDict
from littlehorse.model import ExternalEvent, ExternalEventIdList, ExternalEventList

from .support import Names, register, wait_deleted


def _waits_for(event: str, output: str = "got") -> Callable[[WorkflowThread], None]:
    def body(t: WorkflowThread) -> None:
        got = t.declare_str(output)
        t.mutate(got, "ASSIGN", t.wait_for_event(event))

    return body


def test_an_event_posted_before_run_wf_is_taken_by_the_run(client: Client, names: Names) -> None:
    event, wf_run_id = names("go"), names("early")
    register(client, names("wf"), _waits_for(event), events=(event,))
    posted = client.put_external_event(wf_run_id, event, "hello", guid="g1")
    ParseDict(posted, ExternalEvent())
    assert "claimed" not in posted
    # Before the run: the event shows, unclaimed, under the id.
    got = client.get_external_event(wf_run_id, event, "g1")
    ParseDict(got, ExternalEvent())
    assert got["content"] == {"str": "hello"} and "claimed" not in got
    listed = client.list_external_events(wf_run_id)
    ParseDict({"results": listed}, ExternalEventList())
    assert [e["id"]["guid"] for e in listed] == ["g1"]
    with pytest.raises(NotFound):
        client.get_wf_run(wf_run_id)
    searched = client.search_external_event(event, is_claimed=False)
    ParseDict(searched, ExternalEventIdList())
    assert searched["results"] == [posted["id"]]
    assert client.search_external_event(event, is_claimed=True)["results"] == []

    client.run_wf(names("wf"), id=wf_run_id)
    wf_run = client.wait_for_wf_run(wf_run_id, timeout=20)
    assert wf_run["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"got": "hello"}
    claimed = client.get_external_event(wf_run_id, event, "g1")
    assert claimed["claimed"] is True
    # It kept the time it was posted at.
    assert claimed["createdAt"] == posted["createdAt"]
    assert [e["id"]["guid"] for e in client.list_external_events(wf_run_id)] == ["g1"]
    # Searched, it is the run's event now, claimed, and only once.
    assert _eventually(lambda: client.search_external_event(event)["results"]) == [posted["id"]]
    assert client.search_external_event(event, is_claimed=True)["results"] == [posted["id"]]
    # The same guid again is the same event, not a second one.
    assert client.put_external_event(wf_run_id, event, "other", guid="g1")["claimed"] is True


def test_search_external_event_pages_through_applied_then_early_events(
    client: Client, names: Names
) -> None:
    event = names("go")
    register(client, names("wf"), _waits_for(event), events=(event,))
    client.run_wf(names("wf"), id=names("started"))
    client.wait_for_wf_run(names("started"), ("RUNNING",), timeout=20)
    client.put_external_event(names("started"), event, "now", guid="applied")
    early = [names(f"later-{n}") for n in range(3)]
    for wf_run_id in early:
        client.put_external_event(wf_run_id, event, "soon", guid="waiting")
    _eventually(lambda: client.search_external_event(event, is_claimed=True)["results"])
    request: dict[str, Any] = {"externalEventDefId": {"name": event}, "limit": 2}
    seen = []
    while True:
        page = client.call("SearchExternalEvent", request)
        ParseDict(page, ExternalEventIdList())
        seen += [(r["wfRunId"]["id"], r["guid"]) for r in page["results"]]
        if "bookmark" not in page:
            break
        request["bookmark"] = page["bookmark"]
    # Applied events first, then the early ones, each newest first.
    assert seen == [(names("started"), "applied"), *((i, "waiting") for i in early[::-1])]
    with pytest.raises(CanterError, match="bookmark"):
        client.call(
            "SearchExternalEvent",
            {"externalEventDefId": {"name": names("other")}, "bookmark": request["bookmark"]},
        )


def test_a_repeated_guid_before_the_run_is_one_event(client: Client, names: Names) -> None:
    event, wf_run_id = names("go"), names("early")

    def body(t: WorkflowThread) -> None:
        first, second = t.declare_str("first"), t.declare_str("second")
        t.mutate(first, "ASSIGN", t.wait_for_event(event))
        t.mutate(second, "ASSIGN", t.wait_for_event(event))

    register(client, names("wf"), body, events=(event,))
    first = client.put_external_event(wf_run_id, event, "one", guid="same")
    again = client.put_external_event(wf_run_id, event, "two", guid="same")
    assert again == first
    assert len(client.list_external_events(wf_run_id)) == 1
    client.run_wf(names("wf"), id=wf_run_id)
    client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)
    # Only one event was kept: the second wait is still waiting for its own.
    client.put_external_event(wf_run_id, event, "three", guid="later")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"first": "one", "second": "three"}


def test_too_many_events_for_a_run_not_started_are_refused(client: Client, names: Names) -> None:
    event, wf_run_id = names("go"), names("early")
    client.put_external_event_def(event)
    for n in range(MAX_EARLY_EVENTS):
        client.put_external_event(wf_run_id, event, n, guid=f"g{n}")
    with pytest.raises(CanterError) as refused:
        client.put_external_event(wf_run_id, event, "one more", guid="over")
    assert refused.value.code == "FAILED_PRECONDITION"
    assert f"already has {MAX_EARLY_EVENTS} ExternalEvents waiting" in str(refused.value)
    # A guid already kept is still answered.
    assert client.put_external_event(wf_run_id, event, guid="g0")["content"] == {"int": "0"}
    page = client.call("ListExternalEvents", {"wfRunId": {"id": wf_run_id}, "limit": 60})
    ParseDict(page, ExternalEventList())
    rest = client.call(
        "ListExternalEvents",
        {"wfRunId": {"id": wf_run_id}, "limit": 60, "bookmark": page["bookmark"]},
    )
    assert len(page["results"]) + len(rest["results"]) == MAX_EARLY_EVENTS
    assert "bookmark" not in rest


def test_an_event_for_a_def_that_does_not_exist_is_refused(client: Client, names: Names) -> None:
    with pytest.raises(NotFound, match=r"ExternalEventDef .* does not exist"):
        client.put_external_event(names("early"), names("nodef"), "x")


def test_delete_wf_run_takes_the_events_it_claimed(client: Client, names: Names) -> None:
    event, wf_run_id = names("go"), names("early")
    register(client, names("wf"), _waits_for(event), events=(event,))
    client.put_external_event(wf_run_id, event, "first run", guid="g1")
    client.run_wf(names("wf"), id=wf_run_id)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    client.delete_wf_run(wf_run_id)
    wait_deleted(client, wf_run_id)
    assert client.list_external_events(wf_run_id) == []
    # A new run under the id does not take the deleted run's event again.
    client.run_wf(names("wf"), id=wf_run_id)
    assert client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)["status"] == "RUNNING"
    assert client.list_external_events(wf_run_id) == []


def _eventually(read: Callable[[], list[Any]]) -> list[Any]:
    deadline = time.monotonic() + 20
    while not (found := read()):
        assert time.monotonic() < deadline, "nothing found within 20 s"
        time.sleep(0.05)
    return found


def test_an_early_event_over_one_item_is_refused_with_a_413(client: Client, names: Names) -> None:
    """Kept in one journal item until its WfRun starts, an early event is at most that
    (before, a larger one failed with an internal error)."""
    event, wf_run_id = names("go"), names("early")
    client.put_external_event_def(event)
    with pytest.raises(CanterError) as refused:
        client.put_external_event(wf_run_id, event, "x" * 500_000, guid="big")
    assert refused.value.code == "RESOURCE_EXHAUSTED"
    assert "does not exist yet" in refused.value.message
    with pytest.raises(NotFound):
        client.get_external_event(wf_run_id, event, "big")
    assert client.put_external_event(wf_run_id, event, "small", guid="g1")["content"] == {
        "str": "small"
    }
