"""One encrypted queue plus dead-letter queue per declared TaskQueue, and the engine's queues."""

from __future__ import annotations

from typing import Any

import pytest
from canter_engine import resources as r
from canter_engine.core.tasks import DEFAULT_TASK_TIMEOUT_SECONDS


def _queue_named(dev: Any, name: str) -> tuple[str, dict[str, Any]]:
    matches = [
        (logical_id, props["Properties"])
        for logical_id, props in dev.resources("AWS::SQS::Queue").items()
        if props["Properties"]["QueueName"] == name
    ]
    assert len(matches) == 1, f"expected one queue named {name}"
    return matches[0]


def _expected_queues(declared: tuple[str, ...]) -> list[r.QueueDef]:
    return [r.TIMER_QUEUE, r.SCHEDULER_FAILURE_QUEUE, *(r.task_queue(n) for n in declared)]


def test_one_queue_and_dead_letter_queue_per_declared_task_queue(
    dev: Any, declared_task_queues: tuple[str, ...]
) -> None:
    names = {p["Properties"]["QueueName"] for p in dev.resources("AWS::SQS::Queue").values()}
    expected = set()
    for definition in _expected_queues(declared_task_queues):
        expected.add(definition.physical_name("dev"))
        if definition.has_dead_letter_queue:
            expected.add(definition.dead_letter_name("dev"))
    assert names == expected
    assert {f"canter-dev-task-{n}" for n in declared_task_queues} <= names
    assert {f"canter-dev-task-{n}-dlq" for n in declared_task_queues} <= names


@pytest.mark.parametrize("name", ["greet", "orders", None], ids=["greet", "orders", "timers"])
def test_redrive_and_settings_from_resources(dev: Any, name: str | None) -> None:
    definition = r.TIMER_QUEUE if name is None else r.task_queue(name)
    _, props = _queue_named(dev, definition.physical_name("dev"))
    dead_letter_id, dead_letter = _queue_named(dev, definition.dead_letter_name("dev"))
    assert props["VisibilityTimeout"] == definition.visibility_timeout_seconds
    assert props["MessageRetentionPeriod"] == definition.retention_seconds
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_letter_id, "Arn"]},
        "maxReceiveCount": definition.max_receive_count,
    }
    assert dead_letter["MessageRetentionPeriod"] == definition.retention_seconds


def test_a_crash_looping_task_reaches_its_default_timeout_before_the_dead_letter_queue() -> None:
    definition = r.task_queue("greet")
    returns_before_last_receive = definition.max_receive_count - 1
    assert returns_before_last_receive * definition.visibility_timeout_seconds > (
        DEFAULT_TASK_TIMEOUT_SECONDS
    ), "the worker must see the deadline pass before SQS gives up on the message"


def test_scheduler_failure_queue_is_itself_the_dead_letter(dev: Any) -> None:
    _, props = _queue_named(dev, r.SCHEDULER_FAILURE_QUEUE.physical_name("dev"))
    assert "RedrivePolicy" not in props


def test_every_queue_is_encrypted(dev: Any) -> None:
    for props in dev.resources("AWS::SQS::Queue").values():
        assert props["Properties"]["SqsManagedSseEnabled"] is True


def test_every_queue_refuses_plain_http(dev: Any) -> None:
    queues = set(dev.resources("AWS::SQS::Queue"))
    protected = set()
    for policy in dev.resources("AWS::SQS::QueuePolicy").values():
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Action"] == "sqs:*"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        protected |= {ref["Ref"] for ref in policy["Properties"]["Queues"]}
    assert protected == queues
