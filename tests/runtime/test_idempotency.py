"""Invariant 1 at the edge: retried inputs are journalled once and act once;
invariant 7: a poison record is set aside with its reason and blocks nobody."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.client import AlreadyExists, to_value
from canter.local import LocalStack
from canter.local.stack import LOCAL_STAGE
from canter_engine import resources

from .support import Names, int_input, register, success_report, take_attempt, worker

pytestmark = pytest.mark.e2e


def test_run_wf_repeated_with_the_same_id_starts_one_wf_run(client: Client, names: Names) -> None:
    task = names("once")
    register(
        client, names("wf"), lambda t: t.execute(task, t.declare_int("n")), {task: int_input()}
    )
    calls: list[int] = []
    first = client.run_wf(names("wf"), {"n": 1}, id=names("run"))
    again = client.run_wf(names("wf"), {"n": 1}, id=names("run"))
    assert first["id"] == again["id"]
    with pytest.raises(AlreadyExists, match="different"):
        client.run_wf(names("wf"), {"n": 2}, id=names("run"))
    with worker(client, {task: calls.append}):
        assert client.wait_for_wf_run(names("run"), timeout=20)["status"] == "COMPLETED"
        time.sleep(0.5)
    assert calls == [1]
    assert client.search_wf_run(names("wf"))["results"] == [{"id": names("run")}]


def test_event_repeated_with_the_same_guid_is_one_event(client: Client, names: Names) -> None:
    event = names("ping")

    def body(t: WorkflowThread) -> None:
        first, second = t.declare_str("first"), t.declare_str("second")
        t.mutate(first, "ASSIGN", t.wait_for_event(event))
        t.mutate(second, "ASSIGN", t.wait_for_event(event))

    register(client, names("wf"), body, events=(event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    one = client.put_external_event(wf_run_id, event, "a", guid="g-1")
    two = client.put_external_event(wf_run_id, event, "a-again", guid="g-1")
    assert one["id"] == two["id"]
    time.sleep(0.5)
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    assert len(client.list_external_events(wf_run_id)) == 1
    client.put_external_event(wf_run_id, event, "b", guid="g-2")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"first": "a", "second": "b"}


def test_report_sent_twice_is_applied_once(client: Client, names: Names) -> None:
    task = names("add")

    def body(t: WorkflowThread) -> None:
        total = t.declare_int("total", 100)
        t.mutate(total, "ADD", t.execute(task, 1))

    register(client, names("wf"), body, {task: int_input()})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    scheduled, token, _ = take_attempt(client, task)
    report = success_report(scheduled, to_value(5))
    client.report_task(report, token)
    client.report_task(report, token)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["total"] == 105
    assert len(client.get_task_run(wf_run_id, "0-1")["attempts"]) == 1


def test_poison_record_goes_to_the_failure_queue_and_blocks_no_one(
    stack: LocalStack, client: Client, names: Names
) -> None:
    register(client, names("wf"), lambda t: t.declare_int("x", 1) and None)
    journal = resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE)
    ddb = boto3.client("dynamodb")
    poisoned = names("poisoned")
    ddb.put_item(
        TableName=journal,
        Item={
            "wfRunId": {"S": poisoned},
            "eventId": {"S": "run"},
            "kind": {"S": "RunWf"},
            "body": {
                "S": json.dumps({"id": poisoned, "wfSpecId": {"name": "no-such-spec"}, "time": 1})
            },
        },
    )
    ddb.put_item(
        TableName=journal,
        Item={
            "wfRunId": {"S": poisoned},
            "eventId": {"S": "bogus"},
            "kind": {"S": "NoSuchKind"},
            "body": {"S": "{}"},
        },
    )
    healthy = client.run_wf(names("wf"))["id"]["id"]
    assert client.wait_for_wf_run(healthy, timeout=20)["status"] == "COMPLETED"
    assert stack.provisioned is not None
    sqs = boto3.client("sqs")
    reasons: list[str] = []
    deadline = time.monotonic() + 10
    while len(reasons) < 2 and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=stack.provisioned.failure_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if poisoned in json.dumps(body.get("record", {})):
                reasons.append(body["reason"])
    assert any("no-such-spec" in reason for reason in reasons), reasons
    assert any("NoSuchKind" in reason for reason in reasons), reasons
