"""The one definition of Canter's tables, queues and functions.

CDK (``infra/``), the local stack (``canter dev``) and the tests all build
their resources from these values, so a key name or a queue setting cannot
drift between AWS and a laptop. Physical names are derived from a stage so
that two stages deploy side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["S", "N", "B"]

DEFAULT_STAGE = "dev"
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
TASK_QUEUE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,60}$")

# Environment variables through which the handlers learn the physical names.
ENV_STAGE = "CANTER_STAGE"
ENV_JOURNAL_TABLE = "CANTER_JOURNAL_TABLE"
ENV_STATE_TABLE = "CANTER_STATE_TABLE"
ENV_METADATA_TABLE = "CANTER_METADATA_TABLE"
ENV_TIMER_QUEUE_URL = "CANTER_TIMER_QUEUE_URL"
ENV_SCHEDULER_DLQ_URL = "CANTER_SCHEDULER_DLQ_URL"
ENV_TASK_QUEUE_PREFIX = "CANTER_TASK_QUEUE_PREFIX"
ENV_DYNAMIC_QUEUES = "CANTER_DYNAMIC_QUEUES"


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True, slots=True)
class IndexDef:
    name: str
    partition_key: Key
    sort_key: Key
    # Non-key attributes copied into the index (for filters); none: keys only.
    projected: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TableDef:
    logical_id: str
    suffix: str
    partition_key: Key
    sort_key: Key
    stream_new_image: bool = False
    indexes: tuple[IndexDef, ...] = ()
    ttl_attribute: str | None = None

    def physical_name(self, stage: str) -> str:
        return f"canter-{stage}-{self.suffix}"


@dataclass(frozen=True, slots=True)
class QueueDef:
    logical_id: str
    suffix: str
    visibility_timeout_seconds: int
    retention_seconds: int = 14 * 24 * 3600
    max_receive_count: int = 5
    has_dead_letter_queue: bool = True

    def physical_name(self, stage: str) -> str:
        return f"canter-{stage}-{self.suffix}"

    def dead_letter_name(self, stage: str) -> str:
        return f"canter-{stage}-{self.suffix}-dlq"


@dataclass(frozen=True, slots=True)
class FunctionDef:
    logical_id: str
    handler: str
    memory_mb: int
    timeout_seconds: int
    description: str
    env: tuple[str, ...] = field(default=())


# Every input to a WfRun, appended before it has any effect (invariant 1).
# Its stream feeds the scheduler; the partition key keeps a WfRun's records in
# order and in one invocation at a time (invariant 2).
JOURNAL_TABLE = TableDef(
    logical_id="Journal",
    suffix="journal",
    partition_key=Key("wfRunId"),
    sort_key=Key("eventId"),
    stream_new_image=True,
    ttl_attribute="expiresAt",
)

# WfRun heads, NodeRuns, TaskRuns, Variables and ExternalEvents, one item
# each (invariant 5). The index serves SearchWfRun (store/run_index.py): by
# status and start time, with the WfSpec version and parent to filter on.
STATE_TABLE = TableDef(
    logical_id="State",
    suffix="state",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
    indexes=(IndexDef("byStatusTime", Key("gsi1pk"), Key("gsi1sk"), ("spec", "ver", "parent")),),
    ttl_attribute="expiresAt",
)

# TaskDefs, ExternalEventDefs, WorkflowEventDefs and versioned WfSpecs.
METADATA_TABLE = TableDef(
    logical_id="Metadata",
    suffix="metadata",
    partition_key=Key("pk"),
    sort_key=Key("sk"),
)

TABLES: tuple[TableDef, ...] = (JOURNAL_TABLE, STATE_TABLE, METADATA_TABLE)

# Timers ride an SQS delay queue; a timer due later than SQS's 15-minute
# maximum delay is re-queued by the timer handler until it is due.
TIMER_QUEUE = QueueDef(logical_id="Timers", suffix="timers", visibility_timeout_seconds=60)

# Where the scheduler's event source sends batches it could not process.
SCHEDULER_FAILURE_QUEUE = QueueDef(
    logical_id="SchedulerFailures",
    suffix="scheduler-failures",
    visibility_timeout_seconds=60,
    has_dead_letter_queue=False,
)

TASK_QUEUE_VISIBILITY_SECONDS = 30
# How many times a task message may be received before SQS moves it to the
# dead-letter queue. A worker that dies holding an attempt lets it come back
# within TASK_QUEUE_VISIBILITY_SECONDS, and the worker SDK reports TASK_TIMEOUT
# for an attempt received after its deadline (first receive + timeoutSeconds),
# or on the last receive this count allows: a message in the DLQ would leave
# its WfRun waiting for ever. At 10, an attempt whose workers keep crashing
# reaches its deadline before its last receive for any timeout up to 270 s
# (9 returns of 30 s; the default timeout, 60 s, on the third receive), and
# a few receives that are not crashes (a message released at a worker's
# shutdown, a report that could not be sent) do not cut an attempt short.
# Higher would let one poison message crash more workers before it is reported.
TASK_QUEUE_MAX_RECEIVE_COUNT = 10
SQS_MAX_DELAY_SECONDS = 900


def task_queue(name: str) -> QueueDef:
    """The SQS queue that carries one TaskQueue's ScheduledTasks."""
    if not TASK_QUEUE_PATTERN.match(name):
        raise ValueError(f"task queue name {name!r} must be 1-60 letters, digits, '-' or '_'")
    return QueueDef(
        logical_id=f"TaskQueue{_pascal(name)}",
        suffix=f"task-{name}",
        visibility_timeout_seconds=TASK_QUEUE_VISIBILITY_SECONDS,
        max_receive_count=TASK_QUEUE_MAX_RECEIVE_COUNT,
    )


