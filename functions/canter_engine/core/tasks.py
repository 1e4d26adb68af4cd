"""TASK nodes: TaskRuns, attempts, retries with backoff, and reports.

An attempt's timeout is not a timer here: it is counted from the moment a
worker first receives the attempt's message and enforced by the worker SDK,
which reports ``TASK_TIMEOUT`` (see ``canter.worker``). A task waiting in its
queue for a worker simply waits, as in LittleHorse. The timeout travels to
the worker with the ScheduledTask (:attr:`ScheduleTask.timeout_seconds`).

Only the current attempt's report counts. A report for an older attempt, a
second report for the same attempt, or one for a TaskRun that has ended finds
nothing to change and is ignored, which is what makes at-least-once dispatch
and retried reports safe.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from canter_engine.core.effects import ScheduleTask, StartTimer
from canter_engine.core.events import TaskReported, Timer
from canter_engine.core.operations import VarSubError, can_be_type, coerce_to
from canter_engine.core.run import Run
from canter_engine.core.state import Failure, NodeRun, TaskAttempt, TaskRun, ThreadRun
from canter_engine.model import structs, values
from canter_engine.model.spec import TaskNode, VariableDef
from canter_engine.model.structs import StructDefs, StructError

# Used when a TASK node sets no timeoutSeconds, so that a task whose worker
# vanished is retried instead of waiting forever. The worker SDK applies the
# same default to a task message that carries no timeout.
DEFAULT_TASK_TIMEOUT_SECONDS = 60
DEFAULT_BACKOFF_BASE_MS = 1000
DEFAULT_BACKOFF_MULTIPLIER = 2.0

# Reports a worker may send; only TASK_FAILED and TASK_TIMEOUT are worth
# retrying: an output that cannot be serialised or inputs that cannot be read
# fail the same way on every attempt.
REPORTABLE = (
    "TASK_SUCCESS",
    "TASK_EXCEPTION",
    "TASK_FAILED",
    "TASK_TIMEOUT",
    "TASK_OUTPUT_SERDE_ERROR",
    "TASK_INPUT_VAR_SUB_ERROR",
)
RETRIED = ("TASK_FAILED", "TASK_TIMEOUT")
# A task's inputs together: what a Lambda-backed task can be invoked with.
# A ScheduledTask over SQS's message limit travels by reference
# (handlers/scheduler.py).
MAX_INPUT_BYTES = values.MAX_VALUE_BYTES


def task_guid(thread: int, position: int) -> str:
    return f"{thread}-{position}"


def arrive(run: Run, thread: ThreadRun, node_run: NodeRun, node: TaskNode) -> None:
    if node.task_def_id is None:
        raise VarSubError("dynamic tasks are not supported yet")
    name = node.task_def_id.name
    task_def = run.bp.task_defs.get(name)
    if task_def is None:
        raise VarSubError(f"TaskDef {name!r} is not registered")
    if len(node.variables) != len(task_def.input_vars):
        raise VarSubError(
            f"TaskDef {name!r} takes {len(task_def.input_vars)} inputs, "
            f"the node gives {len(node.variables)}"
        )
    inputs: list[tuple[str, Any]] = []
    for var_def, assignment in zip(task_def.input_vars, node.variables, strict=True):
        value = run.evaluate(thread, assignment)
        inputs.append((var_def.name, input_value(value, var_def, name, run.bp.struct_defs)))
    size = sum(values.size_of(v) for _, v in inputs)
    if size > MAX_INPUT_BYTES:
        raise VarSubError(
            f"the inputs of TaskDef {name!r} take {size} bytes, over the {MAX_INPUT_BYTES}-byte "
            "limit of one task's inputs; store the data elsewhere (S3) and pass its key instead"
        )
    backoff = node.exponential_backoff
    task_run = TaskRun(
        guid=task_guid(thread.number, node_run.position),
        task_def=name,
        task_queue=task_def.task_queue,
        thread=thread.number,
        position=node_run.position,
        inputs=inputs,
        masked_inputs=frozenset(v.name for v in task_def.input_vars if v.is_masked),
        max_attempts=max(node.retries, 0) + 1,
        timeout_seconds=node.timeout_seconds or DEFAULT_TASK_TIMEOUT_SECONDS,
        backoff=(
            (
                backoff.base_interval_ms or DEFAULT_BACKOFF_BASE_MS,
                backoff.max_delay_ms,
                backoff.multiplier or DEFAULT_BACKOFF_MULTIPLIER,
            )
            if backoff is not None
            else None
        ),
        scheduled_at=run.now,
    )
    node_run.task_guid = task_run.guid
    run.add_task_run(task_run)
    task_run.attempts.append(TaskAttempt("TASK_SCHEDULED", run.now))
    _dispatch(run, task_run)


def input_value(
    value: Any, var_def: VariableDef, task_def: str, struct_defs: StructDefs | None = None
) -> Any:
    """A task input as LittleHorse's ``VariableDefModel.assignValue`` makes it.

    A value of the input's type, an INT for a DOUBLE, or any primitive for a
    STR (``5432`` becomes ``"5432"``); the empty value passes and the worker
    decides. Anything else is a VAR_SUB_ERROR naming both types.
    """
    if var_def.var_type == "STRUCT" and value is not None:
        try:
            return structs.check(value, var_def.type_json, struct_defs or {})
        except StructError as exc:
            raise VarSubError(f"input {var_def.name!r} of TaskDef {task_def!r}: {exc}") from None
    actual = values.type_of(value)
    if actual == var_def.var_type:
        return value
    if not can_be_type(actual, var_def.var_type):
        raise VarSubError(
            f"input {var_def.name!r} of TaskDef {task_def!r}: Value of type {actual} is not "
            f"compatible with expected type {var_def.var_type}"
        )
    return coerce_to(value, var_def.var_type)


def _dispatch(run: Run, task_run: TaskRun) -> None:
    task_run.status = "TASK_SCHEDULED"
    run.effects.append(schedule_task(run.bp.id_json, run.state.wf_run_id, task_run))


def schedule_task(spec_id: dict[str, Any], wf_run_id: str, task_run: TaskRun) -> ScheduleTask:
    """The message for the current attempt, with the timeout the worker enforces.

    Derived from the TaskRun alone, so that a crash after the commit can send
    exactly the same message again.
    """
    attempt = task_run.current
    number = len(task_run.attempts) - 1
    scheduled = {
        "taskRunId": {"wfRunId": {"id": wf_run_id}, "taskGuid": task_run.guid},
        "taskDefId": {"name": task_run.task_def},
        "attemptNumber": number,
        "variables": [
            {"varName": name, "value": values.encode(value)} for name, value in task_run.inputs
        ],
        "createdAt": values.format_timestamp(attempt.schedule_time),
        "source": {
            "taskNode": {
                "nodeRunId": {
                    "wfRunId": {"id": wf_run_id},
                    "threadRunNumber": task_run.thread,
                    "position": task_run.position,
                }
            },
            "wfSpecId": spec_id,
        },
    }
    if task_run.checkpoints:
        scheduled["totalObservedCheckpoints"] = task_run.checkpoints
    return ScheduleTask(
        task_run.task_queue,
        task_run.task_def,
        task_run.guid,
        number,
        scheduled,
        task_run.timeout_seconds,
    )


def _current(run: Run, guid: str, attempt_number: int) -> TaskRun | None:
    """The TaskRun if ``attempt_number`` is its current, unfinished attempt."""
    task_run = run.state.task_runs.get(guid)
    if task_run is None or attempt_number != len(task_run.attempts) - 1:
        return None
    if task_run.current.status != "TASK_SCHEDULED":
        return None
    return run.task_run(guid)


def on_report(run: Run, event: TaskReported) -> bool:
    task_run = _current(run, event.task_guid, event.attempt_number)
    if task_run is None:
        return False
    if event.status not in REPORTABLE:
        return False
    if event.status == "TASK_SUCCESS":
        event = _checked_output(run, task_run, event)
    status = event.status
    thread = run.thread(task_run.thread)
    node_run = thread.current
    assert node_run is not None and node_run.position == task_run.position
    attempt = task_run.current
    attempt.status = status
    attempt.end_time = event.time
    attempt.log_output = event.log_output
    attempt.worker_id = event.worker_id
    if attempt.start_time is None:
        # The worker's clock, kept between this attempt's dispatch and its report.
        started = event.start_time if event.start_time is not None else event.time
        attempt.start_time = min(max(started, attempt.schedule_time), event.time)
    if status == "TASK_SUCCESS":
        attempt.output = event.output
        _finish(run, task_run, status)
        run.complete_node(thread, node_run, event.output)
    elif status == "TASK_EXCEPTION":
        name = event.exception_name or "task-exception"
        attempt.exception_name = name
        attempt.exception_message = event.exception_message
        attempt.exception_content = event.exception_content
        _finish(run, task_run, status)
        run.fail_node(
            thread,
            node_run,
            Failure(name, event.exception_message, event.exception_content),
        )
    else:
        attempt.error_type = event.error_type or "TASK_FAILURE"
        attempt.error_message = event.error_message
        failure = _failure(task_run, event)
        if status in RETRIED:
            _retry_or_fail(run, task_run, thread, node_run, failure)
        else:
            _finish(run, task_run, status)
            run.fail_node(thread, node_run, failure)
    return True


def _checked_output(run: Run, task_run: TaskRun, event: TaskReported) -> TaskReported:
    """A success whose output is not of the TaskDef's return type is, as in LittleHorse,
    a TASK_OUTPUT_SERDE_ERROR (not retried): the run fails at this task, not later."""
    task_def = run.bp.task_defs.get(task_run.task_def)
    declared = task_def.return_type.return_type if task_def and task_def.return_type else None
    if declared is not None and declared.struct_def_id is not None:
        try:
            output = structs.check(
                event.output,
                {"primitiveType": "JSON_OBJ", **declared.to_json()},
                run.bp.struct_defs,
            )
        except StructError as exc:
            return replace(
                event,
                status="TASK_OUTPUT_SERDE_ERROR",
                output=None,
                error_type="VAR_SUB_ERROR",
                error_message=f"Task output incompatible with declared return type: {exc}",
            )
        return replace(event, output=output)
    if declared is None or values.fits(event.output, declared.primitive_type):
        return event
    return replace(
        event,
        status="TASK_OUTPUT_SERDE_ERROR",
        output=None,
        error_type="VAR_SUB_ERROR",
        error_message=(
            "Task output incompatible with declared return type: expected "
            f"{declared.primitive_type}, got {values.type_of(event.output)}"
        ),
    )


def _failure(task_run: TaskRun, event: TaskReported) -> Failure:
    """What the node fails with if this attempt's error ends the TaskRun."""
    attempt = f"TaskDef {task_run.task_def!r} attempt {event.attempt_number}"
    if event.status == "TASK_TIMEOUT":
        detail = f": {event.error_message}" if event.error_message else ""
        return Failure(
            "TIMEOUT",
            f"{attempt} did not finish within its {task_run.timeout_seconds}s timeout{detail}",
        )
    return Failure(
        "VAR_SUB_ERROR"
        if event.status == "TASK_INPUT_VAR_SUB_ERROR" or event.error_type == "VAR_SUB_ERROR"
        else "TASK_FAILURE",
        f"{attempt} ended {event.status}: {event.error_message}",
    )


