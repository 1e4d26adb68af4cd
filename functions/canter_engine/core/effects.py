"""Effects: what the runtime must carry out after it commits a transition.

Effects are at-least-once (DESIGN invariant 4): the runtime may send one
twice, and the core ignores the consequences of a duplicate (a report for an
attempt that is no longer current, a timer for a node that has moved on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canter_engine.core.events import Timer


@dataclass(frozen=True, slots=True)
class ScheduleTask:
    """Send ``scheduled_task`` (a LittleHorse ``ScheduledTask``) to the TaskQueue's SQS queue.

    ``timeout_seconds`` goes with it, beside the body (the ScheduledTask is
    LittleHorse's message and stays as it is): the worker that takes the
    attempt reports ``TASK_TIMEOUT`` once that long has passed since the
    message was first received.
    """

    task_queue: str
    task_def_name: str
    task_guid: str
    attempt_number: int
    scheduled_task: dict[str, Any]
    timeout_seconds: int


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Journal ``TimerFired(timer)`` for this WfRun once ``timer.due`` has passed."""

    timer: Timer


@dataclass(frozen=True, slots=True)
class RunChildWf:
    """Journal ``RunWf`` for a child WfRun (idempotent: its id is derived from the parent)."""

    child_wf_run_id: str
    parent_wf_run_id: str
    wf_spec_name: str
    major_version: int | None
    variables: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NotifyParent:
    """Journal ``ChildWfEnded`` on the parent WfRun: this child WfRun has ended."""

    parent_wf_run_id: str
    child_wf_run_id: str
    status: str
    output: Any
    # An EXCEPTION's business failure, in journal form (see ``failure_body``),
    # so the parent's WAIT_FOR_CHILD_WF fails under the child's own name.
    failure: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ExpireWfRun:
    """Delete the WfRun that ended at ``ended_at`` once ``expires_at`` (epoch millis) has
    passed: its WfSpec's retention policy (core/retention.py)."""

    ended_at: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class DropExternalEvent:
    """Remove an unclaimed ExternalEvent's record and search entry: its ExternalEventDef's
    retention ran out (core/event_retention.py)."""

    def_name: str
    guid: str


@dataclass(frozen=True, slots=True)
class AwaitCorrelatedEvent:
    """Register this EXTERNAL_EVENT NodeRun as waiting on a CorrelatedEvent's key.

    Whichever comes second, the registration or the CorrelatedEvent, journals
    the event into this WfRun for this NodeRun (handlers/correlation.py).
    """

    def_name: str
    key: str
    thread: int
    position: int


@dataclass(frozen=True, slots=True)
class ForgetCorrelatedEvent:
    """This NodeRun no longer waits on ``key`` (it took an event or timed out)."""

    def_name: str
    key: str
    thread: int
    position: int


@dataclass(frozen=True, slots=True)
class WfRunStatusChanged:
    """Publish the WfRun's new status as LittleHorse's output topic would: ``record``
    is an ``OutputTopicRecord`` with the WfRun as it is after the change.

    Deterministic (the event's time, the state's WfRun), so a publish repeated
    after a crash sends the very same record.
    """

    wf_spec_name: str
    status: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EntityChanged:
    """Publish a change of one of the WfRun's entities (a TaskRun, a Variable, an
    ExternalEvent, a WorkflowEvent, a UserTaskRun, a Checkpoint) as LittleHorse's
    ``ALL_ENTITY_EVENTS`` output topic would: ``record`` is an ``OutputTopicRecord``.

    Deterministic as :class:`WfRunStatusChanged`: a repeat is the same record.
    """

    wf_spec_name: str
    record: dict[str, Any]


# The effects that are output-topic records (handlers/status_events.py publishes them).
OUTPUT_TOPIC_EFFECTS = (WfRunStatusChanged, EntityChanged)

Effect = (
    ScheduleTask
    | StartTimer
    | RunChildWf
    | NotifyParent
    | ExpireWfRun
    | DropExternalEvent
    | AwaitCorrelatedEvent
    | ForgetCorrelatedEvent
    | WfRunStatusChanged
    | EntityChanged
)

# Effects the scheduler carries out before it commits, as conditional or
# idempotent writes (a replay repeats them as no-ops).
JOURNAL_EFFECTS = (
    RunChildWf,
    NotifyParent,
    ExpireWfRun,
    DropExternalEvent,
    AwaitCorrelatedEvent,
    ForgetCorrelatedEvent,
    WfRunStatusChanged,
    EntityChanged,
)
