"""Records: the NodeRuns, TaskRuns, Variables and ExternalEvents a transition
wrote, and their LittleHorse output JSON.

The store writes each record as an item of its own; the API serves the JSON.
Rendering is lazy (``to_json``) so a transition costs no JSON building unless
somebody stores or reads it. Masked values never leave in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canter_engine.core.state import (
    ExternalEvent,
    Failure,
    NodeRun,
    TaskCheckpoint,
    TaskRun,
    ThreadRun,
    VariableValue,
    WfRunState,
    WorkflowEvent,
)
from canter_engine.core.user_task_state import UserTaskRun, user_task_guid, user_task_run_json
from canter_engine.model import values

MASK = {"str": "*****"}
# A masked correlation key, as LittleHorse shows one on its ExternalEventNodeRun.
MASKED_KEY = "*****"

# Each node kind's NodeRun field; NOP has none in LittleHorse 1.3.0.
_NODE_KIND_FIELD = {
    "entrypoint": "entrypoint",
    "exit": "exit",
    "task": "task",
    "external_event": "externalEvent",
    "start_thread": "startThread",
    "wait_for_threads": "waitForThreads",
    "sleep": "sleep",
    "start_multiple_threads": "startMultipleThreads",
    "throw_event": "throwEvent",
    "wait_for_condition": "waitForCondition",
    "run_child_wf": "runChildWf",
    "wait_for_child_wf": "waitForChildWf",
    "user_task": "userTask",
}
RecordObject = (
    NodeRun | TaskRun | VariableValue | ExternalEvent | WorkflowEvent | UserTaskRun | TaskCheckpoint
)


@dataclass(frozen=True, slots=True)
class Record:
    sk: str
    obj: RecordObject
    wf_run_id: str
    spec_id: tuple[str, int, int]
    thread_spec_name: str

    @staticmethod
    def of(state: WfRunState, obj: RecordObject) -> Record:
        thread_no = obj.thread if isinstance(obj, NodeRun | VariableValue) else 0
        thread = state.threads.get(thread_no)
        return Record(
            obj.sk, obj, state.wf_run_id, state.spec_id, thread.spec_name if thread else ""
        )

    @property
    def kind(self) -> str:
        return type(self.obj).__name__

    def attributes(self) -> dict[str, dict[str, Any]]:
        """The item's attributes, each stored as JSON text.

        A NodeRun (with its ended TaskRun) is stored in the core's compact form
        and rendered as LittleHorse JSON when read (:func:`render_node_item`):
        it is written for every node, billed per KB, and read far less often.
        """
        if isinstance(self.obj, NodeRun):
            compact = {"n": self.obj.to_item(), "ts": self.thread_spec_name, "sp": self.spec_id}
            return {"node": compact}
        return {"json": self.to_json()}

    def task_run_json(self) -> dict[str, Any] | None:
        """The ended TaskRun a TASK NodeRun record carries, as LittleHorse JSON."""
        if isinstance(self.obj, NodeRun) and self.obj.task is not None:
            return task_run_json(self.wf_run_id, _spec_id(self.spec_id), self.obj.task)
        return None

    def to_json(self) -> dict[str, Any]:
        obj = self.obj
        spec = _spec_id(self.spec_id)
        if isinstance(obj, NodeRun):
            return node_run_json(self.wf_run_id, spec, self.thread_spec_name, obj)
        if isinstance(obj, TaskRun):
            return task_run_json(self.wf_run_id, spec, obj)
        if isinstance(obj, VariableValue):
            return variable_json(self.wf_run_id, spec, obj)
        if isinstance(obj, WorkflowEvent):
            return workflow_event_json(self.wf_run_id, spec, obj)
        if isinstance(obj, UserTaskRun):
            return user_task_run_json(self.wf_run_id, obj)
        if isinstance(obj, TaskCheckpoint):
            return checkpoint_json(self.wf_run_id, obj)
        return external_event_json(self.wf_run_id, obj)


def render_node_item(
    wf_run_id: str, compact: dict[str, Any], attribute: str
) -> dict[str, Any] | None:
    """LittleHorse JSON of a stored NodeRun item: the NodeRun, or (``taskRun``) its TaskRun."""
    node_run = NodeRun.from_item(compact["n"])
    spec = _spec_id((str(compact["sp"][0]), int(compact["sp"][1]), int(compact["sp"][2])))
    if attribute == "taskRun":
        return None if node_run.task is None else task_run_json(wf_run_id, spec, node_run.task)
    return node_run_json(wf_run_id, spec, str(compact["ts"]), node_run)


def _spec_id(spec_id: tuple[str, int, int]) -> dict[str, Any]:
    return prune({"name": spec_id[0], "majorVersion": spec_id[1], "revision": spec_id[2]})


def _ts(millis: int | None) -> str | None:
    return None if millis is None else values.format_timestamp(millis)


def prune(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop fields at their proto3 default, as the JSON mapping does."""
    return {k: v for k, v in obj.items() if v not in (None, "", 0, False, [], {}) or v is True}


