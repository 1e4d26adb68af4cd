"""WorkflowEvents: THROW_EVENT publishes, clients await, list and get (the request-response
pattern of LittleHorse's AwaitWorkflowEventExample)."""

from __future__ import annotations

import threading
import time

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound
from canter_engine.handlers import api_workflow_events
from google.protobuf.json_format import ParseDict
from littlehorse.model import WorkflowEvent, WorkflowEventIdList, WorkflowEventList

from .support import Names, register


def two_events(first: str, second: str, gate: str) -> object:
    def body(t: WorkflowThread) -> None:
        name = t.declare_str("name")
        t.throw_event(first, name)
        t.wait_for_event(gate)
        t.throw_event(second, 42)

    return body


def _setup(client: Client, names: Names) -> tuple[str, str, str, str]:
    first, second, gate = names("started"), names("finished"), names("gate")
    client.put_workflow_event_def(first, {"returnType": {"primitiveType": "STR"}})
    client.put_workflow_event_def(second, {"returnType": {"primitiveType": "INT"}})
    register(client, names("wf"), two_events(first, second, gate), events=(gate,))  # type: ignore[arg-type]
    return first, second, gate, names("wf")


def test_await_workflow_event_returns_the_thrown_event(client: Client, names: Names) -> None:
    """Mirrors LittleHorse's AwaitWorkflowEventExample: run, then await the event."""
    first, _, _, wf = _setup(client, names)
    run_id = client.run_wf(wf, {"name": "ann"})["id"]["id"]
    event = client.await_workflow_event(run_id, [first], timeout=20)
    ParseDict(event, WorkflowEvent())
    assert event["id"] == {"wfRunId": {"id": run_id}, "workflowEventDefId": {"name": first}}
    assert event["content"] == {"str": "ann"}
    assert event["nodeRunId"]["wfRunId"] == {"id": run_id}


def test_await_waits_for_an_event_thrown_later(client: Client, names: Names) -> None:
    first, second, gate, wf = _setup(client, names)
    run_id = client.run_wf(wf, {"name": "bob"})["id"]["id"]
    first_event = client.await_workflow_event(run_id, timeout=20)
    assert first_event["id"]["workflowEventDefId"] == {"name": first}
    sender = threading.Timer(1.0, client.put_external_event, (run_id, gate))
    sender.start()
    started = time.monotonic()
    later = client.await_workflow_event(run_id, ignore=[first_event["id"]], timeout=20)
    sender.join()
    assert time.monotonic() - started >= 0.9
    assert later["id"]["workflowEventDefId"] == {"name": second}
    assert later["id"]["number"] == 1
    assert later["content"] == {"int": "42"}


def test_await_times_out_with_deadline_exceeded_and_the_client_re_polls(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _, wf = _setup(client, names)
    monkeypatch.setattr(api_workflow_events, "AWAIT_SECONDS", 0.5)
    run_id = client.run_wf(wf, {"name": "cy"})["id"]["id"]
    with pytest.raises(TimeoutError, match=run_id):
        client.await_workflow_event(run_id, [second], timeout=1.5)
    with pytest.raises(NotFound):
        client.await_workflow_event(names("no-such-run"), [first], timeout=1)


def test_list_and_get_workflow_events(client: Client, names: Names) -> None:
    first, second, gate, wf = _setup(client, names)
    run_id = client.run_wf(wf, {"name": "dee"})["id"]["id"]
    client.put_external_event(run_id, gate)
    client.wait_for_wf_run(run_id, timeout=20)
    page = client.call("ListWorkflowEvents", {"wfRunId": {"id": run_id}})
    ParseDict(page, WorkflowEventList())
    assert [e["id"]["workflowEventDefId"]["name"] for e in page["results"]] == [first, second]
    got = client.get_workflow_event(run_id, second, 1)
    ParseDict(got, WorkflowEvent())
    assert got == page["results"][1]
    with pytest.raises(NotFound, match="number 7"):
        client.get_workflow_event(run_id, second, 7)


def test_put_wf_spec_refuses_a_throw_event_of_a_missing_workflow_event_def(
    client: Client, names: Names
) -> None:
    """As LittleHorse's ThrowEventNodeModel.validate: "Refers to missing workflowEventDef"."""
    missing, gate = names("never-registered"), names("gate")
    with pytest.raises(CanterError) as refused:
        register(client, names("wf"), two_events(missing, missing, gate), events=(gate,))  # type: ignore[arg-type]
    assert refused.value.code == "INVALID_ARGUMENT"
    assert "1-throw-" in str(refused.value) and "throwEvent.eventDefId" in str(refused.value)
    assert f"refers to missing WorkflowEventDef {missing!r}" in str(refused.value)
    with pytest.raises(NotFound):
        client.get_wf_spec(names("wf"))
    client.put_workflow_event_def(missing, {"returnType": {"primitiveType": "STR"}})
    register(client, names("wf"), two_events(missing, missing, gate), events=(gate,))  # type: ignore[arg-type]


def test_search_workflow_event_by_def_and_time_newest_first(client: Client, names: Names) -> None:
    first, _, _, wf = _setup(client, names)
    runs = [client.run_wf(wf, {"name": n})["id"]["id"] for n in ("a", "b", "c")]
    for run_id in runs:
        client.await_workflow_event(run_id, [first], timeout=20)
    found = client.search_workflow_event(first)
    ParseDict(found, WorkflowEventIdList())
    assert [r["wfRunId"]["id"] for r in found["results"]] == runs[::-1]
    assert all(r["workflowEventDefId"] == {"name": first} for r in found["results"])
    paged, request = [], {"workflowEventDefId": {"name": first}, "limit": 2}
    while True:
        page = client.call("SearchWorkflowEvent", request)
        paged += [r["wfRunId"]["id"] for r in page["results"]]
        if "bookmark" not in page:
            break
        request["bookmark"] = page["bookmark"]
    assert paged == runs[::-1]
    second_thrown = client.get_workflow_event(runs[1], first, 0)["createdAt"]
    since = client.search_workflow_event(first, earliest_start=second_thrown)
    assert [r["wfRunId"]["id"] for r in since["results"]] == runs[:0:-1]
    until = client.search_workflow_event(first, latest_start=second_thrown)
    assert [r["wfRunId"]["id"] for r in until["results"]] == runs[1::-1]
    with pytest.raises(CanterError, match="workflowEventDefId is required"):
        client.call("SearchWorkflowEvent", {})
