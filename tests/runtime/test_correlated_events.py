"""Correlated events through the local stack: an event posted by key reaches the WfRun
that waits on that key, whether it was put before or after the WfRun began waiting.

Mirrors LittleHorse's CorrelatedEventTest; the workflows are compiled by the official
LittleHorse SDK."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from canter import Client
from canter.client import CanterError, NotFound
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import CorrelatedEvent, CorrelatedEventIdList, NodeRun
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names


def _register(client: Client, names: Names, delete_after_first: bool, masked: bool = False) -> str:
    event = names("signed")
    client.put_external_event_def(
        event,
        contentType={"returnType": {"primitiveType": "INT"}},
        correlatedEventConfig={"deleteAfterFirstCorrelation": True} if delete_after_first else {},
    )

    def wf_fn(wf: WorkflowThread) -> None:
        key = wf.declare_str("key").required()
        if masked:
            key = key.masked()
        result = wf.declare_int("event-result")
        result.assign(wf.wait_for_event(event, correlation_id=key))

    client.put_wf_spec(MessageToDict(Workflow(names("wf"), wf_fn).compile()))
    return event


def _key() -> str:
    return f"doc-{uuid.uuid4().hex[:12]}"


def _waiting(client: Client, run_id: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        nodes = client.list_node_runs(run_id)
        if len(nodes) > 1 and "externalEvent" in nodes[1]:
            return
        time.sleep(0.1)
    raise AssertionError(f"WfRun {run_id} never reached its EXTERNAL_EVENT node")


def test_an_event_put_first_is_taken_when_the_run_waits_and_then_deleted(
    client: Client, names: Names
) -> None:
    """Mirrors CorrelatedEventTest.correlatedEventShouldBeDeletedIfConfigSaysSo."""
    event = _register(client, names, delete_after_first=True)
    key = _key()
    put = client.put_correlated_event(key, event, 137)
    ParseDict(put, CorrelatedEvent())
    assert put["id"] == {"key": key, "externalEventDefId": {"name": event}}
    assert client.get_correlated_event(key, event)["content"] == {"int": "137"}
    run_id = client.run_wf(names("wf"), {"key": key})["id"]["id"]
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    assert client.get_variable(run_id, "event-result") == 137
    with pytest.raises(NotFound):
        client.get_correlated_event(key, event)


def test_a_run_that_waits_first_gets_the_event_put_later(client: Client, names: Names) -> None:
    """Mirrors CorrelatedEventTest.shouldCompleteIfEventSentAfterWfRunStarts and
    shouldShowUnmaskedKey."""
    event = _register(client, names, delete_after_first=False)
    key = _key()
    run_id = client.run_wf(names("wf"), {"key": key})["id"]["id"]
    _waiting(client, run_id)
    put = client.put_correlated_event(key, event, 42)
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    assert client.get_variable(run_id, "event-result") == 42
    node = client.get_node_run(run_id, 0, 1)
    ParseDict(node, NodeRun())
    assert node["externalEvent"]["correlationKey"] == key
    stored = client.get_correlated_event(key, event)
    (delivered,) = stored["externalEvents"]
    assert delivered["wfRunId"] == {"id": run_id}
    assert put["id"] == stored["id"]
    events = client.list_external_events(run_id)
    assert [e["id"]["guid"] for e in events] == [delivered["guid"]]


def test_two_runs_on_different_keys_each_get_their_own_event(client: Client, names: Names) -> None:
    """Mirrors CorrelatedEventTest.correlatedEventsGoToCorrectNodeRun, with two WfRuns."""
    event = _register(client, names, delete_after_first=False, masked=True)
    first, second = _key(), _key()
    run_a = client.run_wf(names("wf"), {"key": first})["id"]["id"]
    run_b = client.run_wf(names("wf"), {"key": second})["id"]["id"]
    _waiting(client, run_a)
    client.put_correlated_event(second, event, 2)
    assert client.wait_for_wf_run(run_b, timeout=20)["status"] == "COMPLETED"
    assert client.get_wf_run(run_a)["status"] == "RUNNING"
    client.put_correlated_event(first, event, 1)
    assert client.wait_for_wf_run(run_a, timeout=20)["status"] == "COMPLETED"
    assert client.get_variable(run_a, "event-result") == 1
    assert client.get_variable(run_b, "event-result") == 2
    assert client.get_node_run(run_a, 0, 1)["externalEvent"]["correlationKey"] == "*****"


def test_an_event_kept_after_correlation_reaches_later_runs_too(
    client: Client, names: Names
) -> None:
    """Mirrors CorrelatedEventTest.correlatedEventShouldNotBeDeletedIfConfigSaysSo."""
    event = _register(client, names, delete_after_first=False)
    key = _key()
    client.put_correlated_event(key, event, 7)
    runs = [client.run_wf(names("wf"), {"key": key})["id"]["id"] for _ in range(2)]
    for run_id in runs:
        assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    stored = client.get_correlated_event(key, event)
    assert sorted(e["wfRunId"]["id"] for e in stored["externalEvents"]) == sorted(runs)


def test_a_deleted_run_gets_nothing(client: Client, names: Names) -> None:
    """Mirrors CorrelatedEventTest.shouldDeleteCorrelationMarkerWhenWfRunDeleted."""
    event = _register(client, names, delete_after_first=False)
    key = _key()
    run_id = client.run_wf(names("wf"), {"key": key})["id"]["id"]
    _waiting(client, run_id)
    client.delete_wf_run(run_id)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            client.get_wf_run(run_id)
        except NotFound:
            break
        time.sleep(0.1)
    put = client.put_correlated_event(key, event, 0)
    assert "externalEvents" not in put


def test_put_again_with_the_same_content_is_idempotent_and_other_content_conflicts(
    client: Client, names: Names
) -> None:
    event = _register(client, names, delete_after_first=False)
    key = _key()
    first = client.put_correlated_event(key, event, 1)
    assert client.put_correlated_event(key, event, 1) == first
    with pytest.raises(CanterError) as refused:
        client.put_correlated_event(key, event, 2)
    assert refused.value.code == "ALREADY_EXISTS"
    client.delete_correlated_event(key, event)
    assert client.put_correlated_event(key, event, 2)["content"] == {"int": "2"}


def test_search_finds_orphans_and_correlated_events(client: Client, names: Names) -> None:
    event = _register(client, names, delete_after_first=False)
    orphan, taken = _key(), _key()
    client.put_correlated_event(orphan, event, 1)
    client.put_correlated_event(taken, event, 2)
    run_id = client.run_wf(names("wf"), {"key": taken})["id"]["id"]
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    page = client.call("SearchCorrelatedEvent", {"externalEventDefId": {"name": event}})
    ParseDict(page, CorrelatedEventIdList())
    assert [r["key"] for r in page["results"]] == [taken, orphan]
    orphans = client.search_correlated_event(event, has_external_events=False)
    assert [r["key"] for r in orphans] == [orphan]
    correlated = client.search_correlated_event(event, has_external_events=True)
    assert [r["key"] for r in correlated] == [taken]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"key": "a/b", "content": {"int": 1}}, "cannot contain"),
        ({"key": "k", "content": {"str": "x"}}, "takes INT"),
        ({"content": {"int": 1}}, "key is required"),
    ],
)
def test_bad_puts_are_refused_with_the_reason(
    client: Client, names: Names, body: dict[str, Any], says: str
) -> None:
    event = _register(client, names, delete_after_first=False)
    with pytest.raises(CanterError) as refused:
        client.call("PutCorrelatedEvent", {**body, "externalEventDefId": {"name": event}})
    assert refused.value.code == "INVALID_ARGUMENT"
    assert says in str(refused.value)


def test_an_external_event_def_without_correlation_refuses_them(
    client: Client, names: Names
) -> None:
    plain = names("plain")
    client.put_external_event_def(plain)
    with pytest.raises(CanterError, match="does not have CorrelatedEvents enabled"):
        client.put_correlated_event("k", plain, 1)


def test_an_event_past_its_ttl_is_gone(client: Client, names: Names) -> None:
    """Mirrors CorrelatedEventTest's correlated-event-with-ttl: ``ttlSeconds`` expires it."""
    event = names("expiring")
    client.put_external_event_def(event, correlatedEventConfig={"ttlSeconds": 1})
    key = _key()
    client.put_correlated_event(key, event, 1)
    assert client.get_correlated_event(key, event)["content"] == {"int": "1"}
    time.sleep(2.2)
    with pytest.raises(NotFound):
        client.get_correlated_event(key, event)
    assert client.search_correlated_event(event) == []
    assert client.put_correlated_event(key, event, 2)["content"] == {"int": "2"}