def failure_json(failure: Failure) -> dict[str, Any]:
    return prune(
        {
            "failureName": failure.name,
            "message": failure.message,
            "content": values.encode(failure.content),
            "wasProperlyHandled": failure.handled,
            "failureHandlerThreadrunId": failure.handler_thread,
        }
    )


def node_run_json(
    wf_run_id: str, spec: dict[str, Any], thread_spec_name: str, node_run: NodeRun
) -> dict[str, Any]:
    detail: dict[str, Any] = {}
    if node_run.kind == "task" and node_run.task_guid:
        detail = {"taskRunId": {"wfRunId": {"id": wf_run_id}, "taskGuid": node_run.task_guid}}
    elif node_run.kind == "external_event":
        detail = prune(
            {
                "externalEventDefId": {"name": node_run.event_def},
                "eventTime": _ts(node_run.event_time),
                "externalEventId": (
                    {
                        "wfRunId": {"id": wf_run_id},
                        "externalEventDefId": {"name": node_run.event_def},
                        "guid": node_run.event_guid,
                    }
                    if node_run.event_guid
                    else None
                ),
                "timedOut": node_run.timed_out,
                "correlationKey": (
                    MASKED_KEY
                    if node_run.mask_correlation_key and node_run.correlation_key
                    else node_run.correlation_key
                ),
                "maskCorrelationKey": node_run.mask_correlation_key,
            }
        )
    elif node_run.kind == "start_thread" and node_run.threads:
        detail = {"childThreadId": node_run.threads[0]}
    elif node_run.kind == "start_multiple_threads":
        detail = {"childThreadIds": node_run.threads}
    elif node_run.kind == "wait_for_threads":
        detail = {"threads": [_waited_json(node_run, n) for n in node_run.threads]}
    elif node_run.kind in ("run_child_wf", "wait_for_child_wf") and node_run.child_wf_run_id:
        detail = {"childWfRunId": {"id": node_run.child_wf_run_id}}
    elif node_run.kind == "user_task":
        guid = user_task_guid(node_run.thread, node_run.position)
        detail = {"userTaskRunId": {"wfRunId": {"id": wf_run_id}, "userTaskGuid": guid}}
    elif node_run.kind == "sleep":
        detail = prune(
            {
                "maturationTime": _ts(node_run.due),
                "matured": node_run.status == "COMPLETED",
            }
        )
    body = prune(
        {
            "id": prune(
                {
                    "wfRunId": {"id": wf_run_id},
                    "threadRunNumber": node_run.thread,
                    "position": node_run.position,
                }
            ),
            "wfSpecId": spec,
            "status": node_run.shown_status,
            "arrivalTime": _ts(node_run.arrival),
            "endTime": _ts(node_run.end),
            "threadSpecName": thread_spec_name,
            "nodeName": node_run.node_name,
            "errorMessage": node_run.error_message,
            "failures": [failure_json(f) for f in node_run.failures],
            "failureHandlerIds": [
                *(f.handler_thread for f in node_run.failures if f.handler_thread is not None),
                *node_run.handlers.values(),
            ],
        }
    )
    # LittleHorse's NodeRun has no field for a NOP node, nor for any node's
    # output: a TASK node's output is its TaskRun's last attempt's.
    field = _NODE_KIND_FIELD.get(node_run.kind)
    if field is not None:
        body[field] = detail
    return body


def _waited_json(node_run: NodeRun, number: int) -> dict[str, Any]:
    thread_status, waiting_status = node_run.waited.get(number, ("RUNNING", "THREAD_IN_PROGRESS"))
    return prune(
        {
            "threadRunNumber": number,
            "threadStatus": thread_status,
            "waitingStatus": waiting_status,
            "failureHandlerThreadRunId": node_run.handlers.get(number),
        }
    )


