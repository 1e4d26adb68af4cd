"""PutCheckpoint and GetCheckpoint: a long task saves its steps and a retry resumes.

``PutCheckpoint`` comes from the worker that holds the attempt, proven by the
attempt's task token (``Canter-Task-Token``, as for ``ReportTask``): no one
else can write a checkpoint of a task. It is journalled, and the scheduler
applies it (core/checkpoints.py), so the TaskRun keeps one writer. As in
LittleHorse (PutCheckpointRequestModel), a worker whose attempt is no longer
the one in flight is told ``STOP_TASK`` and nothing is saved.

The checkpoint's number is the TaskRun's count of checkpoints: the API reads
it from the head and journals under ``ckpt#<incarnation>#<guid>#<attempt>#<n>``,
taking the next free ``n`` when checkpoints of this attempt are journalled but
not yet applied. One worker saves one step at a time, so the number it is
answered is the number the scheduler gives the checkpoint.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core.checkpoints import IN_FLIGHT
from canter_engine.core.events import CheckpointPut, to_journal
from canter_engine.core.records import checkpoint_json
from canter_engine.core.state import TaskCheckpoint, WfRunState, checkpoint_sk
from canter_engine.handlers import task_tokens
from canter_engine.handlers.api_errors import ApiError, invalid, not_found, too_large
from canter_engine.handlers.api_parse import (
    encoded_size,
    field,
    guid,
    only,
    optional_int,
    require_int,
    value,
    wf_run_id,
)
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_VALUE_BYTES
from canter_engine.handlers.runtime import Runtime

_PUT_FIELDS = frozenset({"taskRunId", "taskAttempt", "value", "logs"})
_MAX_LOG_CHARS = 64 * 1024
# Checkpoints of one attempt journalled but not yet applied that a put skips over.
_MAX_PENDING = 100
STOP = {"flowControlContinueType": "STOP_TASK"}


def put_checkpoint(rt: Runtime, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    rpc = "PutCheckpoint"
    only(body, rpc, _PUT_FIELDS)
    run_id = wf_run_id(body, "taskRunId", "wfRunId", "id")
    task_guid = guid(field(body, "taskRunId", "taskGuid"), f"{rpc}: taskRunId.taskGuid")
    attempt = require_int(body, "taskAttempt")
    if attempt < 0:
        raise invalid(f"{rpc}: taskAttempt must be 0 or more")
    where = f"{rpc} {run_id}/{task_guid} attempt {attempt}"
    incarnation = _incarnation(rt, token, run_id, task_guid, attempt, where)
    raw = body.get("value")
    saved = value(raw, f"{rpc}: value")
    if (size := encoded_size(raw)) > MAX_VALUE_BYTES:
        raise too_large(
            f"{where}: the checkpoint value is {size} bytes, over the {MAX_VALUE_BYTES}-byte "
            f"limit for one value; {HOW_TO_SHRINK}"
        )
    logs = body.get("logs", "")
    if not isinstance(logs, str) or len(logs) > _MAX_LOG_CHARS:
        raise invalid(f"{where}: logs must be a string of at most {_MAX_LOG_CHARS} characters")
    head = rt.state.load_head(run_id)
    if head is None or head.incarnation != incarnation:
        return STOP
    task_run = WfRunState.from_item(head.state).task_runs.get(task_guid)
    if (
        task_run is None
        or len(task_run.attempts) - 1 != attempt
        or task_run.current.status not in IN_FLIGHT
    ):
        return STOP
    now = int(time.time() * 1000)
    entry = to_journal(CheckpointPut(task_guid, attempt, saved, logs, now))
    number = task_run.checkpoints
    while not rt.journal.append(
        run_id, f"ckpt#{incarnation}#{task_guid}#{attempt}#{number}", entry, incarnation
    ):
        number += 1
        if number - task_run.checkpoints > _MAX_PENDING:
            raise ApiError(
                "RESOURCE_EXHAUSTED",
                f"{where}: {_MAX_PENDING} checkpoints are waiting to be applied; retry later",
            )
    created = TaskCheckpoint(task_guid, number, saved, logs, now)
    return {"createdCheckpoint": checkpoint_json(run_id, created)}


def get_checkpoint(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "GetCheckpoint"
    only(body, rpc, {"taskRun", "checkpointNumber"})
    run_id = wf_run_id(body, "taskRun", "wfRunId", "id")
    task_guid = guid(field(body, "taskRun", "taskGuid"), f"{rpc}: taskRun.taskGuid")
    number = optional_int(body, "checkpointNumber") or 0
    if number < 0:
        raise invalid(f"{rpc}: checkpointNumber must be 0 or more")
    head = rt.state.load_head(run_id)
    found = rt.state.record(run_id, checkpoint_sk(task_guid, number), head)
    if found is None:
        raise not_found(f"{rpc}: TaskRun {run_id}/{task_guid} has no checkpoint {number}")
    return found


def _incarnation(
    rt: Runtime, token: str | None, run_id: str, task_guid: str, attempt: int, where: str
) -> str:
    if not token:
        raise ApiError(
            "UNAUTHENTICATED",
            f"{where}: no {task_tokens.HEADER} header; send the canter.taskToken attribute "
            "of the task's SQS message",
        )
    try:
        return task_tokens.verify(rt.settings.task_token_secret, token, run_id, task_guid, attempt)
    except task_tokens.BadToken as exc:
        raise ApiError("PERMISSION_DENIED", f"{where}: the {task_tokens.HEADER} {exc}") from None
