"""The stores and queues a handler works with, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from canter_engine import resources
from canter_engine.store import aws, settings
from canter_engine.store.early_events import EarlyEvents
from canter_engine.store.journal import Journal
from canter_engine.store.metadata import MetadataStore
from canter_engine.store.payloads import PayloadStore
from canter_engine.store.queues import Queues
from canter_engine.store.settings import Settings
from canter_engine.store.state import StateStore


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    journal: Journal
    state: StateStore
    metadata: MetadataStore
    queues: Queues
    # ExternalEvents posted before their WfRun exists, in the journal table.
    early_events: EarlyEvents
    payloads: PayloadStore

    def timer_queue_url(self) -> str:
        return self.settings.timer_queue_url or self.queues.url_of(
            resources.TIMER_QUEUE.physical_name(self.settings.stage)
        )

    def failure_queue_url(self) -> str:
        return self.settings.scheduler_failure_queue_url or self.queues.url_of(
            resources.SCHEDULER_FAILURE_QUEUE.physical_name(self.settings.stage)
        )


@cache
def current() -> Runtime:
    config = settings.current()
    ddb = aws.dynamodb()
    payloads = PayloadStore(aws.s3(), config.payload_bucket)
    return Runtime(
        settings=config,
        journal=Journal(ddb, config.journal_table, payloads),
        state=StateStore(ddb, config.state_table, payloads),
        metadata=MetadataStore(ddb, config.metadata_table),
        queues=Queues(aws.sqs(), config.task_queue_prefix),
        early_events=EarlyEvents(ddb, config.journal_table),
        payloads=payloads,
    )


def reset() -> None:
    """Forget everything built from the environment (the local stack changes it once)."""
    current.cache_clear()
    settings.current.cache_clear()
    aws.reset()
