"""ExternalEvents posted before their WfRun exists, as the API serves them.

LittleHorse stores an ExternalEvent under a WfRun id that has no WfRun yet;
a WfRun started later under that id takes it when it reaches the
EXTERNAL_EVENT node. Canter keeps such an event apart from the id's genuine
records (store/early_events.py) until the scheduler journals it for the run
that starts; until then PutExternalEvent, GetExternalEvent,
ListExternalEvents and SearchExternalEvent show it unclaimed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from canter_engine.core.events import ExternalEventPosted, JournalEntry, to_journal
from canter_engine.handlers import event_retention
from canter_engine.handlers.api_errors import ApiError, invalid, too_large
from canter_engine.handlers.api_parse import listing_bookmark, optional_int, page
from canter_engine.handlers.limits import MAX_VALUE_BYTES
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark
from canter_engine.store.early_events import (
    DEFAULT_RETENTION_SECONDS,
    MAX_BODY_BYTES,
    MAX_EARLY_EVENTS,
    EarlySearch,
    TooLarge,
    TooMany,
)
from canter_engine.store.journal import RUN_EVENT_ID

MAX_PAGE = 1000


def put_early(
    rt: Runtime, wf_run_id: str, event_def: dict[str, Any], event: ExternalEventPosted
) -> dict[str, Any] | None:
    """Keep ``event`` for the WfRun to come; None if the WfRun exists after all, when
    the caller journals it as an ordinary event (store/early_events.py says why)."""
    expires_at = int(time.time()) + retention_seconds(event_def)
    try:
        stored = rt.early_events.put(
            wf_run_id, event.def_name, event.guid, to_journal(event), expires_at
        )
    except TooLarge as exc:
        raise too_large(
            f"PutExternalEvent: WfRun {wf_run_id!r} does not exist yet, and an ExternalEvent "
            f"kept for it is at most {MAX_BODY_BYTES} bytes (this one is {exc.args[0]}); "
            "start the WfRun first (its events' values may then take up to "
            f"{MAX_VALUE_BYTES} bytes), or pass a reference such as an S3 key"
        ) from None
    except TooMany:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"PutExternalEvent: WfRun {wf_run_id!r} does not exist yet and already has "
            f"{MAX_EARLY_EVENTS} ExternalEvents waiting for it; start it (RunWf with id "
            f"{wf_run_id!r}) before posting more",
        ) from None
    if rt.journal.get_record(wf_run_id, RUN_EVENT_ID) is not None:
        return None
    return early_view(wf_run_id, stored.entry)


def retention_seconds(event_def: dict[str, Any]) -> int:
    """The ExternalEventDef's ``retentionPolicy.secondsAfterPut``, else a week."""
    seconds = event_retention.seconds_after_put(event_def)
    return DEFAULT_RETENTION_SECONDS if seconds is None else seconds


def get_early(rt: Runtime, wf_run_id: str, def_name: str, guid: str) -> dict[str, Any] | None:
    stored = rt.early_events.get(wf_run_id, def_name, guid)
    if stored is None or stored.expires_at <= int(time.time()):
        return None
    return early_view(wf_run_id, stored.entry)


def list_early(rt: Runtime, wf_run_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """ListExternalEvents of an id with no WfRun: its early events, a page at a time."""
    limit = optional_int(body, "limit") or MAX_PAGE
    if not 0 < limit <= MAX_PAGE:
        raise invalid(f"ListExternalEvents: limit must be 1-{MAX_PAGE}")
    bookmark = listing_bookmark(body.get("bookmark"))
    try:
        found, next_bookmark = rt.early_events.page(wf_run_id, limit, bookmark)
    except ValueError:
        raise invalid("ListExternalEvents: bookmark is not one this listing returned") from None
    now = int(time.time())
    results = [early_view(wf_run_id, s.entry) for s in found if s.expires_at > now]
    return page(results, next_bookmark)


def early_view(wf_run_id: str, entry: JournalEntry) -> dict[str, Any]:
    """LittleHorse's ExternalEvent, unclaimed (``claimed`` false, so absent)."""
    view: dict[str, Any] = {
        "id": {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": entry.body["externalEventDefId"],
            "guid": entry.body["guid"],
        },
        "createdAt": values.format_timestamp(int(entry.body["time"])),
        "content": entry.body.get("content", {}),
    }
    if "threadRunNumber" in entry.body:
        view["threadRunNumber"] = entry.body["threadRunNumber"]
    return view


@dataclass(frozen=True, slots=True)
class EarlyPhase:
    """Where SearchExternalEvent is in the early events, which it serves after the others.

    Its bookmark is its own (``{"early": <the early events' bookmark>}``), so a
    search resumed with it reads no more of the index of applied events.
    """

    bookmark: str | None = None

    @staticmethod
    def of(bookmark: str | None) -> EarlyPhase | None:
        if bookmark is None:
            return None
        try:
            value = decode_bookmark(bookmark)
        except ValueError:
            return None
        if not isinstance(value, dict) or set(value) != {EARLY_MARK}:
            return None
        inner = value[EARLY_MARK]
        if not isinstance(inner, str):
            raise invalid("SearchExternalEvent: bookmark is not one this search returned")
        return EarlyPhase(inner or None)

    def encode(self) -> str:
        return encode_bookmark({EARLY_MARK: self.bookmark or ""})


EARLY_MARK = "early"


def search_early(
    rt: Runtime, window: EarlySearch, room: int, at: EarlyPhase
) -> tuple[list[dict[str, Any]], str | None]:
    """SearchExternalEvent's early events (unclaimed, posted for a WfRun not started yet):
    up to ``room`` of them from ``at``, and the bookmark to go on, if there is more."""
    if room <= 0:
        return [], at.encode()
    try:
        found, more = rt.early_events.search(window, room, at.bookmark, int(time.time()))
    except ValueError:
        raise invalid("SearchExternalEvent: bookmark is not one this search returned") from None
    results = [
        {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": {"name": window.def_name},
            "guid": guid,
        }
        for wf_run_id, guid in found
    ]
    return results, None if more is None else EarlyPhase(more).encode()