def task_run_json(wf_run_id: str, spec: dict[str, Any], task_run: TaskRun) -> dict[str, Any]:
    attempts = []
    for attempt in task_run.attempts:
        error = (
            {"type": attempt.error_type, "message": attempt.error_message}
            if attempt.error_type
            else None
        )
        exception = (
            prune(
                {
                    "name": attempt.exception_name,
                    "message": attempt.exception_message,
                    "content": values.encode(attempt.exception_content),
                }
            )
            if attempt.exception_name
            else None
        )
        attempts.append(
            prune(
                {
                    "logOutput": values.encode(attempt.log_output),
                    "scheduleTime": _ts(attempt.schedule_time),
                    "startTime": _ts(attempt.start_time),
                    "endTime": _ts(attempt.end_time),
                    "taskWorkerId": attempt.worker_id,
                    "status": attempt.status if attempt.status != "TASK_SCHEDULED" else None,
                    "output": values.encode(attempt.output),
                    "error": error,
                    "exception": exception,
                }
            )
        )
    return prune(
        {
            "id": {"wfRunId": {"id": wf_run_id}, "taskGuid": task_run.guid},
            "taskDefId": {"name": task_run.task_def},
            "attempts": attempts,
            "inputVariables": [
                prune(
                    {
                        "varName": name,
                        "value": MASK if name in task_run.masked_inputs else values.encode(value),
                        "masked": name in task_run.masked_inputs,
                    }
                )
                for name, value in task_run.inputs
            ],
            "source": {
                "taskNode": {
                    "nodeRunId": prune(
                        {
                            "wfRunId": {"id": wf_run_id},
                            "threadRunNumber": task_run.thread,
                            "position": task_run.position,
                        }
                    )
                },
                "wfSpecId": spec,
            },
            "scheduledAt": _ts(task_run.scheduled_at),
            "status": task_run.status if task_run.status != "TASK_SCHEDULED" else None,
            "timeoutSeconds": task_run.timeout_seconds,
            "totalAttempts": task_run.max_attempts,
            "totalCheckpoints": task_run.checkpoints,
        }
    )


def variable_json(wf_run_id: str, spec: dict[str, Any], var: VariableValue) -> dict[str, Any]:
    return prune(
        {
            "id": prune(
                {"wfRunId": {"id": wf_run_id}, "threadRunNumber": var.thread, "name": var.name}
            ),
            "value": MASK if var.masked and var.value is not None else values.encode(var.value),
            "wfSpecId": spec,
            "masked": var.masked,
        }
    )


def external_event_json(wf_run_id: str, event: ExternalEvent) -> dict[str, Any]:
    return prune(
        {
            "id": {
                "wfRunId": {"id": wf_run_id},
                "externalEventDefId": {"name": event.def_name},
                "guid": event.guid,
            },
            "createdAt": _ts(event.time),
            "content": values.encode(event.content),
            "threadRunNumber": event.claimed_thread,
            "nodeRunPosition": event.claimed_position,
            "claimed": event.claimed,
        }
    )


def checkpoint_json(wf_run_id: str, checkpoint: TaskCheckpoint) -> dict[str, Any]:
    """LittleHorse's ``Checkpoint``."""
    return prune(
        {
            "id": prune(
                {
                    "taskRun": {"wfRunId": {"id": wf_run_id}, "taskGuid": checkpoint.task_guid},
                    "checkpointNumber": checkpoint.number,
                }
            ),
            "value": values.encode(checkpoint.value),
            "logs": checkpoint.logs,
            "createdAt": _ts(checkpoint.time),
        }
    )


def workflow_event_json(
    wf_run_id: str, spec: dict[str, Any], event: WorkflowEvent
) -> dict[str, Any]:
    return prune(
        {
            "id": prune(
                {
                    "wfRunId": {"id": wf_run_id},
                    "workflowEventDefId": {"name": event.def_name},
                    "number": event.number,
                }
            ),
            "content": values.encode(event.content),
            "createdAt": _ts(event.time),
            "nodeRunId": prune(
                {
                    "wfRunId": {"id": wf_run_id},
                    "threadRunNumber": event.thread,
                    "position": event.position,
                }
            ),
            "wfSpecId": spec,
        }
    )