def task_queue_prefix(stage: str) -> str:
    return f"canter-{stage}-task-"


SCHEDULER_FUNCTION = FunctionDef(
    logical_id="Scheduler",
    handler="canter_engine.handlers.scheduler.handler",
    memory_mb=512,
    timeout_seconds=60,
    description="Applies journal records to WfRuns with the pure core and sends effects",
)
TIMERS_FUNCTION = FunctionDef(
    logical_id="Timers",
    handler="canter_engine.handlers.timers.handler",
    memory_mb=256,
    timeout_seconds=30,
    description="Journals TimerFired when a timer is due; re-queues long timers",
)
API_FUNCTION = FunctionDef(
    logical_id="Api",
    handler="canter_engine.handlers.api.handler",
    memory_mb=512,
    timeout_seconds=29,
    description="Serves POST /<RpcName>: validates, journals, reads state",
)
FUNCTIONS: tuple[FunctionDef, ...] = (SCHEDULER_FUNCTION, TIMERS_FUNCTION, API_FUNCTION)

# Stream event source settings for the scheduler (Lambda semantics that the
# local stream pump reproduces).
SCHEDULER_BATCH_SIZE = 100
SCHEDULER_MAX_BATCHING_WINDOW_SECONDS = 0
SCHEDULER_MAX_RETRY_ATTEMPTS = 10
SCHEDULER_BISECT_ON_ERROR = True


def validate_stage(stage: str) -> str:
    if not STAGE_PATTERN.match(stage):
        raise ValueError(
            f"stage {stage!r} must start with a lowercase letter and hold at most 20 "
            "lowercase letters, digits or '-'"
        )
    return stage


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


# Powertools reads these from POWERTOOLS_SERVICE_NAME and
# POWERTOOLS_METRICS_NAMESPACE; CDK sets them on every function so logs,
# traces and metrics of all three handlers group under one service.
POWERTOOLS_SERVICE_NAME = "canter"
METRICS_NAMESPACE = "Canter"
