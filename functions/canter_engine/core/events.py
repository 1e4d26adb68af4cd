"""Events: the inputs of the core, one per journal record.

Every event carries the time it was journalled (epoch millis): the core reads
time from events only, never from a clock (DESIGN invariant 6). Each event
also has a journal form (``kind`` plus a LittleHorse-shaped JSON ``body``) so
that the API writes and the scheduler reads the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canter_engine.model import values

# The journal kind of a WfRun's migration to another WfSpec version.
MIGRATE_KIND = "MigrateWfRun"


class MalformedEvent(ValueError):
    """A journal record that can never be applied; it goes to the dead-letter queue."""


@dataclass(frozen=True, slots=True)
class RunRequested:
    """``RunWf``: creates the WfRun. The API resolved the WfSpec version."""

    wf_run_id: str
    wf_spec_name: str
    major_version: int
    revision: int
    variables: dict[str, Any]
    time: int
    parent_wf_run_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskReported:
    """``ReportTask``: the end of one attempt, as the worker saw it."""

    task_guid: str
    attempt_number: int
    status: str
    time: int
    output: Any = None
    log_output: Any = None
    error_type: str | None = None
    error_message: str = ""
    exception_name: str | None = None
    exception_message: str = ""
    exception_content: Any = None
    # Beside LittleHorse's ReportTaskRun (Canter's ReportTasks "attempts"):
    # when the worker started the attempt, and which worker it was.
    start_time: int | None = None
    worker_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExternalEventPosted:
    """``PutExternalEvent``: one occurrence of an ExternalEventDef for this WfRun."""

    def_name: str
    guid: str
    content: Any
    time: int
    thread_run_number: int | None = None
    # When it was posted, if before ``time``: an event posted before its WfRun
    # existed is journalled for the run when the run starts (store/early_events.py).
    created_at: int | None = None
    # With ``thread_run_number``: the one NodeRun this event is for (a
    # CorrelatedEvent delivered to the node that waits on its key).
    node_run_position: int | None = None


@dataclass(frozen=True, slots=True)
class ExternalEventExpired:
    """An ExternalEvent's retention (``secondsAfterPut`` of its ExternalEventDef) ran out:
    LittleHorse's DeleteExternalEvent, which removes it only while it is unclaimed.

    Never appended by anyone: DynamoDB's TTL removing the event's journal record
    is this event (core/event_retention.py).
    """

    def_name: str
    guid: str
    time: int


@dataclass(frozen=True, slots=True)
class CheckpointPut:
    """``PutCheckpoint``: the worker running an attempt saved a step's result."""

    task_guid: str
    attempt_number: int
    value: Any
    logs: str
    time: int


@dataclass(frozen=True, slots=True)
class Timer:
    """A wake-up the core asked for; it comes back as :class:`TimerFired`.

    ``kind`` says what it is for and ``thread``/``position``/``attempt`` name
    exactly what it wakes, so a late or duplicated timer for something that
    has moved on is recognised and ignored.
    """

    kind: str
    due: int
    thread: int
    position: int
    attempt: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due,
            "thread": self.thread,
            "position": self.position,
            "attempt": self.attempt,
        }

    @staticmethod
    def from_json(body: dict[str, Any]) -> Timer:
        return Timer(
            kind=str(body["kind"]),
            due=int(body["due"]),
            thread=int(body["thread"]),
            position=int(body["position"]),
            attempt=int(body.get("attempt", 0)),
        )


@dataclass(frozen=True, slots=True)
class TimerFired:
    timer: Timer
    time: int


@dataclass(frozen=True, slots=True)
class StopRequested:
    """``StopWfRun``: halt the whole WfRun, or one thread."""

    time: int
    thread_run_number: int | None = None


@dataclass(frozen=True, slots=True)
class ResumeRequested:
    """``ResumeWfRun``: resume what a stop halted."""

    time: int
    thread_run_number: int | None = None


@dataclass(frozen=True, slots=True)
class RescueRequested:
    """``RescueThreadRun``: a thread in ERROR runs its failed node again, or skips it."""

    time: int
    thread_run_number: int
    skip_current_node: bool = False


@dataclass(frozen=True, slots=True)
class MigrationRequested:
    """``MigrateWfSpec`` or ``ApplyWorkflowMigrationPlan`` for one WfRun.

    ``migration`` is LittleHorse's ``WfSpecVersionMigration`` as JSON (a
    plan's thread migrations are journalled in that form too);
    ``old_version`` is the ``(majorVersion, revision)`` the WfRun had when the
    migration was asked for, so a WfRun that moved on meanwhile is left alone.
    ``variables`` is ``ApplyWorkflowMigrationPlanRequest.migrationVarsByThread``:
    destination thread name -> variable name -> ``VariableAssignment`` JSON.
    """

    time: int
    old_version: tuple[int, int]
    migration: dict[str, Any]
    plan: str | None = None
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChildWfEnded:
    """A child WfRun (started by RUN_CHILD_WF) reached COMPLETED, ERROR or EXCEPTION."""

    child_wf_run_id: str
    status: str
    time: int
    output: Any = None
    # For EXCEPTION: {"failureName", "message", "content"} of the child's failure.
    failure: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class UserTaskRequested:
    """A user-task rpc on one UserTaskRun: ``op`` is the rpc's name (``AssignUserTaskRun``,
    ``CompleteUserTaskRun``, ...) and ``request`` its LittleHorse request, as JSON."""

    op: str
    guid: str
    request: dict[str, Any]
    time: int


