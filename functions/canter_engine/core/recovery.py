"""Effects re-derived from a state, for redelivery after a crash.

A scheduler that committed a transition and died before sending its effects
would lose them (DESIGN invariant 4). Instead of persisting an outbox, the
runtime asks for every effect the committed state still waits on and sends
them again; consumers ignore duplicates by design.
"""

from __future__ import annotations

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import Effect, StartTimer
from canter_engine.core.events import Timer
from canter_engine.core.state import WfRunState
from canter_engine.core.tasks import schedule_task, task_guid
from canter_engine.core.user_tasks import ACTION_TIMER, reminders_in_flight


def timer_pending(state: WfRunState, timer: Timer) -> bool:
    """Whether ``state`` still waits for ``timer``.

    State only moves forward, so a timer this state no longer waits for will
    never be wanted again: the timer path may drop it instead of journalling
    a TimerFired that would change nothing.
    """
    if timer.kind == "TASK_RETRY":
        task_run = state.task_runs.get(task_guid(timer.thread, timer.position))
        if task_run is None or timer.attempt != len(task_run.attempts) - 1:
            return False
        return task_run.current.status == "TASK_PENDING"
    thread = state.threads.get(timer.thread)
    node_run = thread.current if thread is not None and not thread.ended else None
    if timer.kind == ACTION_TIMER:
        utr = node_run.user_task if node_run is not None else None
        return utr is not None and (timer.due, timer.attempt) in utr.timers
    kind = {"SLEEP": "sleep", "EVENT_TIMEOUT": "external_event"}.get(timer.kind)
    return (
        node_run is not None
        and node_run.position == timer.position
        and node_run.kind == kind
        and node_run.status == "RUNNING"
        and node_run.due == timer.due
    )


def outstanding_effects(bp: Blueprint, state: WfRunState) -> list[Effect]:
    effects: list[Effect] = []
    for task_run in state.task_runs.values():
        attempt = task_run.current
        if attempt.status == "TASK_SCHEDULED":
            effects.append(schedule_task(bp.id_json, state.wf_run_id, task_run))
        elif attempt.status == "TASK_PENDING":
            number = len(task_run.attempts) - 1
            effects.append(
                StartTimer(
                    Timer(
                        "TASK_RETRY",
                        attempt.schedule_time,
                        task_run.thread,
                        task_run.position,
                        number,
                    )
                )
            )
    for thread in state.threads.values():
        node_run = thread.current
        utr = node_run.user_task if node_run is not None and not thread.ended else None
        if utr is not None:
            effects.extend(
                StartTimer(Timer(ACTION_TIMER, due, utr.thread, utr.position, number))
                for due, number in utr.timers
            )
            effects.extend(reminders_in_flight(bp.id_json, state.wf_run_id, utr))
        if thread.ended or node_run is None or node_run.status != "RUNNING" or node_run.due is None:
            continue
        kind = {"sleep": "SLEEP", "external_event": "EVENT_TIMEOUT"}.get(node_run.kind)
        if kind is not None:
            effects.append(StartTimer(Timer(kind, node_run.due, thread.number, node_run.position)))
    return effects
