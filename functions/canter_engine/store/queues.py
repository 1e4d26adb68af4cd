"""SQS: task queues (one per TaskQueue), the timer delay queue, the failure queue."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine import resources
from canter_engine.core.events import Timer

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

# The classic SQS limit; moto enforces it, and a larger ScheduledTask would
# also be a poor fit for a task queue.
SQS_MAX_MESSAGE_BYTES = 256 * 1024
# A ScheduledTask larger than this goes by reference (store/payloads.py),
# leaving room for its attributes and a batch's other messages.
TASK_MESSAGE_INLINE_BYTES = 192 * 1024
_BATCH_MAX_ENTRIES = 10
_BATCH_MAX_BYTES = 200 * 1024


class QueueMissing(Exception):
    """A TaskQueue with no deployed SQS queue."""


# The SQS message attribute that carries a task attempt's timeout to the
# worker, beside the ScheduledTask (LittleHorse's message, left unchanged).
TIMEOUT_ATTRIBUTE = "canter.timeoutSeconds"
# The attribute that carries the attempt's task token (handlers/task_tokens.py),
# which the worker sends back with its report.
TOKEN_ATTRIBUTE = "canter.taskToken"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message: its body, how long SQS should hold it back, its attributes."""

    body: str
    delay_seconds: int = 0
    numbers: tuple[tuple[str, int], ...] = ()
    strings: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> int:
        """Bytes SQS counts against its limits: the body and each attribute's name, type, value."""
        return (
            len(self.body.encode())
            + sum(len(name) + len("Number") + len(str(value)) for name, value in self.numbers)
            + sum(len(name) + len("String") + len(value.encode()) for name, value in self.strings)
        )

    def attributes(self) -> dict[str, MessageAttributeValueTypeDef]:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "Number", "StringValue": str(value)} for name, value in self.numbers
        }
        for name, text in self.strings:
            attributes[name] = {"DataType": "String", "StringValue": text}
        return attributes


class Queues:
    def __init__(self, client: SQSClient, task_queue_prefix: str) -> None:
        self._client = client
        self._prefix = task_queue_prefix
        self._urls: dict[str, str] = {}

    def task_queue_url(self, task_queue: str) -> str:
        """The URL of a TaskQueue's SQS queue; :class:`QueueMissing` if not deployed."""
        return self.url_of(self._prefix + task_queue)

    def url_of(self, queue_name: str) -> str:
        cached = self._urls.get(queue_name)
        if cached:
            return cached
        try:
            url = self._client.get_queue_url(QueueName=queue_name)["QueueUrl"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in (
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
            ):
                raise QueueMissing(queue_name) from None
            raise
        self._urls[queue_name] = url
        return url

    def create_task_queue(self, task_queue: str) -> str:
        """Create a TaskQueue's queue and dead-letter queue (dynamic queues only)."""
        definition = resources.task_queue(task_queue)
        name = self._prefix + task_queue
        dlq_url = self._client.create_queue(
            QueueName=f"{name}-dlq",
            Attributes={"MessageRetentionPeriod": str(definition.retention_seconds)},
        )["QueueUrl"]
        dlq_arn = self._client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        url = self._client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(definition.visibility_timeout_seconds),
                "MessageRetentionPeriod": str(definition.retention_seconds),
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": dlq_arn,
                        "maxReceiveCount": definition.max_receive_count,
                    }
                ),
            },
        )["QueueUrl"]
        self._urls[name] = url
        return url

    def send(self, queue_url: str, messages: Sequence[Outgoing]) -> None:
        """Send in as few requests as SQS allows; raises if any message was refused."""
        batch: list[Outgoing] = []
        size = 0
        for message in messages:
            length = message.size
            if batch and (len(batch) == _BATCH_MAX_ENTRIES or size + length > _BATCH_MAX_BYTES):
                self._send_batch(queue_url, batch)
                batch, size = [], 0
            batch.append(message)
            size += length
        if batch:
            self._send_batch(queue_url, batch)

    def _send_batch(self, queue_url: str, batch: list[Outgoing]) -> None:
        if len(batch) == 1:
            self._client.send_message(
                QueueUrl=queue_url,
                MessageBody=batch[0].body,
                DelaySeconds=batch[0].delay_seconds,
                MessageAttributes=batch[0].attributes(),
            )
            return
        result = self._client.send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": m.body,
                    "DelaySeconds": m.delay_seconds,
                    "MessageAttributes": m.attributes(),
                }
                for i, m in enumerate(batch)
            ],
        )
        failed = result.get("Failed", [])
        if failed:
            raise RuntimeError(f"SQS refused {len(failed)} message(s) to {queue_url}: {failed}")


def task_message(body: str, timeout_seconds: int, token: str) -> Outgoing:
    """A ScheduledTask for a task queue; the timeout the worker enforces and the
    attempt's task token travel as attributes beside it."""
    return Outgoing(
        body,
        numbers=((TIMEOUT_ATTRIBUTE, timeout_seconds),),
        strings=((TOKEN_ATTRIBUTE, token),),
    )


def timer_message(wf_run_id: str, incarnation: str, timer: Timer, now_ms: int) -> Outgoing:
    """A timer as a delay-queue message, held back as long as SQS allows (15 minutes)."""
    return Outgoing(
        body=json.dumps(
            {"wfRunId": wf_run_id, "incarnation": incarnation, "timer": timer.to_json()}
        ),
        delay_seconds=delay_for(timer.due, now_ms),
    )


def delay_for(due_ms: int, now_ms: int) -> int:
    """Seconds to hold a timer back: rounded up, so it never arrives early without need."""
    remaining = math.ceil(max(0, due_ms - now_ms) / 1000)
    return min(remaining, resources.SQS_MAX_DELAY_SECONDS)


def parse_timer_message(body: str) -> tuple[str, str, Timer]:
    """The WfRun id, its incarnation and the timer of a timer message."""
    data: dict[str, Any] = json.loads(body)
    return str(data["wfRunId"]), str(data.get("incarnation", "")), Timer.from_json(data["timer"])
