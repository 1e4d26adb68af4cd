"""One firing of a ScheduledWfRun: EventBridge Scheduler invokes this with
``{"scheduledWfRunId", "scheduledTime"}`` (store/eventbridge_schedules.py).

The WfRun's id is the schedule's id and the minute the firing was due,
so a firing EventBridge delivers twice (its retries, or the local stack
after a restart) starts one WfRun: the second RunWf with that id is the
idempotent repeat RunWf already answers. A ScheduledWfRun deleted since, or
whose WfSpec is gone, starts nothing and says why in the log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from canter_engine.handlers.api_errors import ApiError
from canter_engine.handlers.api_runs import run_wf
from canter_engine.handlers.api_schedules import schedule_store
from canter_engine.handlers.observability import logger
from canter_engine.handlers.runtime import Runtime, current
from canter_engine.model import values


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return fire(current(), event)


def wf_run_id_of(schedule_id: str, due_ms: int) -> str:
    """The id of the WfRun a firing starts: the same for every delivery of it."""
    due = datetime.fromtimestamp(due_ms / 1000, UTC)
    return f"{schedule_id}-{due:%Y%m%d%H%M}"


def fire(rt: Runtime, event: dict[str, Any]) -> dict[str, Any]:
    """Start the firing's WfRun; ``{"wfRunId"}`` of it, or ``{}`` when nothing starts."""
    schedule_id = str(event["scheduledWfRunId"])
    due_ms = values.parse_timestamp(str(event["scheduledTime"]))
    stored = schedule_store(rt).get(schedule_id)
    if stored is None:
        logger.warning("firing of a deleted ScheduledWfRun; nothing started", id=schedule_id)
        return {}
    requested = stored["requested"]
    wf_run_id = wf_run_id_of(schedule_id, due_ms)
    body: dict[str, Any] = {
        "id": wf_run_id,
        "wfSpecName": requested["wfSpecName"],
        "variables": stored["scheduled"].get("variables", {}),
    }
    for field in ("majorVersion", "revision"):
        if requested.get(field) is not None:
            body[field] = requested[field]
    try:
        run_wf(rt, body)
    except ApiError as exc:
        if exc.code == "INTERNAL":
            raise
        logger.warning(
            "ScheduledWfRun firing started nothing",
            id=schedule_id,
            wf_run_id=wf_run_id,
            reason=exc.message,
        )
        return {}
    return {"wfRunId": wf_run_id}
