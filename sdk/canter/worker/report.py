"""Turning the outcome of one task attempt into a LittleHorse ``ReportTaskRun``."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

from canter.client import to_value
from canter.worker.context import TaskException, WorkerContext

# Who ran an attempt, as TaskAttempt.taskWorkerId shows it: this host and process.
WORKER_ID = f"{socket.gethostname()}-{os.getpid()}"[:128]


def timing(started: float | None) -> dict[str, Any]:
    """Canter's note beside a report (ReportTasks ``attempts``): when it started, and who ran it."""
    note: dict[str, Any] = {"workerId": WORKER_ID}
    if started is not None:
        note["startTime"] = _iso(datetime.fromtimestamp(started, UTC))
    return note


def start_notice(
    scheduled_task: dict[str, Any], attempt_number: int, started: float
) -> dict[str, Any]:
    """Canter's ``ReportTaskStarts`` entry: this attempt is running (TASK_RUNNING)."""
    return {
        "taskRunId": scheduled_task["taskRunId"],
        "attemptNumber": attempt_number,
        "startTime": _iso(datetime.fromtimestamp(started, UTC)),
        "workerId": WORKER_ID,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def base(scheduled_task: dict[str, Any], context: WorkerContext, status: str) -> dict[str, Any]:
    report: dict[str, Any] = {
        "taskRunId": scheduled_task["taskRunId"],
        "attemptNumber": context.attempt_number,
        "status": status,
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    if context.log_output:
        report["logOutput"] = {"str": context.log_output}
    return report


def success(scheduled_task: dict[str, Any], context: WorkerContext, output: Any) -> dict[str, Any]:
    try:
        encoded = to_value(output)
    except (TypeError, ValueError) as exc:
        return serde_error(scheduled_task, context, f"the task's return value: {exc}")
    report = base(scheduled_task, context, "TASK_SUCCESS")
    if encoded:
        report["output"] = encoded
    return report


def failure(
    scheduled_task: dict[str, Any], context: WorkerContext, exc: BaseException
) -> dict[str, Any]:
    if isinstance(exc, TaskException):
        report = base(scheduled_task, context, "TASK_EXCEPTION")
        exception: dict[str, Any] = {"name": exc.name, "message": exc.message}
        try:
            if exc.content is not None:
                exception["content"] = to_value(exc.content)
        except (TypeError, ValueError):
            exception["message"] += " (its content could not be serialized)"
        report["exception"] = exception
        return report
    report = base(scheduled_task, context, "TASK_FAILED")
    report["error"] = {"type": "TASK_FAILURE", "message": f"{type(exc).__name__}: {exc}"}
    return report


def timeout(scheduled_task: dict[str, Any], context: WorkerContext, message: str) -> dict[str, Any]:
    """The attempt ran out of time: the engine retries it like a failure, or fails with TIMEOUT."""
    report = base(scheduled_task, context, "TASK_TIMEOUT")
    report["error"] = {"type": "TIMEOUT", "message": message}
    return report


def serde_error(
    scheduled_task: dict[str, Any], context: WorkerContext, message: str
) -> dict[str, Any]:
    report = base(scheduled_task, context, "TASK_OUTPUT_SERDE_ERROR")
    report["error"] = {"type": "TASK_FAILURE", "message": message}
    return report


def refused_as_too_large(outcome: dict[str, Any], reason: str) -> dict[str, Any]:
    """The report to send instead of one the API refused as too large.

    The attempt still ends, visibly, as TASK_OUTPUT_SERDE_ERROR with the
    API's reason, instead of its message coming back forever.
    """
    fallback = {k: v for k, v in outcome.items() if k not in ("output", "exception")}
    fallback["status"] = "TASK_OUTPUT_SERDE_ERROR"
    fallback["error"] = {"type": "TASK_FAILURE", "message": reason}
    return fallback