Event = (
    RunRequested
    | UserTaskRequested
    | TaskReported
    | ExternalEventPosted
    | TimerFired
    | StopRequested
    | ResumeRequested
    | ChildWfEnded
    | RescueRequested
    | CheckpointPut
    | MigrationRequested
    | ExternalEventExpired
)


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """The journal form of an event: what the API appends and the stream delivers."""

    kind: str
    body: dict[str, Any] = field(default_factory=dict)


def to_journal(event: Event) -> JournalEntry:
    if isinstance(event, RunRequested):
        body: dict[str, Any] = {
            "id": event.wf_run_id,
            "wfSpecId": {
                "name": event.wf_spec_name,
                "majorVersion": event.major_version,
                "revision": event.revision,
            },
            "variables": {k: values.encode(v) for k, v in event.variables.items()},
        }
        if event.parent_wf_run_id:
            body["parentWfRunId"] = {"id": event.parent_wf_run_id}
        return JournalEntry("RunWf", _timed(body, event.time))
    if isinstance(event, TaskReported):
        body = {
            "taskGuid": event.task_guid,
            "attemptNumber": event.attempt_number,
            "status": event.status,
        }
        if event.output is not None:
            body["output"] = values.encode(event.output)
        if event.log_output is not None:
            body["logOutput"] = values.encode(event.log_output)
        if event.error_type is not None:
            body["error"] = {"type": event.error_type, "message": event.error_message}
        if event.exception_name is not None:
            exc: dict[str, Any] = {"name": event.exception_name, "message": event.exception_message}
            if event.exception_content is not None:
                exc["content"] = values.encode(event.exception_content)
            body["exception"] = exc
        if event.start_time is not None:
            body["startTime"] = event.start_time
        if event.worker_id is not None:
            body["workerId"] = event.worker_id
        return JournalEntry("ReportTask", _timed(body, event.time))
    if isinstance(event, ExternalEventPosted):
        body = {
            "externalEventDefId": {"name": event.def_name},
            "guid": event.guid,
            "content": values.encode(event.content),
        }
        if event.thread_run_number is not None:
            body["threadRunNumber"] = event.thread_run_number
        if event.created_at is not None:
            body["createdAt"] = event.created_at
        if event.node_run_position is not None:
            body["nodeRunPosition"] = event.node_run_position
        return JournalEntry("PutExternalEvent", _timed(body, event.time))
    if isinstance(event, TimerFired):
        return JournalEntry("TimerFired", _timed({"timer": event.timer.to_json()}, event.time))
    if isinstance(event, UserTaskRequested):
        body = {"op": event.op, "userTaskGuid": event.guid, "request": event.request}
        return JournalEntry("UserTask", _timed(body, event.time))
    if isinstance(event, CheckpointPut):
        body = {
            "taskGuid": event.task_guid,
            "taskAttempt": event.attempt_number,
            "value": values.encode(event.value),
        }
        if event.logs:
            body["logs"] = event.logs
        return JournalEntry("PutCheckpoint", _timed(body, event.time))
    if isinstance(event, ChildWfEnded):
        body = {"childWfRunId": event.child_wf_run_id, "status": event.status}
        if event.output is not None:
            body["output"] = values.encode(event.output)
        if event.failure is not None:
            body["failure"] = event.failure
        return JournalEntry("ChildWfEnded", _timed(body, event.time))
    if isinstance(event, ExternalEventExpired):
        body = {"externalEventDefId": {"name": event.def_name}, "guid": event.guid}
        return JournalEntry("ExternalEventExpired", _timed(body, event.time))
    if isinstance(event, RescueRequested):
        body = {"threadRunNumber": event.thread_run_number}
        if event.skip_current_node:
            body["skipCurrentNode"] = True
        return JournalEntry("RescueThreadRun", _timed(body, event.time))
    if isinstance(event, MigrationRequested):
        body = {
            "oldWfSpec": {"majorVersion": event.old_version[0], "revision": event.old_version[1]},
            "migration": event.migration,
        }
        if event.plan is not None:
            body["plan"] = event.plan
        if event.variables:
            body["migrationVarsByThread"] = event.variables
        return JournalEntry(MIGRATE_KIND, _timed(body, event.time))
    body = {} if event.thread_run_number is None else {"threadRunNumber": event.thread_run_number}
    kind = "StopWfRun" if isinstance(event, StopRequested) else "ResumeWfRun"
    return JournalEntry(kind, _timed(body, event.time))


