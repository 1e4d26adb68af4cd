"""The timer queue, the scheduler's failure queue and one queue per declared TaskQueue.

Every queue is encrypted with SQS-managed keys (no key to pay for or to
grant) and refuses plain HTTP; every queue that consumers read from has a
dead-letter queue so a poison message stops being retried and is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from canter_engine.resources import (
    SCHEDULER_FAILURE_QUEUE,
    TIMER_QUEUE,
    QueueDef,
    task_queue,
)
from constructs import Construct


@dataclass(frozen=True, slots=True)
class DeployedQueue:
    definition: QueueDef
    queue: sqs.Queue
    dead_letter: sqs.Queue | None


class Queues(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: str, task_queues: tuple[str, ...]
    ) -> None:
        super().__init__(scope, construct_id)
        self.timers = _deploy(self, TIMER_QUEUE, stage)
        self.scheduler_failures = _deploy(self, SCHEDULER_FAILURE_QUEUE, stage)
        self.task_queues = {name: _deploy(self, task_queue(name), stage) for name in task_queues}

    @property
    def all(self) -> list[DeployedQueue]:
        return [self.timers, self.scheduler_failures, *self.task_queues.values()]

    @property
    def failure_queues(self) -> list[sqs.Queue]:
        """Where messages land that nothing could process: each one needs an alarm."""
        dead_letters = [q.dead_letter for q in self.all if q.dead_letter is not None]
        return [*dead_letters, self.scheduler_failures.queue]


def _deploy(scope: Construct, definition: QueueDef, stage: str) -> DeployedQueue:
    dead_letter = None
    redrive = None
    if definition.has_dead_letter_queue:
        dead_letter = sqs.Queue(
            scope,
            f"{definition.logical_id}DeadLetters",
            queue_name=definition.dead_letter_name(stage),
            retention_period=Duration.seconds(definition.retention_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        redrive = sqs.DeadLetterQueue(
            max_receive_count=definition.max_receive_count, queue=dead_letter
        )
    queue = sqs.Queue(
        scope,
        definition.logical_id,
        queue_name=definition.physical_name(stage),
        visibility_timeout=Duration.seconds(definition.visibility_timeout_seconds),
        retention_period=Duration.seconds(definition.retention_seconds),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        dead_letter_queue=redrive,
    )
    return DeployedQueue(definition=definition, queue=queue, dead_letter=dead_letter)
