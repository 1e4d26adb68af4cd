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
from canter_engine.store.status_events import DETAIL_TYPE, SOURCE
from google.protobuf.json_format import ParseDict
from littlehorse.model import OutputTopicRecord

from .support import Names, int_input, register, worker

pytestmark = pytest.mark.e2e


@pytest.fixture
def opted_in(names: Names, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("CANTER_STATUS_EVENTS", f"other-spec,{names('wf')}")
    yield names("wf")


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
            if event["detail"]["wfRun"]["id"]["id"] == wf_run_id:
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
