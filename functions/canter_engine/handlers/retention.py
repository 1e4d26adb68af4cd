"""Retention markers: one journal item per terminated WfRun whose WfSpec has a
retention policy, expiring by DynamoDB TTL (core/retention.py says why).

The marker's key names the run (incarnation) and the end it was written
for: ``retention#<incarnation>#<ended at>``. Its INSERT changes nothing; its
REMOVE, which DynamoDB's TTL makes once ``expiresAt`` has passed (within
hours to days on AWS; ``canter dev`` sweeps expired items itself), deletes
the WfRun if it is still that run and still ended then. A DeleteWfRun that
came first also removes the marker: that REMOVE finds no WfRun and is ignored.
"""

from __future__ import annotations

import math
from typing import Any

from canter_engine.core.effects import ExpireWfRun
from canter_engine.core.events import JournalEntry
from canter_engine.core.state import WfRunState
from canter_engine.store.journal import Journal

MARKER_KIND = "RetainUntil"
MARKER_PREFIX = "retention#"


def marker_event_id(incarnation: str, ended_at: int) -> str:
    return f"{MARKER_PREFIX}{incarnation}#{ended_at:013d}"


def mark(journal: Journal, wf_run_id: str, incarnation: str, effect: ExpireWfRun) -> None:
    """Write the marker (once: a repeated transition finds it there)."""
    entry = JournalEntry(MARKER_KIND, {"time": effect.ended_at, "expiresAt": effect.expires_at})
    journal.append(
        wf_run_id,
        marker_event_id(incarnation, effect.ended_at),
        entry,
        incarnation,
        expires_at=math.ceil(effect.expires_at / 1000),
    )


def is_marker(record: dict[str, Any]) -> bool:
    return _event_id(record).startswith(MARKER_PREFIX)


def expired(record: dict[str, Any], state: WfRunState | None, incarnation: str) -> bool:
    """Whether this stream record is the TTL removal of the marker of ``state``'s end."""
    if record.get("eventName") != "REMOVE" or state is None or not state.ended:
        return False
    marked = _event_id(record)[len(MARKER_PREFIX) :]
    run, _, ended_at = marked.rpartition("#")
    return run == incarnation and ended_at.isdigit() and int(ended_at) == state.end


def _event_id(record: dict[str, Any]) -> str:
    return str(record.get("dynamodb", {}).get("Keys", {}).get("eventId", {}).get("S", ""))
