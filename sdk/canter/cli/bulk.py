"""``canter bulk delete|get|search|remove``: BulkJobs that delete WfRuns in bulk."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from canter.cli.common import ApiUrl, AsJson, connect, out, print_json

app = typer.Typer(help="Delete WfRuns in bulk (LittleHorse's BulkJob).")

JobId = Annotated[str, typer.Argument(help="The BulkJob's id", show_default=False)]
STATUSES = ("COMPLETED", "HALTED", "ERROR", "EXCEPTION")


@app.command("delete")
def delete(
    wf_spec: Annotated[str, typer.Argument(metavar="WFSPEC", help="Name of the WfSpec")],
    status: Annotated[
        str,
        typer.Option("--status", help=f"Delete the WfRuns in this status: {', '.join(STATUSES)}"),
    ] = "COMPLETED",
    earliest_start: Annotated[
        str | None,
        typer.Option("--earliest-start", help="Only WfRuns started at or after (RFC 3339)"),
    ] = None,
    latest_start: Annotated[
        str | None,
        typer.Option("--latest-start", help="Only WfRuns started at or before (RFC 3339)"),
    ] = None,
    job_id: Annotated[
        str | None, typer.Option("--id", help="BulkJob id; the same request again is safe")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Delete every WfRun of WFSPEC in one status, optionally started within a window.

    Example: canter bulk delete report --status ERROR --latest-start 2026-01-01T00:00:00Z
    """
    job = connect(api_url).create_bulk_job(
        wf_spec,
        status.upper(),
        bulk_job_id=job_id,
        earliest_start=earliest_start,
        latest_start=latest_start,
    )
    if as_json:
        print_json(job)
        return
    out.print(f"BulkJob {job['id']['id']}: {_shown(job)}")


@app.command("get")
def get(job_id: JobId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """Show one BulkJob: what it deletes, its status and how far it got.

    Example: canter bulk get 3f9c...
    """
    job = connect(api_url).get_bulk_job(job_id)
    if as_json:
        print_json(job)
        return
    out.print(f"BulkJob {job_id}: {_shown(job)}, created {job.get('createdAt', '')}")
    for sub in job.get("subprocesses", []):
        seen = sub.get("lastSeenKey")
        where = f", last deleted WfRun started {seen}" if seen else ""
        out.print(f"  subprocess {sub.get('id', 0)}: {_status(sub)}{where}")


@app.command("search")
def search(
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only jobs in this status: RUNNING, COMPLETED or FAILED"),
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """List BulkJob ids, one per line.

    Example: canter bulk search --status RUNNING
    """
    wanted = None if status is None else f"BULK_JOB_{status.upper().removeprefix('BULK_JOB_')}"
    client = connect(api_url)
    found: list[dict[str, Any]] = []
    bookmark: str | None = None
    while True:
        page = client.search_bulk_job(status=wanted, bookmark=bookmark)
        found.extend(page.get("results", []))
        bookmark = page.get("bookmark")
        if not bookmark:
            break
    if as_json:
        print_json({"results": found})
        return
    for one in found:
        out.print(one["id"])


@app.command("remove")
def remove(job_id: JobId, api_url: ApiUrl = None) -> None:
    """Delete a finished BulkJob's record (its WfRuns are already gone).

    Example: canter bulk remove 3f9c...
    """
    connect(api_url).delete_bulk_job(job_id)
    out.print(f"BulkJob {job_id} deleted")


def _shown(job: dict[str, Any]) -> str:
    spec = job["bulkDeleteWfRun"]
    window = ""
    if "earliestStart" in spec or "latestStart" in spec:
        window = f" started {spec.get('earliestStart', '...')} to {spec.get('latestStart', '...')}"
    return f"delete {spec['wfRunStatus']} WfRuns of {spec['wfSpecName']}{window}, {_status(job)}"


def _status(obj: dict[str, Any]) -> str:
    return str(obj.get("status", "BULK_JOB_RUNNING")).removeprefix("BULK_JOB_")
