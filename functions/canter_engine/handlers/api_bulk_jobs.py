"""BulkJobs with LittleHorse's messages: ``CreateBulkJob``, ``GetBulkJob``,
``SearchBulkJob``, ``DeleteBulkJob``.

A BulkJob's one kind of work is ``bulkDeleteWfRun``: delete every WfRun of a
WfSpec in one terminal status, optionally within a start-time window
(LittleHorse's BulkDeleteWfRunModel, with its validation). The job is stored
in the metadata table (store/bulk_jobs.py); CreateBulkJob deletes the first
page of WfRuns before it answers and the timer queue walks the rest
(handlers/bulk_deletes.py), so GetBulkJob shows the job RUNNING until its
last page, then COMPLETED.

Canter walks all WfRuns as one subprocess (``totalSubprocesses`` 1);
LittleHorse has one per partition.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import field, guid, lh_name, only, page
from canter_engine.handlers.api_search import paging, timestamp
from canter_engine.handlers.bulk_deletes import (
    COMPLETED,
    FAILED,
    PAGE_KEY,
    RUNNING,
    job_store,
    walk_page,
)
from canter_engine.handlers.observability import logger
from canter_engine.handlers.run_walks import send_rest
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.bulk_jobs import JobExists, JobMissing, status

# LittleHorse's DELETABLE_WF_RUN_STATUSES: a bulk delete never takes a WfRun still running.
DELETABLE = ("COMPLETED", "HALTED", "ERROR", "EXCEPTION")
JOB_STATUSES = (RUNNING, COMPLETED, FAILED)
_DELETE_FIELDS = ("wfSpecName", "earliestStart", "latestStart", "wfRunStatus")


def create_bulk_job(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Store the job and delete its first page of WfRuns; answer the job as it then stands.

    As in LittleHorse, the same id again answers the job already stored (a
    retried request); an id taken by another request is ALREADY_EXISTS
    rather than answering a job that is not the one asked for.
    """
    rpc = "CreateBulkJob"
    only(body, rpc, ("id", "bulkDeleteWfRun"))
    raw_id = body.get("id")
    bulk_job_id = str(uuid.uuid4()) if raw_id in (None, "") else guid(raw_id, f"{rpc}: id")
    request = _bulk_delete(body.get("bulkDeleteWfRun"), rpc)
    store = job_store(rt)
    existing = store.get(bulk_job_id)
    if existing is not None:
        return _same_or_taken(existing, request, rpc)
    job = {
        "id": {"id": bulk_job_id},
        "createdAt": values.format_timestamp(_now()),
        "status": RUNNING,
        "bulkDeleteWfRun": request,
        "subprocesses": [{"id": 0, "status": RUNNING}],
        "totalSubprocesses": 1,
    }
    try:
        store.create(job)
    except JobExists:
        existing = store.get(bulk_job_id)
        if existing is None:
            raise ApiError("ALREADY_EXISTS", f"{rpc}: BulkJob {bulk_job_id!r} exists") from None
        return _same_or_taken(existing, request, rpc)
    try:
        return walk_page(rt, job, None)
    except Exception:
        # The job is stored: a failed first page must not leave it RUNNING with no
        # walk behind it (a retry answers the stored job), so the timer queue retries it.
        logger.exception("Bulk delete's first page failed; the timer queue retries it")
        send_rest(rt, PAGE_KEY, {"id": bulk_job_id, "bookmark": None})
        return job


def get_bulk_job(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "GetBulkJob", ("id",))
    return _existing(rt, _job_id(body, "GetBulkJob"))


def search_bulk_job(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Job ids in id order: all of them, or those of one status."""
    rpc = "SearchBulkJob"
    only(body, rpc, ("bookmark", "limit", "status"))
    job_status = body.get("status")
    if job_status is not None and job_status not in JOB_STATUSES:
        raise invalid(f"{rpc}: status must be one of {', '.join(JOB_STATUSES)}")
    limit, bookmark = paging(body, rpc)
    try:
        ids, next_bookmark = job_store(rt).search(job_status, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    return page([{"id": one} for one in ids], next_bookmark)


def delete_bulk_job(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Delete a finished job (LittleHorse refuses a RUNNING one: FAILED_PRECONDITION)."""
    only(body, "DeleteBulkJob", ("id",))
    bulk_job_id = _job_id(body, "DeleteBulkJob")
    job = _existing(rt, bulk_job_id)
    if status(job) == RUNNING:
        raise ApiError("FAILED_PRECONDITION", "DeleteBulkJob: Cannot delete a RUNNING BulkJob")
    try:
        job_store(rt).delete(job)
    except JobMissing:
        raise not_found(f"BulkJob {bulk_job_id!r} does not exist") from None
    return {}


def _bulk_delete(raw: Any, rpc: str) -> dict[str, Any]:
    """A ``BulkDeleteWfRun``, checked as LittleHorse's BulkDeleteWfRunModel.validate."""
    where = f"{rpc}: bulkDeleteWfRun"
    if not isinstance(raw, dict):
        raise invalid(f"{where} is required (a BulkDeleteWfRun)")
    only(raw, where, _DELETE_FIELDS)
    name = raw.get("wfSpecName")
    if not isinstance(name, str) or not name.strip():
        raise invalid(f"{where}.wfSpecName must be provided")
    lh_name(name, f"{where}.wfSpecName")  # no WfSpec of another name can exist
    earliest = timestamp(raw, "earliestStart", where)
    latest = timestamp(raw, "latestStart", where)
    if earliest is not None and latest is not None and earliest > latest:
        raise invalid(f"{where}: earliestStart must be before or equal to latestStart")
    wf_run_status = raw.get("wfRunStatus")
    if wf_run_status is None:
        raise invalid(f"{where}.wfRunStatus must be provided")
    if wf_run_status not in DELETABLE:
        raise invalid(
            f"{where}.wfRunStatus must be a terminal status ({', '.join(DELETABLE)}), "
            f"not {wf_run_status!r}"
        )
    found: dict[str, Any] = {"wfSpecName": name, "wfRunStatus": wf_run_status}
    if earliest is not None:
        found["earliestStart"] = values.format_timestamp(earliest)
    if latest is not None:
        found["latestStart"] = values.format_timestamp(latest)
    return found


def _same_or_taken(existing: dict[str, Any], request: dict[str, Any], rpc: str) -> dict[str, Any]:
    if existing["bulkDeleteWfRun"] == request:
        return existing
    raise ApiError(
        "ALREADY_EXISTS",
        f"{rpc}: BulkJob {existing['id']['id']!r} already exists with another bulkDeleteWfRun",
    )


def _job_id(body: dict[str, Any], rpc: str) -> str:
    """A ``BulkJobId``'s id: what CreateBulkJob accepts as one."""
    return guid(field(body, "id", "id"), f"{rpc}: id.id")


def _existing(rt: Runtime, bulk_job_id: str) -> dict[str, Any]:
    job = job_store(rt).get(bulk_job_id)
    if job is None:
        raise not_found(f"Couldn't find BulkJob {bulk_job_id}")
    return job


def _now() -> int:
    return int(time.time() * 1000)
