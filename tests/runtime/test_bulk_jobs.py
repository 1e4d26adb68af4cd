"""Bulk deletes of WfRuns through the local stack's HTTP API: CreateBulkJob, GetBulkJob,
SearchBulkJob and DeleteBulkJob (LittleHorse's e2e ``WfRunBulkDeletion``).

Workflows are compiled by Canter's builder; every answer parses into the
official ``littlehorse.model`` class.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError
from canter_engine.handlers import bulk_deletes, runtime
from google.protobuf.json_format import ParseDict
from littlehorse.model import (
    BULK_JOB_COMPLETED,
    BULK_JOB_FAILED,
    BULK_JOB_RUNNING,
    BulkJob,
    BulkJobIdList,
    WfRun,
)

from .support import Names, register

pytestmark = pytest.mark.e2e


def _instant(wf: WorkflowThread) -> None:
    """Completes as soon as it starts (LittleHorse's "instant-complete")."""
    wf.declare_str("note").assign("done")


def _failing(wf: WorkflowThread) -> None:
    wf.fail("no-luck", "it fails on purpose")


def _runs(client: Client, name: str, count: int, status: str = "COMPLETED") -> list[str]:
    ids = [client.run_wf(name)["id"]["id"] for _ in range(count)]
    _until(lambda: all(_status(client, i) == status for i in ids), f"all are {status}")
    return ids


def _status(client: Client, wf_run_id: str) -> str | None:
    try:
        run = client.get_wf_run(wf_run_id)
    except CanterError as exc:
        if exc.code == "NOT_FOUND":
            return None
        raise
    ParseDict(run, WfRun())
    return str(run.get("status", "STARTING"))


def _until(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _job(answer: dict[str, Any]) -> BulkJob:
    return ParseDict(answer, BulkJob())


def _finished(client: Client, bulk_job_id: str) -> BulkJob:
    """The job once it is no longer RUNNING (the timer queue walks its later pages)."""
    found: list[BulkJob] = []

    def done() -> bool:
        found[:] = [_job(client.get_bulk_job(bulk_job_id))]
        return found[0].status != BULK_JOB_RUNNING

    _until(done, f"BulkJob {bulk_job_id} finishes")
    return found[0]


def _gone(client: Client, ids: list[str]) -> None:
    _until(lambda: all(_status(client, i) is None for i in ids), "all are deleted")


def _search_ids(client: Client, name: str, status: str) -> set[str]:
    return {r["id"] for r in client.search_wf_run(name, status, limit=100)["results"]}


def test_a_bulk_delete_walks_its_wf_runs_a_page_at_a_time(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LittleHorse's shouldDeleteCompletedWfRuns: only the COMPLETED WfRuns of one WfSpec go;
    the first page is deleted by the request, the timer queue carries the rest."""
    monkeypatch.setattr(bulk_deletes, "PAGE_SIZE", 2)
    pages: list[dict[str, Any] | None] = []
    walk = bulk_deletes.walk_message

    def counted(*args: Any) -> dict[str, Any] | None:
        pages.append(walk(*args))
        return pages[-1]

    monkeypatch.setattr(bulk_deletes, "walk_message", counted)
    doomed, kept = names("doomed"), names("kept")
    register(client, doomed, _instant)
    register(client, kept, _instant)
    deleted = _runs(client, doomed, 5)
    others = _runs(client, kept, 2)

    answer = client.create_bulk_job(doomed, "COMPLETED", bulk_job_id=names("job"))
    created = _job(answer)
    assert created.id.id == names("job")
    assert created.total_subprocesses == 1
    assert created.bulk_delete_wf_run.wf_spec_name == doomed
    assert answer["status"] == "BULK_JOB_RUNNING"  # three pages: two more to walk
    job = _finished(client, names("job"))
    assert job.status == BULK_JOB_COMPLETED
    assert [sub.status for sub in job.subprocesses] == [BULK_JOB_COMPLETED]
    assert job.subprocesses[0].HasField("last_seen_key")
    _gone(client, deleted)
    assert _search_ids(client, doomed, "COMPLETED") == set()
    assert _search_ids(client, kept, "COMPLETED") == set(others)
    assert len(pages) == 2  # pages two and three, after the request's first


def test_a_status_filter_and_a_start_window_choose_what_goes(client: Client, names: Names) -> None:
    """Only WfRuns in the job's status, started within its window, are deleted."""
    name = names("wf")
    register(client, name, _instant)
    early = _runs(client, name, 2)
    middle = _runs(client, name, 2)
    late = _runs(client, name, 1)
    starts = [client.get_wf_run(i)["startTime"] for i in middle]
    failing = names("fails")
    register(client, failing, _failing)
    failed = _runs(client, failing, 1, "EXCEPTION")

    job = client.create_bulk_job(
        name, "COMPLETED", earliest_start=min(starts), latest_start=max(starts)
    )
    _finished(client, job["id"]["id"])
    _gone(client, middle)
    assert _search_ids(client, name, "COMPLETED") == set(early + late)

    wrong_status = _finished(client, client.create_bulk_job(failing, "COMPLETED")["id"]["id"])
    assert not wrong_status.subprocesses[0].HasField("last_seen_key")  # nothing deleted
    assert _search_ids(client, failing, "EXCEPTION") == set(failed)
    right_status = client.create_bulk_job(failing, "EXCEPTION")
    _finished(client, right_status["id"]["id"])
    _gone(client, failed)


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({}, "bulkDeleteWfRun is required"),
        ({"bulkDeleteWfRun": {"wfRunStatus": "COMPLETED"}}, "wfSpecName must be provided"),
        ({"bulkDeleteWfRun": {"wfSpecName": "x"}}, "wfRunStatus must be provided"),
        (
            {"bulkDeleteWfRun": {"wfSpecName": "x", "wfRunStatus": "RUNNING"}},
            "wfRunStatus must be a terminal status",
        ),
        (
            {
                "bulkDeleteWfRun": {
                    "wfSpecName": "x",
                    "wfRunStatus": "COMPLETED",
                    "earliestStart": "2026-01-02T00:00:00Z",
                    "latestStart": "2026-01-01T00:00:00Z",
                }
            },
            "earliestStart must be before or equal to latestStart",
        ),
        (
            {"bulkDeleteWfRun": {"wfSpecName": "x", "wfRunStatus": "COMPLETED", "max": 3}},
            "max",
        ),
        (
            {"bulkDeleteWfRun": {"wfSpecName": "x", "wfRunStatus": "COMPLETED"}, "id": "a#b"},
            "id",
        ),
    ],
)
def test_bad_requests_are_refused_with_what_to_fix(
    client: Client, request_body: dict[str, Any], message: str
) -> None:
    """LittleHorse's BulkDeleteWfRunModel.validate, with its messages."""
    with pytest.raises(CanterError) as refused:
        client.call("CreateBulkJob", request_body)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert message in refused.value.message


def test_an_id_is_one_job(client: Client, names: Names) -> None:
    """The same request again answers the job (as LittleHorse's idempotent create); another
    request with a taken id is ALREADY_EXISTS."""
    name = names("wf")
    first = client.create_bulk_job(name, "COMPLETED", bulk_job_id=names("job"))
    again = client.create_bulk_job(name, "COMPLETED", bulk_job_id=names("job"))
    assert again == first
    with pytest.raises(CanterError) as taken:
        client.create_bulk_job(name, "ERROR", bulk_job_id=names("job"))
    assert taken.value.code == "ALREADY_EXISTS"


def test_jobs_are_read_searched_and_deleted(client: Client, names: Names) -> None:
    """LittleHorse's shouldSearchByStatusThenDeleteCompletedBulkJob."""
    name = names("wf")
    register(client, name, _instant)
    _runs(client, name, 1)
    job_id = client.create_bulk_job(name, "COMPLETED", bulk_job_id=names("job"))["id"]["id"]
    _finished(client, job_id)

    completed = ParseDict(
        client.search_bulk_job(status="BULK_JOB_COMPLETED", limit=1000), BulkJobIdList()
    )
    assert job_id in {one.id for one in completed.results}
    running = ParseDict(client.search_bulk_job(status="BULK_JOB_RUNNING"), BulkJobIdList())
    assert job_id not in {one.id for one in running.results}
    everything = ParseDict(client.search_bulk_job(limit=1000), BulkJobIdList())
    assert job_id in {one.id for one in everything.results}

    client.delete_bulk_job(job_id)
    with pytest.raises(CanterError) as missing:
        client.get_bulk_job(job_id)
    assert missing.value.code == "NOT_FOUND"
    assert job_id not in {r["id"] for r in client.search_bulk_job(limit=1000)["results"]}
    with pytest.raises(CanterError) as again:
        client.delete_bulk_job(job_id)
    assert again.value.code == "NOT_FOUND"
    with pytest.raises(CanterError) as bad:
        client.search_bulk_job(status="DONE")
    assert bad.value.code == "INVALID_ARGUMENT"


def _stalled_job(client: Client, names: Names, monkeypatch: pytest.MonkeyPatch) -> str:
    """A job of two WfRuns that deleted its first page and goes no further."""
    monkeypatch.setattr(bulk_deletes, "PAGE_SIZE", 1)
    monkeypatch.setattr(bulk_deletes, "walk_message", lambda *args: None)  # the walk stalls
    name = names("wf")
    register(client, name, _instant)
    _runs(client, name, 2)
    return str(client.create_bulk_job(name, "COMPLETED")["id"]["id"])


def test_a_running_job_cannot_be_deleted(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LittleHorse's DeleteBulkJob: "Cannot delete a RUNNING BulkJob" (FAILED_PRECONDITION)."""
    job_id = _stalled_job(client, names, monkeypatch)
    assert client.get_bulk_job(job_id)["status"] == "BULK_JOB_RUNNING"
    with pytest.raises(CanterError) as refused:
        client.delete_bulk_job(job_id)
    assert refused.value.code == "FAILED_PRECONDITION"


def test_a_walk_that_cannot_go_on_fails_the_job(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page whose bookmark the index refuses ends the job FAILED, not RUNNING forever."""
    job_id = _stalled_job(client, names, monkeypatch)
    monkeypatch.undo()
    forged = json.dumps({bulk_deletes.PAGE_KEY: {"id": job_id, "bookmark": "not-a-bookmark"}})
    bulk_deletes.walk_message(runtime.current(), forged)
    job = _job(client.get_bulk_job(job_id))
    assert job.status == BULK_JOB_FAILED
    assert [sub.status for sub in job.subprocesses] == [BULK_JOB_FAILED]
    client.delete_bulk_job(job_id)  # a FAILED job is finished: it may be deleted


def test_a_first_page_that_fails_is_retried_by_the_timer_queue(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored job never stays RUNNING with no walk behind it."""
    walk = bulk_deletes.run_walks.walk_page
    calls: list[int] = []

    def flaky(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the index could not be read")
        return walk(*args)

    monkeypatch.setattr(bulk_deletes.run_walks, "walk_page", flaky)
    name = names("wf")
    register(client, name, _instant)
    ids = _runs(client, name, 1)
    answer = client.create_bulk_job(name, "COMPLETED")
    assert answer["status"] == "BULK_JOB_RUNNING"
    assert _finished(client, answer["id"]["id"]).status == BULK_JOB_COMPLETED
    _gone(client, ids)