def on_retry_due(run: Run, timer: Timer) -> bool:
    guid = task_guid(timer.thread, timer.position)
    pending = run.state.task_runs.get(guid)
    if (
        pending is None
        or timer.attempt != len(pending.attempts) - 1
        or pending.current.status != "TASK_PENDING"
    ):
        return False
    task_run = run.task_run(guid)
    assert task_run is not None
    task_run.current.status = "TASK_SCHEDULED"
    task_run.current.schedule_time = run.now
    _dispatch(run, task_run)
    return True


def _retry_or_fail(
    run: Run, task_run: TaskRun, thread: ThreadRun, node_run: NodeRun, failure: Failure
) -> None:
    if len(task_run.attempts) >= task_run.max_attempts:
        _finish(run, task_run, task_run.current.status)
        run.fail_node(thread, node_run, failure)
        return
    delay = backoff_delay(task_run)
    if delay <= 0:
        task_run.attempts.append(TaskAttempt("TASK_SCHEDULED", run.now))
        _dispatch(run, task_run)
        return
    due = run.now + delay
    task_run.attempts.append(TaskAttempt("TASK_PENDING", due))
    task_run.status = "TASK_PENDING"
    number = len(task_run.attempts) - 1
    run.effects.append(
        StartTimer(Timer("TASK_RETRY", due, task_run.thread, task_run.position, number))
    )


def backoff_delay(task_run: TaskRun) -> int:
    """Milliseconds to wait before the next attempt (0 without a backoff policy)."""
    if task_run.backoff is None:
        return 0
    base, cap, multiplier = task_run.backoff
    delay = int(base * multiplier ** (len(task_run.attempts) - 1))
    return min(delay, cap) if cap > 0 else delay


def _finish(run: Run, task_run: TaskRun, status: str) -> None:
    task_run.status = status
    run.state.task_runs.pop(task_run.guid, None)
    attach(run, task_run)


def attach(run: Run, task_run: TaskRun) -> None:
    """An ended TaskRun is stored with its NodeRun, in one item."""
    node_run = run.thread(task_run.thread).current
    assert node_run is not None and node_run.position == task_run.position
    node_run.task = task_run
    run.touch(node_run)
