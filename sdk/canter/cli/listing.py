"""``canter list``: everything of one kind under a WfRun, every page of it."""

from __future__ import annotations

from typing import Annotated

import typer

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json

app = typer.Typer(help="List the NodeRuns, Variables or ExternalEvents of a WfRun.")

WfRunId = Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)]


@app.command("nodeRun")
def node_runs(
    wf_run_id: WfRunId,
    thread: Annotated[
        int | None, typer.Option("--thread", help="Only this ThreadRun's NodeRuns")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """The NodeRuns of a WfRun, in order.

    Example: canter list nodeRun ord-1001 --thread 0
    """
    found = connect(api_url).list_node_runs(wf_run_id, thread)
    if as_json:
        print_json({"results": found})
    else:
        out.print(render.node_runs_table(found))


@app.command("variable")
def variables(wf_run_id: WfRunId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """The variables of a WfRun, all threads (masked ones stay masked).

    Example: canter list variable ord-1001
    """
    found = connect(api_url).list_variables(wf_run_id)
    if as_json:
        print_json({"results": found})
    else:
        out.print(render.variables_table(found))


@app.command("externalEvent")
def external_events(wf_run_id: WfRunId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """The ExternalEvents sent to a WfRun, and which NodeRun took each.

    Example: canter list externalEvent ord-1001
    """
    found = connect(api_url).list_external_events(wf_run_id)
    if as_json:
        print_json({"results": found})
    else:
        out.print(render.external_events_table(found))
