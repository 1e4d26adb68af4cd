"""``canter list``: everything of one kind under a WfRun, every page of it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json

app = typer.Typer(
    help="List the NodeRuns, TaskRuns, Variables, ExternalEvents or WorkflowEvents of a WfRun."
)

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
    client = connect(api_url)
    found = client.list_node_runs(wf_run_id, thread)
    if as_json:
        print_json({"results": found})
    else:
        task_runs = render.by_guid(client.list_task_runs(wf_run_id))
        out.print(render.node_runs_table(found, task_runs))


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


@app.command("taskRun")
def task_runs(wf_run_id: WfRunId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """The TaskRuns of a WfRun: status, attempts, and when each was scheduled.

    Example: canter list taskRun ord-1001
    """
    found = connect(api_url).list_task_runs(wf_run_id)
    if as_json:
        print_json({"results": found})
        return
    table = Table("TaskRun", "TaskDef", "status", "attempts", "scheduled")
    for task_run in found:
        table.add_row(
            str(task_run["id"]["taskGuid"]),
            str(task_run.get("taskDefId", {}).get("name", "")),
            render.status(task_run.get("status", "TASK_SCHEDULED")),
            str(len(task_run.get("attempts", []))),
            render.when(task_run.get("scheduledAt")),
        )
    out.print(table)


@app.command("workflowEvent")
def workflow_events(wf_run_id: WfRunId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """The WorkflowEvents a WfRun threw, in order.

    Example: canter list workflowEvent ord-1001
    """
    found = connect(api_url).list_workflow_events(wf_run_id)
    if as_json:
        print_json({"results": found})
        return
    table = Table("#", "WorkflowEventDef", "content", "thrown")
    for event in found:
        table.add_row(
            str(event["id"].get("number", 0)),
            str(event["id"]["workflowEventDefId"]["name"]),
            render.value_text(event.get("content")),
            render.when(event.get("createdAt")),
        )
    out.print(table)
