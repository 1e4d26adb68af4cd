"""Amazon EventBridge: where WfRun status events go.

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
# EventBridge's limit for one entry; a WfRun with more threads than fit is sent
# without its threadRuns (the status, ids and times are what rules match on).
MAX_ENTRY_BYTES = 256 * 1024


class PublishFailed(Exception):
    """EventBridge refused an entry; the scheduler's retry publishes it again."""


@cache
def events() -> Any:
    """The EventBridge client (typed ``Any``: the project has no EventBridge stubs)."""
    return boto3.client("events", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def entry(bus: str, record: dict[str, Any]) -> dict[str, Any]:
    detail = json.dumps(record, separators=(",", ":"))
    if len(detail.encode()) > MAX_ENTRY_BYTES - 1024:
        slim = {**record, "wfRun": {k: v for k, v in record["wfRun"].items() if k != "threadRuns"}}
        detail = json.dumps(slim, separators=(",", ":"))
    return {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": detail, "EventBusName": bus}


def put(bus: str, records: list[dict[str, Any]]) -> None:
    answer = events().put_events(Entries=[entry(bus, r) for r in records])
    if answer.get("FailedEntryCount"):
        failed = [e for e in answer.get("Entries", []) if e.get("ErrorCode")]
        raise PublishFailed(f"EventBridge refused {len(failed)} status event(s): {failed[:1]}")
