"""Walks over the WfRuns SearchWfRun's index finds, a page at a time.

MigrateWfSpec (handlers/migration_pages.py) and bulk deletes
(handlers/bulk_deletes.py) both act on every WfRun a query of the index
(store/run_index.py) names, however many there are. The request walks the
first page itself, so a walk over a few WfRuns is done before it answers;
if more follow, it sends the rest of the walk as a message to the timer
queue, whose handler walks one page and sends the next, so no one request
or invocation does an unbounded loop. Each page resumes from the index's
bookmark rather than re-reading from the start, because a WfRun the walk
acted on may leave the query's part of the index (migrated, deleted).

A walk's message is ``{"<key>": payload}``; its key tells it from a timer's
and says which walk it continues.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from canter_engine.handlers.runtime import Runtime
from canter_engine.store.queues import Outgoing
from canter_engine.store.run_index import RunQuery


def walk_page(
    rt: Runtime,
    query: RunQuery,
    size: int,
    bookmark: str | None,
    visit: Callable[[str], None],
) -> tuple[list[str], str | None]:
    """Visit one page of the WfRuns ``query`` finds after ``bookmark``, newest first.

    Returns the page's ids and the bookmark of the next page (``None`` at the
    end). Raises ValueError for a bookmark the index did not hand out.
    """
    ids, next_bookmark = rt.state.run_index().search(query, size, bookmark)
    for wf_run_id in ids:
        visit(wf_run_id)
    return ids, next_bookmark


def send_rest(rt: Runtime, key: str, payload: dict[str, Any]) -> None:
    """Send the rest of a walk to the timer queue, as a message of ``key``."""
    body = json.dumps({key: payload}, separators=(",", ":"))
    rt.queues.send(rt.timer_queue_url(), [Outgoing(body)])


def is_page(body: str, key: str) -> bool:
    """Whether a timer-queue message continues the walk of ``key``."""
    return f'"{key}"' in body[: len(key) + 8]


def payload(body: str, key: str) -> dict[str, Any]:
    """The payload of a walk's message (see :func:`is_page`)."""
    found: dict[str, Any] = json.loads(body)[key]
    return found
