"""State transitions of the Step Functions Standard state machine equivalent to each workflow.

Counted the way AWS bills them: one transition per state entered, retries
included, plus one each for the execution's Start and End. An inline Map
is one state; the states inside each iteration are billed per iteration.
Each model is the smallest honest state machine: a Task state per task, a
Choice state per loop test, a Wait state for a sleep and a callback Task
(``.waitForTaskToken``) for an external event. A loop counter is advanced
by the Task state's own ``Assign`` (JSONata), so it costs no extra state.
"""

from __future__ import annotations

START_AND_END = 2


def chain(tasks: int) -> int:
    """Task, Task, ... Task."""
    return tasks + START_AND_END


def fan_out(children: int, tasks_per_child: int = 1) -> int:
    """One inline Map state whose iterator runs ``tasks_per_child`` Task states per item."""
    return 1 + children * tasks_per_child + START_AND_END


def loop(iterations: int, tasks_per_iteration: int = 1) -> int:
    """Choice (continue?) then the body, repeated; the last Choice exits."""
    return (iterations + 1) + iterations * tasks_per_iteration + START_AND_END


def event_then_sleep() -> int:
    """A callback Task waiting for the event's token, then a Wait state."""
    return 2 + START_AND_END


def user_task() -> int:
    """A Parallel state: one branch a callback Task waiting for the person's token, the
    other a Wait state then the reminder Task."""
    return 1 + 1 + 2 + START_AND_END


def dollars(transitions: int, per_million: float) -> float:
    return transitions * per_million / 1e6
