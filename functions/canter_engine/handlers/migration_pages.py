"""MigrateWfSpec's walk over the running WfRuns of the old version, a page at a time.

The running WfRuns of a WfSpec version are found in SearchWfRun's index
(store/run_index.py: status RUNNING, filtered by WfSpec name and version),
newest first, :data:`PAGE_SIZE` at a time. For each WfRun that can move now
(core/migration.py ``blockers``), the walk journals one ``MigrateWfRun``
record; the scheduler, the one writer of WfRun state, applies it, checking
again. A WfRun that cannot move (a thread at a node the migration does not
map, ...) is left where it is and reported in the log with why; ``canter
migrate pending`` lists the same WfRuns. A WfRun that moves leaves the old version's part of the
index, which is why the walk resumes from the index's bookmark rather than
re-reading from the start.

The API walks the first page itself, so that a migration of a few WfRuns is
journalled before MigrateWfSpec answers; the rest follow a page per
timer-queue message (handlers/run_walks.py, shared with bulk deletes).
A page delivered twice journals its migrations twice; the second is a no-op
in the core (the WfRun is no longer on the old version).
"""

from __future__ import annotations

from typing import Any

from canter_engine.core import Blueprint, WfRunState
from canter_engine.core.events import MigrationRequested, to_journal
from canter_engine.core.migration import blockers, moves, target
from canter_engine.handlers import run_walks
from canter_engine.handlers.observability import logger
from canter_engine.handlers.runtime import Runtime
from canter_engine.store.journal import unique_event_id
from canter_engine.store.run_index import RunQuery

PAGE_SIZE = 100
# The key that tells a walk's message from a timer's on the timer queue.
PAGE_KEY = "migrateWfSpecPage"


def walk_page(
    rt: Runtime,
    spec_name: str,
    old_version: tuple[int, int],
    migration: dict[str, Any],
    bookmark: str | None,
    now: int,
) -> int:
    """Journal the migration of one page of running WfRuns; send the next page on.

    Returns how many WfRuns of this page were asked to migrate; the others
    are logged with why they stay.
    """
    query = RunQuery(
        spec_name=spec_name,
        status="RUNNING",
        major_version=old_version[0],
        revision=old_version[1],
        earliest=None,
        latest=None,
        parent=None,
    )
    new = rt.metadata.get_wf_spec(spec_name, *target(migration))
    if new is None:
        logger.warning(
            "MigrateWfSpec walk stopped: the version it migrates to was deleted",
            wf_spec=spec_name,
            new_version=".".join(map(str, target(migration))),
        )
        return 0
    bp = Blueprint(new.spec, new.task_defs)
    thread_moves = moves(migration)
    event = to_journal(MigrationRequested(now, old_version, migration))
    asked: list[str] = []

    def visit(wf_run_id: str) -> None:
        head = rt.state.load_head(wf_run_id)
        if head is None:
            return  # deleted since the index was read
        state = WfRunState.from_item(head.state)
        if state.ended or (state.major_version, state.revision) != old_version:
            return
        stuck = blockers(state, thread_moves, bp)
        if stuck:
            # The report of a WfRun left behind (canter migrate pending lists them too).
            logger.info("WfRun not migrated", wf_run_id=wf_run_id, reasons=stuck)
            return
        rt.journal.append(wf_run_id, unique_event_id("migrate", now), event, head.incarnation)
        asked.append(wf_run_id)

    ids, next_bookmark = run_walks.walk_page(rt, query, PAGE_SIZE, bookmark, visit)
    logger.info(
        "MigrateWfSpec page journalled",
        wf_spec=spec_name,
        old_version=f"{old_version[0]}.{old_version[1]}",
        wf_runs=len(ids),
        migrating=len(asked),
        more=next_bookmark is not None,
    )
    if next_bookmark is not None:
        rest = {
            "wfSpecName": spec_name,
            "oldVersion": list(old_version),
            "migration": migration,
            "bookmark": next_bookmark,
        }
        run_walks.send_rest(rt, PAGE_KEY, rest)
    return len(asked)


def is_page(body: str) -> bool:
    """Whether a timer-queue message is a walk's page rather than a timer."""
    return run_walks.is_page(body, PAGE_KEY)


def walk_message(rt: Runtime, body: str, now: int) -> int:
    """Walk the page a timer-queue message names (handlers/timers.py)."""
    page = run_walks.payload(body, PAGE_KEY)
    major, revision = page["oldVersion"]
    return walk_page(
        rt,
        str(page["wfSpecName"]),
        (int(major), int(revision)),
        dict(page["migration"]),
        str(page["bookmark"]),
        now,
    )
