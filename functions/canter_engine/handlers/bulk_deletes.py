"""A bulk delete's walk over the WfRuns it deletes, a page at a time.

The WfRuns of a ``BulkDeleteWfRun`` are found in SearchWfRun's index
(store/run_index.py: the status's partition, the WfSpec name as a filter,
the start-time window as a key range), :data:`PAGE_SIZE` at a time, newest
first (handlers/run_walks.py, shared with MigrateWfSpec). Each is deleted
through DeleteWfRun itself (handlers/api_runs.py): one journalled delete the
scheduler applies, so a bulk delete removes exactly what DeleteWfRun would.
CreateBulkJob walks the first page; the timer queue carries the rest.

After each page the job records its progress (store/bulk_jobs.py): the
start time of the last WfRun it deleted as its one subprocess's
``lastSeenKey``, and ``BULK_JOB_COMPLETED`` once the last page is walked.
A walk that cannot go on (its bookmark refused, a delete refused) ends
``BULK_JOB_FAILED``; the log says why. A page delivered twice journals its
deletes twice; the second of each is a no-op (the journal key is the
WfRun's delete key).
"""

from __future__ import annotations

from typing import Any

from canter_engine.core import WfRunState
from canter_engine.handlers import run_walks
from canter_engine.handlers.api_errors import ApiError
from canter_engine.handlers.api_runs import delete_wf_run
from canter_engine.handlers.observability import logger
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store import aws
from canter_engine.store.bulk_jobs import BulkJobStore, JobMissing, job_id, status
from canter_engine.store.run_index import RunQuery

PAGE_SIZE = 100
# The key that tells a bulk delete's message on the timer queue.
PAGE_KEY = "bulkDeleteWfRunPage"
RUNNING, COMPLETED, FAILED = "BULK_JOB_RUNNING", "BULK_JOB_COMPLETED", "BULK_JOB_FAILED"


def job_store(rt: Runtime) -> BulkJobStore:
    return BulkJobStore(aws.dynamodb(), rt.settings.metadata_table)


def walk_page(rt: Runtime, job: dict[str, Any], bookmark: str | None) -> dict[str, Any]:
    """Delete one page of the job's WfRuns, record the progress, send the next page on.

    Returns the job as recorded after the page.
    """
    if status(job) != RUNNING:
        return job
    last_start: list[int] = []
    refused: list[str] = []

    def visit(wf_run_id: str) -> None:
        if refused:
            return
        head = rt.state.load_head(wf_run_id)
        if head is None:
            return  # deleted since the index was read
        try:
            delete_wf_run(rt, {"id": {"id": wf_run_id}})
        except ApiError as exc:
            if exc.code != "NOT_FOUND":
                refused.append(f"DeleteWfRun {wf_run_id}: {exc.message}")
            return
        last_start.append(WfRunState.from_item(head.state).start)

    try:
        ids, next_bookmark = run_walks.walk_page(rt, query(job), PAGE_SIZE, bookmark, visit)
    except ValueError:
        ids, next_bookmark = [], None
        refused.append("the index refused the walk's bookmark")
    progressed = _progress(job, last_start[-1] if last_start else None, next_bookmark, refused)
    try:
        job_store(rt).update(job, progressed)
    except JobMissing:
        logger.warning("Bulk delete stopped: its BulkJob was deleted", bulk_job=job_id(job))
        return progressed
    logger.info(
        "Bulk delete page journalled",
        bulk_job=job_id(job),
        wf_runs=len(ids),
        deleted=len(last_start),
        status=status(progressed),
        reason="; ".join(refused) or None,
    )
    if status(progressed) == RUNNING and next_bookmark is not None:
        run_walks.send_rest(rt, PAGE_KEY, {"id": job_id(job), "bookmark": next_bookmark})
    return progressed


def query(job: dict[str, Any]) -> RunQuery:
    """The index query of a job's ``bulkDeleteWfRun``."""
    spec = job["bulkDeleteWfRun"]
    return RunQuery(
        spec_name=str(spec["wfSpecName"]),
        status=str(spec["wfRunStatus"]),
        major_version=None,
        revision=None,
        earliest=_millis(spec.get("earliestStart")),
        latest=_millis(spec.get("latestStart")),
        parent=None,
    )


def is_page(body: str) -> bool:
    """Whether a timer-queue message continues a bulk delete."""
    return run_walks.is_page(body, PAGE_KEY)


def walk_message(rt: Runtime, body: str) -> dict[str, Any] | None:
    """Walk the page a timer-queue message names (handlers/timers.py)."""
    page = run_walks.payload(body, PAGE_KEY)
    job = job_store(rt).get(str(page["id"]))
    if job is None:
        logger.warning("Bulk delete stopped: its BulkJob was deleted", bulk_job=page["id"])
        return None
    bookmark = page.get("bookmark")  # None: the first page, which CreateBulkJob could not walk
    return walk_page(rt, job, None if bookmark is None else str(bookmark))


def _progress(
    job: dict[str, Any], last_start: int | None, next_bookmark: str | None, refused: list[str]
) -> dict[str, Any]:
    new_status = FAILED if refused else RUNNING if next_bookmark is not None else COMPLETED
    subprocess = dict(job["subprocesses"][0])
    subprocess["status"] = new_status
    if last_start is not None:
        subprocess["lastSeenKey"] = values.format_timestamp(last_start)
    return {**job, "status": new_status, "subprocesses": [subprocess]}


def _millis(raw: Any) -> int | None:
    return None if raw is None else values.parse_timestamp(str(raw))