def from_journal(entry: JournalEntry) -> Event:
    """Parse a journal record; :class:`MalformedEvent` if it can never apply."""
    body = entry.body
    try:
        time = int(body["time"])
        if entry.kind == "RunWf":
            spec = body["wfSpecId"]
            parent = body.get("parentWfRunId")
            return RunRequested(
                wf_run_id=str(body["id"]),
                wf_spec_name=str(spec["name"]),
                major_version=int(spec.get("majorVersion", 0)),
                revision=int(spec.get("revision", 0)),
                variables={
                    str(k): values.decode(v, f"variables.{k}")
                    for k, v in body.get("variables", {}).items()
                },
                time=time,
                parent_wf_run_id=str(parent["id"]) if parent else None,
            )
        if entry.kind == "ReportTask":
            error = body.get("error") or {}
            exc = body.get("exception") or {}
            return TaskReported(
                task_guid=str(body["taskGuid"]),
                attempt_number=int(body.get("attemptNumber", 0)),
                status=str(body.get("status", "TASK_SCHEDULED")),
                time=time,
                output=values.decode(body.get("output"), "output"),
                log_output=values.decode(body.get("logOutput"), "logOutput"),
                error_type=str(error.get("type", "TASK_FAILURE")) if error else None,
                error_message=str(error.get("message", "")),
                exception_name=str(exc["name"]) if exc else None,
                exception_message=str(exc.get("message", "")),
                exception_content=values.decode(exc.get("content"), "exception.content"),
                start_time=int(body["startTime"]) if "startTime" in body else None,
                worker_id=str(body["workerId"]) if "workerId" in body else None,
            )
        if entry.kind == "PutExternalEvent":
            number = body.get("threadRunNumber")
            position = body.get("nodeRunPosition")
            return ExternalEventPosted(
                def_name=str(body["externalEventDefId"]["name"]),
                guid=str(body["guid"]),
                content=values.decode(body.get("content"), "content"),
                time=time,
                thread_run_number=None if number is None else int(number),
                created_at=int(body["createdAt"]) if "createdAt" in body else None,
                node_run_position=None if position is None else int(position),
            )
        if entry.kind == "TimerFired":
            return TimerFired(timer=Timer.from_json(body["timer"]), time=time)
        if entry.kind == "UserTask":
            request = body["request"]
            if not isinstance(request, dict):
                raise TypeError("UserTask request is not an object")
            return UserTaskRequested(str(body["op"]), str(body["userTaskGuid"]), request, time)
        if entry.kind == "PutCheckpoint":
            return CheckpointPut(
                task_guid=str(body["taskGuid"]),
                attempt_number=int(body.get("taskAttempt", 0)),
                value=values.decode(body.get("value"), "value"),
                logs=str(body.get("logs", "")),
                time=time,
            )
        if entry.kind == "ChildWfEnded":
            return ChildWfEnded(
                child_wf_run_id=str(body["childWfRunId"]),
                status=str(body["status"]),
                time=time,
                output=values.decode(body.get("output"), "output"),
                failure=body.get("failure"),
            )
        if entry.kind == "ExternalEventExpired":
            return ExternalEventExpired(
                def_name=str(body["externalEventDefId"]["name"]), guid=str(body["guid"]), time=time
            )
        if entry.kind == "RescueThreadRun":
            return RescueRequested(
                time=time,
                thread_run_number=int(body.get("threadRunNumber", 0)),
                skip_current_node=bool(body.get("skipCurrentNode", False)),
            )
        if entry.kind == MIGRATE_KIND:
            old = body["oldWfSpec"]
            migration = body["migration"]
            variables = body.get("migrationVarsByThread", {})
            if not isinstance(migration, dict) or not isinstance(variables, dict):
                raise TypeError("migration and migrationVarsByThread must be objects")
            return MigrationRequested(
                time=time,
                old_version=(int(old.get("majorVersion", 0)), int(old.get("revision", 0))),
                migration=migration,
                plan=str(body["plan"]) if "plan" in body else None,
                variables=variables,
            )
        if entry.kind in ("StopWfRun", "ResumeWfRun"):
            number = body.get("threadRunNumber")
            thread = None if number is None else int(number)
            if entry.kind == "StopWfRun":
                return StopRequested(time=time, thread_run_number=thread)
            return ResumeRequested(time=time, thread_run_number=thread)
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedEvent(f"journal record {entry.kind}: {exc!r}") from None
    raise MalformedEvent(f"unknown journal record kind {entry.kind!r}")


def _timed(body: dict[str, Any], time: int) -> dict[str, Any]:
    body["time"] = time
    return body