def thread_run_json(spec: dict[str, Any], thread: ThreadRun) -> dict[str, Any]:
    return prune(
        {
            "wfSpecId": spec,
            "number": thread.number,
            "status": thread.status if thread.status != "STARTING" else None,
            "threadSpecName": thread.spec_name,
            "startTime": _ts(thread.start),
            "endTime": _ts(thread.end),
            "errorMessage": thread.error_message,
            "childThreadIds": thread.children,
            "parentThreadId": thread.parent,
            "currentNodePosition": thread.current.position if thread.current else None,
            "type": thread.type if thread.type != "ENTRYPOINT" else None,
            "output": values.encode(thread.output),
            "haltReasons": [_halt_reason_json(thread, r) for r in thread.halts],
            "handledFailedChildren": thread.handled_children,
        }
    )


def _halt_reason_json(thread: ThreadRun, reason: str) -> dict[str, Any]:
    kind, _, arg = reason.partition(":")
    running = thread.interrupt_thread
    if kind == "interrupt" and running is not None and thread.interrupts[0].guid == arg:
        return {"interrupted": {"interruptThreadId": running}}
    if kind == "manual":
        return {"manualHalt": {}}
    if kind == "parent":
        return {"parentHalted": {"parentThreadId": int(arg)}}
    if kind == "failure":
        return {"handlingFailure": {"handlerThreadId": int(arg)}}
    if kind == "wait":
        parent, _, position = arg.partition(":")
        return {
            "haltedByParent": {
                "parentThreadRunNumber": int(parent),
                "waitingNodeRunPosition": int(position),
            }
        }
    return {"pendingInterrupt": {"externalEventId": {"guid": arg}}}


def note_waited(state: WfRunState, node_run: NodeRun) -> None:
    """Note on a WAIT_FOR_THREADS NodeRun each waited child's status now, as
    LittleHorse renders its WaitForThreadsRun when the NodeRun is saved.

    Worked out only when the NodeRun is written, not on every poll: a fan-out's
    wait is polled once per event and must not cost a write per child.
    """
    handlers = node_run.handlers
    # A new dict: clones share it (core/state.py, NodeRun.clone).
    waited: dict[int, tuple[str, str]] = {}
    for number in node_run.threads:
        child = state.threads[number].status
        handler_no = handlers.get(number)
        handler = None if handler_no is None else state.threads[handler_no].status
        if handler is not None:
            waiting = _WAITING.get(handler, "THREAD_HANDLING_FAILURE")
        else:
            waiting = _WAITING.get(child, "THREAD_IN_PROGRESS")
        waited[number] = (child, waiting)
    node_run.waited = waited


# A child's (or, once it failed, its handler's) final status as a waiting status.
_WAITING = {
    "COMPLETED": "THREAD_COMPLETED_OR_FAILURE_HANDLED",
    "ERROR": "THREAD_UNSUCCESSFUL",
    "EXCEPTION": "THREAD_UNSUCCESSFUL",
}


def live_records(state: WfRunState) -> list[Record]:
    """The NodeRuns and TaskRuns still in progress, which only the head holds."""
    live: list[NodeRun | TaskRun] = []
    for t in state.threads.values():
        current = t.current
        if current is None or current.status != "RUNNING":
            continue
        if current.kind == "wait_for_threads":
            current = current.clone()
            note_waited(state, current)
        live.append(current)
    live.extend(state.task_runs.values())
    return [Record.of(state, obj) for obj in live]


def wf_run_json(state: WfRunState) -> dict[str, Any]:
    """The LittleHorse ``WfRun`` object for a state."""
    spec = _spec_id(state.spec_id)
    run_id: dict[str, Any] = {"id": state.wf_run_id}
    if state.parent_wf_run_id:
        run_id["parentWfRunId"] = {"id": state.parent_wf_run_id}
    return prune(
        {
            "id": run_id,
            "wfSpecId": spec,
            "status": state.status if state.status != "STARTING" else None,
            "greatestThreadrunNumber": state.greatest_thread,
            "startTime": _ts(state.start),
            "endTime": _ts(state.end),
            "threadRuns": [thread_run_json(spec, t) for t in state.threads.values()],
            "oldWfSpecVersions": [
                _spec_id((state.spec_name, *version)) for version in state.old_versions
            ],
        }
    )
