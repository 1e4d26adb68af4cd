"""Reads of a wide WfRun (store/thread_items.py) that stay paged: a page of
NodeRuns reads the head, the thread items of the threads it can reach and
one page of stored NodeRuns, not 10,000 thread items.

A NodeRun in progress lives only in its thread's item; an ended one in its
thread's pages. The head and the thread items are read before the pages, so
a NodeRun that ends between the reads is in the pages (their copy wins) or
in progress in its item, never in neither.
"""

from __future__ import annotations

from typing import Any

from canter_engine.core import Record, WfRunState, live_records
from canter_engine.core.state import ThreadRun, node_sk
from canter_engine.handlers.api_errors import invalid
from canter_engine.handlers.api_parse import listing_bookmark, optional_int, page
from canter_engine.handlers.api_reads import MAX_PAGE
from canter_engine.handlers.runtime import Runtime
from canter_engine.store.held import node_key
from canter_engine.store.state import Head, bookmark_after, listed_after

PREFIX = "node#"
_LAST_POSITION = 99_999_999


def page_threads(body: dict[str, Any], rpc: str) -> tuple[int, int]:
    """The threads a page of ``limit`` NodeRuns from ``bookmark`` can reach:
    every thread has at least one NodeRun, so at most ``limit`` of them."""
    limit = _limit(body, rpc)
    first = node_key(_after(body, rpc) or node_sk(0, 0))
    start = first[0] if first else 0
    return start, start + limit - 1


def node_runs_page(
    rt: Runtime, wf_run_id: str, head: Head, threads: tuple[int, int], body: dict[str, Any]
) -> dict[str, Any]:
    """One page of a wide WfRun's NodeRuns, in (thread, position) order.

    ``head`` holds the thread items of ``threads`` (``page_threads``).
    """
    limit = _limit(body, "ListNodeRuns")
    after = _after(body, "ListNodeRuns")
    bookmark = listing_bookmark(body.get("bookmark"))
    last = threads[1]
    stored, more_stored = rt.state.list_records(wf_run_id, PREFIX, head, limit, bookmark)
    merged = {r.sk: r.to_json() for r in live(rt, wf_run_id, head) if r.sk.startswith(PREFIX)}
    merged.update((_sk(n), n) for n in stored)
    # Past the threads read, a NodeRun in progress is not known: stop there.
    ordered = [(sk, n) for sk, n in sorted(merged.items()) if sk > after and _thread(sk) <= last]
    beyond = more_stored is not None or int(head.state.get("gt", 0)) > last
    if len(ordered) >= limit:
        served = ordered[:limit]
        resume_after = served[-1][0]
        beyond = beyond or len(ordered) > limit
    else:
        served = ordered
        resume_after = node_sk(last, _LAST_POSITION)
    next_bookmark = None
    if beyond:
        next_bookmark = bookmark_after(resume_after, node_sk(_thread(resume_after), 0))
    return page([n for _, n in served], next_bookmark)


def live(rt: Runtime, wf_run_id: str, head: Head | None) -> list[Record]:
    """NodeRuns and TaskRuns in progress: the scheduler keeps them in the head
    and thread items only. A WAIT_FOR_THREADS in progress shows each child's
    status, so if its children were not read with ``head`` all threads are."""
    if head is None:
        return []
    state = WfRunState.from_item(head.state)
    if head.marks is not None and any(_waits_beyond(state, t) for t in state.threads.values()):
        full = rt.state.load_head(wf_run_id)
        if full is not None:
            state = WfRunState.from_item(full.state)
    return live_records(state)


def _waits_beyond(state: WfRunState, thread: ThreadRun) -> bool:
    current = thread.current
    return (
        current is not None
        and current.kind == "wait_for_threads"
        and current.status == "RUNNING"
        and any(n not in state.threads for n in current.threads)
    )


def _limit(body: dict[str, Any], rpc: str) -> int:
    limit = optional_int(body, "limit") or MAX_PAGE
    if not 0 < limit <= MAX_PAGE:
        raise invalid(f"{rpc}: limit must be 1-{MAX_PAGE}")
    return limit


def _after(body: dict[str, Any], rpc: str) -> str:
    """The last NodeRun key the request's bookmark served ("" for the first page)."""
    bookmark = listing_bookmark(body.get("bookmark"))
    if not bookmark:
        return ""
    try:
        return listed_after(bookmark, PREFIX)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this listing returned") from None


def _sk(node_run: dict[str, Any]) -> str:
    ident = node_run["id"]
    return node_sk(int(ident.get("threadRunNumber", 0)), int(ident.get("position", 0)))


def _thread(sk: str) -> int:
    key = node_key(sk)
    assert key is not None
    return key[0]
