"""Amazon EventBridge: where WfRun status events (and, at the ``all`` level, entity
events) go.

One ``PutEvents`` entry per status change, on the deployment's event bus
(``CANTER_EVENT_BUS``): source ``canter``, detail type ``WfRun status``, and
as detail LittleHorse's ``OutputTopicRecord`` JSON, so a rule can match
``detail.wfRun.status`` or ``detail.wfRun.wfSpecId.name``. The local stack
points the same client at moto's EventBridge.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

SOURCE = "canter"
DETAIL_TYPE = "WfRun status"
# At the ``all`` level (handlers/status_events.py): the detail type of each other
# OutputTopicRecord field, so a rule can match one kind of entity.
ENTITY_DETAIL_TYPES = {
    "taskRun": "TaskRun",
    "variable": "Variable",
    "externalEvent": "ExternalEvent",
    "workflowEvent": "WorkflowEvent",
    "userTaskRun": "UserTaskRun",
    "taskCheckpoint": "Checkpoint",
}
# EventBridge's limit for one entry; a WfRun with more threads than fit is sent
# without its threadRuns (the status, ids and times are what rules match on).
MAX_ENTRY_BYTES = 256 * 1024


class PublishFailed(Exception):
    """EventBridge refused an entry; the scheduler's retry publishes it again."""


@cache
def events() -> Any:
    """The EventBridge client (typed ``Any``: the project has no EventBridge stubs)."""
    return boto3.client("events", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def detail_type(record: dict[str, Any]) -> str:
    """``WfRun status`` for a WfRun's record, else the entity's (``TaskRun``, ...)."""
    return next(
        (kind for field, kind in ENTITY_DETAIL_TYPES.items() if field in record), DETAIL_TYPE
    )


def entry(bus: str, record: dict[str, Any]) -> dict[str, Any]:
    detail = json.dumps(record, separators=(",", ":"))
    if len(detail.encode()) > MAX_ENTRY_BYTES - 1024:
        detail = json.dumps(_slim(record), separators=(",", ":"))
    return {
        "Source": SOURCE,
        "DetailType": detail_type(record),
        "Detail": detail,
        "EventBusName": bus,
    }


def put(bus: str, records: list[dict[str, Any]]) -> None:
    answer = events().put_events(Entries=[entry(bus, r) for r in records])
    if answer.get("FailedEntryCount"):
        failed = [e for e in answer.get("Entries", []) if e.get("ErrorCode")]
        raise PublishFailed(f"EventBridge refused {len(failed)} status event(s): {failed[:1]}")


def _slim(record: dict[str, Any]) -> dict[str, Any]:
    """A record over EventBridge's limit: a WfRun without its threadRuns, any other
    entity with only its id and status (a TaskRun's output may take megabytes)."""
    if "wfRun" in record:
        return {**record, "wfRun": {k: v for k, v in record["wfRun"].items() if k != "threadRuns"}}
    field = next(f for f in record if f != "timestamp")
    kept = {k: v for k, v in record[field].items() if k in ("id", "status")}
    return {**record, field: kept}
