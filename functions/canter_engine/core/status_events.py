"""Status events: every change of a WfRun's status, as an output-topic record, and at
the ``all`` level every change of its entities.

LittleHorse sends a ``WfRun`` to its output topic whenever a command changes
its status (WfRunModel.shouldProduceToOutputTopic); Canter does the same per
journal record applied, and the scheduler publishes the record to Amazon
EventBridge for the WfSpecs that opted in (handlers/status_events.py).

With its tenant's ``ALL_ENTITY_EVENTS`` LittleHorse also sends every entity a
command stores changed (GetableManager.commit, CoreOutputTopicGetable): a
TaskRun, an ExternalEvent, a WorkflowEvent, a UserTaskRun, a Checkpoint, and
a Variable whose access level is PUBLIC_VAR or INHERITED_VAR
(VariableModel.shouldProduceToOutputTopic). :func:`entity_changes` gives the
same from one transition: a TaskRun in flight whose state differs from
before the event, one that ended in it, and every other such record the
transition wrote. A NodeRun has no field in ``OutputTopicRecord``, so it is
not published (its TaskRun is).
"""

from __future__ import annotations

from typing import Any

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import EntityChanged, WfRunStatusChanged
from canter_engine.core.records import Record, live_records, wf_run_json
from canter_engine.core.state import (
    ExternalEvent,
    NodeRun,
    TaskCheckpoint,
    TaskRun,
    VariableValue,
    WfRunState,
    WorkflowEvent,
)
from canter_engine.core.user_task_state import UserTaskRun
from canter_engine.model import values

# OutputTopicRecord's field for each record kind published.
_FIELDS: dict[type, str] = {
    ExternalEvent: "externalEvent",
    WorkflowEvent: "workflowEvent",
    UserTaskRun: "userTaskRun",
    TaskCheckpoint: "taskCheckpoint",
    VariableValue: "variable",
}
_PUBLISHED_ACCESS = ("PUBLIC_VAR", "INHERITED_VAR")


def status_change(
    before: WfRunState | None, after: WfRunState, time: int
) -> WfRunStatusChanged | None:
    """The change ``after`` makes to the status of ``before`` (None: none)."""
    if before is not None and before.status == after.status:
        return None
    record = {"timestamp": values.format_timestamp(time), "wfRun": wf_run_json(after)}
    return WfRunStatusChanged(after.spec_name, after.status, record)


def entity_changes(
    bp: Blueprint,
    before: WfRunState | None,
    after: WfRunState,
    records: list[Record],
    time: int,
) -> list[EntityChanged]:
    """The entities one transition changed, as output-topic records, in a fixed order:
    TaskRuns in flight, then the transition's records in the order it wrote them."""
    stamp = values.format_timestamp(time)
    flying = _tasks_in_flight(before)
    changed: list[EntityChanged] = []

    def add(field: str, body: dict[str, Any]) -> None:
        changed.append(EntityChanged(after.spec_name, {"timestamp": stamp, field: body}))

    for record in live_records(after):
        live = record.obj
        if isinstance(live, TaskRun):
            earlier = flying.get(live.guid)
            if earlier is None or not (earlier is live or earlier == live):
                add("taskRun", record.to_json())
    for record in records:
        obj = record.obj
        if isinstance(obj, NodeRun):
            ended = obj.task
            if ended is not None and _ended_now(ended, flying, time):
                add("taskRun", record.task_run_json() or {})
            continue
        field = _FIELDS.get(type(obj))
        if field is None:
            continue
        if isinstance(obj, VariableValue) and not _published(bp, record.thread_spec_name, obj):
            continue
        add(field, record.to_json())
    return changed


def _tasks_in_flight(state: WfRunState | None) -> dict[str, TaskRun]:
    if state is None:
        return {}
    return {r.obj.guid: r.obj for r in live_records(state) if isinstance(r.obj, TaskRun)}


def _ended_now(task: TaskRun, flying: dict[str, TaskRun], time: int) -> bool:
    """Whether the TaskRun a NodeRun record holds ended in this transition (the record
    is written again when the NodeRun changes later, its TaskRun then unchanged)."""
    if task.guid in flying:
        return True
    return any(a.end_time == time for a in task.attempts)


def _published(bp: Blueprint, thread_spec: str, var: VariableValue) -> bool:
    thread = bp.spec.thread_specs.get(thread_spec)
    if thread is None:
        return False
    return any(
        d.var_def.name == var.name and d.access_level in _PUBLISHED_ACCESS
        for d in thread.variable_defs
    )
