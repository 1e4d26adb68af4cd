"""``canter search wfRun``: WfRuns of a WfSpec, optionally by status."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json

app = typer.Typer(help="Search WfRuns.")


class Status(StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    HALTING = "HALTING"
    HALTED = "HALTED"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    EXCEPTION = "EXCEPTION"


@app.command("wfRun")
def wf_runs(
    wf_spec: Annotated[
        str, typer.Option("--wf-spec", help="Name of the WfSpec whose WfRuns to find")
    ],
    status: Annotated[Status | None, typer.Option(help="Only WfRuns with this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many")] = 100,
    bookmark: Annotated[
        str | None, typer.Option(help="Continue where the previous page stopped")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """WfRuns of a WfSpec (one page; --bookmark gets the next).

    Example: canter search wfRun --wf-spec order-fulfillment --status ERROR
    """
    client = connect(api_url)
    page = client.search_wf_run(
        wf_spec, status.value if status else None, limit=limit, bookmark=bookmark
    )
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "WfSpec", "status", "started", "ended")
    for result in page.get("results", []):
        wf_run = client.get_wf_run(str(result["id"]))
        table.add_row(
            str(result["id"]),
            render.spec_version(wf_run.get("wfSpecId", {})),
            render.status(wf_run.get("status")),
            render.when(wf_run.get("startTime")),
            render.when(wf_run.get("endTime")),
        )
    out.print(table)
    if page.get("bookmark"):
        out.print(f"more: --bookmark {page['bookmark']}")
