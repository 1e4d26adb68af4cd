"""The local stream pump keeps Lambda's stream semantics; timers wait past SQS's limit."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from canter.local import LocalStack
from canter.local.stream_pump import StreamPump
from canter_engine import resources
from canter_engine.core import Blueprint, StartTimer, apply
from canter_engine.core.events import RunRequested, Timer
from canter_engine.handlers import runtime, timers
from canter_engine.model.spec import WfSpec
from canter_engine.store import queues
from canter_engine.store.held import Held
from canter_engine.store.journal import timer_event_id
from canter_engine.store.state import HeadUpdate, head_body


def record(seq: int, wf_run_id: str = "w") -> dict[str, Any]:
    return {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": str(seq), "Keys": {"wfRunId": {"S": wf_run_id}}},
    }


def pump_with(stack: LocalStack, handler: Any) -> StreamPump:
    assert stack.provisioned is not None
    return StreamPump(
        boto3.client("dynamodbstreams"),
        boto3.client("sqs"),
        stack.provisioned.journal_stream_arn,
        handler,
        stack.provisioned.failure_queue_url,
        retry_delay_seconds=0.001,
    )


def test_partial_failure_retries_from_the_first_failed_record(stack: LocalStack) -> None:
    seen: list[list[str]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        batch = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        seen.append(batch)
        failures = [{"itemIdentifier": "3"}] if len(seen) == 1 else []
        return {"batchItemFailures": failures}

    pump_with(stack, handler)._deliver([record(n) for n in (1, 2, 3, 4)], attempts=0)
    assert seen == [["1", "2", "3", "4"], ["3", "4"]]


def test_function_error_bisects_and_sets_aside_only_the_poison(stack: LocalStack) -> None:
    assert stack.provisioned is not None
    delivered: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        batch = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        if "903" in batch:
            raise RuntimeError("poison")
        delivered.extend(batch)
        return {}

    pump_with(stack, handler)._deliver([record(n) for n in range(900, 908)], attempts=0)
    assert sorted(delivered) == [str(n) for n in range(900, 908) if n != 903]
    sqs = boto3.client("sqs")
    infos = []
    deadline = time.monotonic() + 5
    while not infos and time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=stack.provisioned.failure_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            body = json.loads(message["Body"])
            if "DDBStreamBatchInfo" in body:
                infos.append(body["DDBStreamBatchInfo"])
    assert infos == [
        {
            "streamArn": stack.provisioned.journal_stream_arn,
            "startSequenceNumber": "903",
            "endSequenceNumber": "903",
            "batchSize": 1,
        }
    ]


@pytest.mark.parametrize(
    ("due_in_ms", "delay"), [(0, 0), (1, 1), (1500, 2), (900_000, 900), (365 * 86_400_000, 900)]
)
def test_timer_delay_is_rounded_up_and_capped_at_15_minutes(due_in_ms: int, delay: int) -> None:
    assert queues.delay_for(10_000 + due_in_ms, 10_000) == delay


def test_a_timer_due_in_a_year_goes_back_to_wait_and_journals_nothing(stack: LocalStack) -> None:
    now = int(time.time() * 1000)
    timer = Timer("SLEEP", now + 365 * 86_400_000, 0, 1)
    body = queues.timer_message("timer-far", "i1", timer, now).body
    assert timers.fire_or_requeue(body, now) is False
    assert runtime.current().journal.get("timer-far", timer_event_id("i1", timer)) is None


def sleeping_head(wf_run_id: str, now: int) -> Timer:
    """Commit a head whose WfRun sleeps, and return the timer it waits for."""
    spec = WfSpec.model_validate(
        {
            "id": {"name": "sleeper"},
            "entrypointThreadName": "entrypoint",
            "threadSpecs": {
                "entrypoint": {
                    "nodes": {
                        "0-entrypoint-ENTRYPOINT": {
                            "entrypoint": {},
                            "outgoingEdges": [{"sinkNodeName": "1-sleep-SLEEP"}],
                        },
                        "1-sleep-SLEEP": {"sleep": {"rawSeconds": {"literalValue": {"int": "1"}}}},
                    }
                }
            },
        }
    )
    started = apply(
        Blueprint(spec, {}), None, RunRequested(wf_run_id, "sleeper", 0, 0, {}, now - 2000)
    )
    assert started.state is not None
    (effect,) = started.effects
    assert isinstance(effect, StartTimer)
    body = head_body(started.state.to_item(), Held())
    update = HeadUpdate(body, "RUNNING", "sleeper", applied_seq=0, incarnation="i1")
    runtime.current().state.commit_head(wf_run_id, update, 0)
    return effect.timer


def test_a_timer_the_wf_run_no_longer_waits_for_journals_nothing(stack: LocalStack) -> None:
    now = int(time.time() * 1000)
    timer = sleeping_head("timer-stale", now)
    stale = Timer("SLEEP", timer.due, 0, timer.position + 1)
    body = queues.timer_message("timer-stale", "i1", stale, now).body
    assert timers.fire_or_requeue(body, now) is False
    assert runtime.current().journal.get("timer-stale", timer_event_id("i1", stale)) is None
    unknown = queues.timer_message("no-such-run", "i1", timer, now).body
    assert timers.fire_or_requeue(unknown, now) is False
    earlier_run = queues.timer_message("timer-stale", "i0", timer, now).body
    assert timers.fire_or_requeue(earlier_run, now) is False, "a deleted run's timer"


def test_a_due_timer_is_journalled_once_however_often_it_arrives(stack: LocalStack) -> None:
    now = int(time.time() * 1000)
    timer = sleeping_head("timer-due", now)
    assert timer.due < now
    body = queues.timer_message("timer-due", "i1", timer, now).body
    assert timers.fire_or_requeue(body, now) is True
    assert timers.fire_or_requeue(body, now + 10) is True
    journal = runtime.current().journal
    entry = journal.get("timer-due", timer_event_id("i1", timer))
    assert entry is not None and entry.body["time"] == now
    table = resources.JOURNAL_TABLE.physical_name("local")
    items = boto3.client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="wfRunId = :w",
        ExpressionAttributeValues={":w": {"S": "timer-due"}},
    )["Items"]
    assert len(items) == 1
