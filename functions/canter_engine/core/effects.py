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
    """Send ``scheduled_task`` (a LittleHorse ``ScheduledTask``) to the TaskQueue's SQS queue."""

    task_queue: str
    task_def_name: str
    task_guid: str
    attempt_number: int
    scheduled_task: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Journal ``TimerFired(timer)`` for this WfRun once ``timer.due`` has passed."""

    timer: Timer


Effect = ScheduleTask | StartTimer
