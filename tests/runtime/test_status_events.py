"""Status events: every WfRun status change of an opted-in WfSpec goes to EventBridge
as LittleHorse's ``OutputTopicRecord`` (here moto's, read through the local stack's
queue); other WfSpecs publish nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.local import LocalStack
from canter_engine.store.status_events import DETAIL_TYPE, ENTITY_DETAIL_TYPES, SOURCE
from google.protobuf.json_format import ParseDict
from littlehorse.model import OutputTopicRecord

from .support import Names, int_input, register, worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def opted_in(names: Names, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CANTER_STATUS_EVENTS", f"other-spec,{names('wf')}")
    yield names("wf")


def _run_of(detail: dict[str, Any]) -> str:
    """The WfRun id of an output-topic record, whichever entity it holds."""
    if "wfRun" in detail:
        return str(detail["wfRun"]["id"]["id"])
    entity = next(v for k, v in detail.items() if k != "timestamp")
    entity_id = entity["id"]
    return str((entity_id.get("wfRunId") or entity_id["taskRun"]["wfRunId"])["id"])


def _received(
    stack: LocalStack, wf_run_id: str, count: int, seconds: float = 20
) -> list[dict[str, Any]]:
    """The status events of one WfRun, in order, until ``count`` came (or ``seconds``)."""
    sqs = boto3.client("sqs")
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while len(found) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=stack.status_events_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            event = json.loads(message["Body"])
            if _run_of(event["detail"]) == wf_run_id:
                found.append(event)
                sqs.delete_message(
                    QueueUrl=stack.status_events_queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
    return found


def test_an_opted_in_run_publishes_each_status_change(
    stack: LocalStack, client: Client, names: Names, opted_in: str
) -> None:
    task = names("double")

    def body(t: WorkflowThread) -> None:
        t.execute(task, t.declare_int("n", 2))

    register(client, opted_in, body, {task: int_input()})
    with worker(client, {task: lambda n: n * 2}):
        run_id = client.run_wf(opted_in)["id"]["id"]
        assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    events = _received(stack, run_id, 2)
    assert [e["detail"]["wfRun"]["status"] for e in events] == ["RUNNING", "COMPLETED"]
    for event in events:
        assert (event["source"], event["detail-type"]) == (SOURCE, DETAIL_TYPE)
        record = ParseDict(event["detail"], OutputTopicRecord())
        assert record.wf_run.wf_spec_id.name == opted_in
    assert events[1]["detail"]["wfRun"] == client.get_wf_run(run_id)


def test_halting_and_failing_are_status_changes_too(
    stack: LocalStack, client: Client, names: Names, opted_in: str
) -> None:
    gate = names("gate")

    def body(t: WorkflowThread) -> None:
        t.wait_for_event(gate, timeout=600)
        t.fail("rejected", "the gate said no")

    register(client, opted_in, body, events=(gate,))
    run_id = client.run_wf(opted_in)["id"]["id"]
    client.wait_for_wf_run(run_id, ("RUNNING",), timeout=20)
    client.stop_wf_run(run_id)
    client.wait_for_wf_run(run_id, ("HALTED",), timeout=20)
    client.resume_wf_run(run_id)
    client.put_external_event(run_id, gate, 1)
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "EXCEPTION"
    statuses = [e["detail"]["wfRun"]["status"] for e in _received(stack, run_id, 4)]
    assert statuses == ["RUNNING", "HALTED", "RUNNING", "EXCEPTION"]


def test_a_wf_spec_that_did_not_opt_in_publishes_nothing(
    stack: LocalStack, client: Client, names: Names, opted_in: str
) -> None:
    quiet = names("quiet")
    register(client, quiet, lambda t: t.declare_int("n", 1) and None)
    run_id = client.run_wf(quiet)["id"]["id"]
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    assert _received(stack, run_id, 1, seconds=3) == []


# --- the ``all`` level: entity events as LittleHorse's ALL_ENTITY_EVENTS ---------------


def test_at_the_all_level_task_runs_and_public_variables_are_published(
    stack: LocalStack, client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TaskRun's every change, a PUBLIC_VAR's every value, beside the WfRun's status
    changes: a RUNNING WfRun's record first, its final one last (GetableManager.commit)."""
    spec, task = names("wf"), names("double")
    monkeypatch.setenv("CANTER_STATUS_EVENTS", f"other-spec,{spec}:all")

    def body(t: WorkflowThread) -> None:
        n = t.declare_int("n", 2).with_access_level("PUBLIC_VAR")
        t.declare_int("hidden", 0)  # PRIVATE_VAR, the SDK's default
        t.mutate(n, "ASSIGN", t.execute(task, n))

    register(client, spec, body, {task: int_input()})
    with worker(client, {task: lambda n: n * 2}):
        run_id = client.run_wf(spec)["id"]["id"]
        assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    events = _received(stack, run_id, 6)
    kinds = [next(k for k in e["detail"] if k != "timestamp") for e in events]
    assert kinds == ["wfRun", "taskRun", "variable", "taskRun", "variable", "wfRun"]
    for event, kind in zip(events, kinds, strict=True):
        ParseDict(event["detail"], OutputTopicRecord())
        expected = DETAIL_TYPE if kind == "wfRun" else ENTITY_DETAIL_TYPES[kind]
        assert (event["source"], event["detail-type"]) == (SOURCE, expected)
    details = [e["detail"] for e in events]
    # TASK_SCHEDULED is TaskStatus's zero value, absent from proto3 JSON.
    assert [d["taskRun"].get("status", "TASK_SCHEDULED") for d in details if "taskRun" in d] == [
        "TASK_SCHEDULED",
        "TASK_SUCCESS",
    ]
    assert [d["variable"]["value"] for d in details if "variable" in d] == [
        {"int": "2"},
        {"int": "4"},
    ], "the PRIVATE_VAR is not published"
    assert details[3]["taskRun"] == client.get_task_run(
        run_id, details[3]["taskRun"]["id"]["taskGuid"]
    )
    assert _received(stack, run_id, 1, seconds=2) == []


def test_at_the_all_level_external_events_are_published(
    stack: LocalStack, client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, gate = names("wf"), names("gate")
    monkeypatch.setenv("CANTER_STATUS_EVENTS", f"{spec}:all")
    register(client, spec, lambda t: t.wait_for_event(gate) and None, events=(gate,))
    run_id = client.run_wf(spec)["id"]["id"]
    client.put_external_event(run_id, gate, "open", guid="g1")
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    details = [e["detail"] for e in _received(stack, run_id, 3)]
    assert [next(k for k in d if k != "timestamp") for d in details] == [
        "wfRun",
        "externalEvent",
        "wfRun",
    ]
    assert details[1]["externalEvent"] == client.get_external_event(run_id, gate, "g1")
    assert details[1]["externalEvent"]["claimed"] is True
