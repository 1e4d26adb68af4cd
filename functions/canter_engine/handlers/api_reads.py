"""Reads the visibility rpcs share: a WfRun that must exist, one page of its records."""

from __future__ import annotations

from typing import Any

from canter_engine.handlers.api_errors import invalid, not_found
from canter_engine.handlers.api_parse import listing_bookmark, optional_int, page
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.runtime import Runtime
from canter_engine.store.journal import RUN_EVENT_ID
from canter_engine.store.state import Head

MAX_PAGE = 1000


def existing_run(rt: Runtime, body: dict[str, Any], rpc: str) -> str:
    """The ``wfRunId`` of the request; NOT_FOUND unless a RunWf for it was journalled."""
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    if rt.journal.get(wf_run_id, RUN_EVENT_ID) is None:
        raise not_found(f"{rpc}: WfRun {wf_run_id!r} does not exist")
    return wf_run_id


def records_page(
    rt: Runtime,
    wf_run_id: str,
    prefix: str,
    head: Head | None,
    body: dict[str, Any],
    rpc: str,
    attribute: str = "json",
) -> dict[str, Any]:
    """One page (``limit``, ``bookmark``) of a WfRun's records whose keys start with
    ``prefix``; ``attribute`` "taskRun" gives the TaskRuns of NodeRun records."""
    limit = optional_int(body, "limit") or MAX_PAGE
    if not 0 < limit <= MAX_PAGE:
        raise invalid(f"{rpc}: limit must be 1-{MAX_PAGE}")
    bookmark = listing_bookmark(body.get("bookmark"))
    try:
        results, next_bookmark = rt.state.list_records(
            wf_run_id, prefix, head, limit, bookmark, attribute
        )
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this listing returned") from None
    return page(results, next_bookmark)
