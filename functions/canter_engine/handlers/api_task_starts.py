"""TASK_RUNNING: a worker's notice that it is running an attempt, shown before its result.

LittleHorse marks a TaskRun TASK_RUNNING when a worker polls it. In Canter a
worker takes tasks from SQS, so the engine does not know; a start notice per
task would be one more request and journal write on every task. The worker
sends one only for an attempt still running after a couple of seconds
(``canter.worker``), batched like its reports, in Canter's own rpc
``ReportTaskStarts``. The notice is a journal item under its own key
(``store/journal.py``, ``task_start_event_id``) that the scheduler skips: it
changes no state and costs no commit. Reads of a TaskRun whose current attempt
has neither started nor ended overlay it (status TASK_RUNNING, the worker's
``startTime`` and ``taskWorkerId``); the report, when it comes, carries the
same timing and ends the attempt as before. A notice needs the attempt's task
token, like a report, and can only ever colour an attempt no report has
ended: it never changes a result.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core.events import JournalEntry
from canter_engine.handlers import task_tokens
from canter_engine.handlers.api_errors import ApiError, invalid
from canter_engine.handlers.api_parse import field, require_int
from canter_engine.handlers.api_parse import guid as parse_guid
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.journal import task_start_event_id

MAX_STARTS_PER_CALL = 10
MAX_WORKER_ID = 128
NOTICE_KIND = "TaskStarted"
RUNNING = "TASK_RUNNING"


def report_task_starts(rt: Runtime, body: dict[str, Any], tokens: str | None) -> dict[str, Any]:
    """Canter's ``ReportTaskStarts``: ``starts`` [{taskRunId, attemptNumber, startTime,
    workerId}], one task token per start in the ``Canter-Task-Token`` header
    (comma-separated, in order). Each is kept or refused on its own: ``results``."""
    starts = body.get("starts")
    if not isinstance(starts, list) or not 0 < len(starts) <= MAX_STARTS_PER_CALL:
        raise invalid(f"ReportTaskStarts: starts must be a list of 1-{MAX_STARTS_PER_CALL}")
    unknown = sorted(set(body) - {"starts"})
    if unknown:
        raise invalid(f"ReportTaskStarts: unknown field(s) {', '.join(unknown)}; it has starts")
    if not tokens:
        raise ApiError(
            "UNAUTHENTICATED",
            f"ReportTaskStarts: no {task_tokens.HEADER} header; send the canter.taskToken "
            "attribute of each task's SQS message, comma-separated, in the order of starts",
        )
    each = [t.strip() for t in tokens.split(",")]
    if len(each) != len(starts):
        raise invalid(
            f"ReportTaskStarts: the {task_tokens.HEADER} header has {len(each)} token(s) for "
            f"{len(starts)} start(s); send one per start, comma-separated, in order"
        )
    results: list[dict[str, Any]] = []
    for index, (start, token) in enumerate(zip(starts, each, strict=True)):
        try:
            if not isinstance(start, dict):
                raise invalid(f"ReportTaskStarts: starts[{index}] must be an object")
            _keep(rt, start, token, index)
            results.append({})
        except ApiError as exc:
            results.append(exc.body())
    return {"results": results}


def _keep(rt: Runtime, start: dict[str, Any], token: str, index: int) -> None:
    where = f"ReportTaskStarts: starts[{index}]"
    unknown = sorted(set(start) - {"taskRunId", "attemptNumber", "startTime", "workerId"})
    if unknown:
        raise invalid(f"{where}: unknown field(s) {', '.join(unknown)}")
    wf_run_id = parse_wf_run_id(start, "taskRunId", "wfRunId", "id")
    guid = parse_guid(field(start, "taskRunId", "taskGuid"), f"{where}.taskRunId.taskGuid")
    attempt = require_int(start, "attemptNumber")
    if not 0 <= attempt < 2**31:
        raise invalid(f"{where}: attemptNumber {attempt} is out of range (0-{2**31 - 1})")
    raw_time = start.get("startTime")
    try:
        started = values.parse_timestamp(str(raw_time))
    except ValueError:
        raise invalid(f"{where}: startTime {raw_time!r} is not an RFC 3339 time") from None
    worker_id = start.get("workerId")
    if not (isinstance(worker_id, str) and 0 < len(worker_id) <= MAX_WORKER_ID):
        raise invalid(f"{where}: workerId must be a string of 1-{MAX_WORKER_ID}")
    if not token:
        raise ApiError("UNAUTHENTICATED", f"{where}: no {task_tokens.HEADER} for it")
    try:
        incarnation = task_tokens.verify(
            rt.settings.task_token_secret, token, wf_run_id, guid, attempt
        )
    except task_tokens.BadToken as exc:
        raise ApiError("PERMISSION_DENIED", f"{where}: the {task_tokens.HEADER} {exc}") from None
    entry = JournalEntry(NOTICE_KIND, {"startTime": started, "workerId": worker_id, "time": _now()})
    # The first notice of an attempt stays: a repeat (a retried request) adds nothing.
    rt.journal.append(
        wf_run_id, task_start_event_id(incarnation, guid, attempt), entry, incarnation
    )


def with_starts(
    rt: Runtime, wf_run_id: str, incarnation: str, task_runs: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``task_runs`` (LittleHorse JSON) with each running attempt's start notice overlaid."""
    return [_overlay(rt, wf_run_id, incarnation, t) for t in task_runs]


def _overlay(
    rt: Runtime, wf_run_id: str, incarnation: str, task_run: dict[str, Any]
) -> dict[str, Any]:
    attempts = task_run.get("attempts") or []
    if not attempts or task_run.get("status", "TASK_SCHEDULED") != "TASK_SCHEDULED":
        return task_run
    current = attempts[-1]
    if "startTime" in current or "endTime" in current or "status" in current:
        return task_run
    guid = str(task_run["id"]["taskGuid"])
    event_id = task_start_event_id(incarnation, guid, len(attempts) - 1)
    notice = rt.journal.get(wf_run_id, event_id)
    if notice is None:
        return task_run
    running = {
        **current,
        "startTime": values.format_timestamp(int(notice.body["startTime"])),
        "taskWorkerId": str(notice.body["workerId"]),
        "status": RUNNING,
    }
    return {**task_run, "status": RUNNING, "attempts": [*attempts[:-1], running]}


def _now() -> int:
    return int(time.time() * 1000)
