"""``canter search``: WfRuns, their records, and definitions by name, a page at a time
(lhctl's search)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json
from canter.client import Client

app = typer.Typer(
    help="Search WfRuns, Variables, TaskRuns, NodeRuns, ExternalEvents, WfSpecs, TaskDefs, "
    "ExternalEventDefs, WorkflowEventDefs."
)


class Status(StrEnum):
    STARTING = "STARTING"
    RUNNING = "RUNNING"
    HALTING = "HALTING"
    HALTED = "HALTED"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    EXCEPTION = "EXCEPTION"


Limit = Annotated[int, typer.Option(min=1, max=1000, help="At most this many")]
Bookmark = Annotated[str | None, typer.Option(help="Continue where the previous page stopped")]
Prefix = Annotated[str | None, typer.Option(help="Only names starting with this")]


@app.command("wfRun")
def wf_runs(
    wf_spec: Annotated[
        str | None, typer.Option("--wf-spec", help="Only WfRuns of this WfSpec")
    ] = None,
    status: Annotated[Status | None, typer.Option(help="Only WfRuns with this status")] = None,
    major_version: Annotated[
        int | None, typer.Option("--major-version", help="Only this major version (--wf-spec)")
    ] = None,
    revision: Annotated[
        int | None, typer.Option(help="Only this revision (with --major-version)")
    ] = None,
    parent: Annotated[str | None, typer.Option(help="Only child WfRuns of this WfRun id")] = None,
    since: Annotated[
        str | None, typer.Option(help="Started at or after (RFC 3339, 2024-05-01T12:00:00Z)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Started at or before (RFC 3339)")] = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """WfRuns, newest first (one page; --bookmark gets the next).

    Example: canter search wfRun --wf-spec order-fulfillment --status ERROR
    """
    client = connect(api_url)
    page = client.search_wf_run(
        wf_spec,
        status.value if status else None,
        major_version=major_version,
        revision=revision,
        earliest_start=since,
        latest_start=until,
        parent_wf_run_id=parent,
        limit=limit,
        bookmark=bookmark,
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
    _print_page(table, page)


@app.command("wfSpec")
def wf_specs(
    prefix: Prefix = None,
    name: Annotated[str | None, typer.Option(help="Every version of this WfSpec")] = None,
    task_def: Annotated[
        str | None, typer.Option("--task-def", help="WfSpecs that use this TaskDef")
    ] = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """WfSpec versions by name, name prefix or TaskDef used.

    Example: canter search wfSpec --prefix order-
    """
    request = _criteria(name=name, prefix=prefix, taskDefName=task_def)
    if len(request) > 1:
        raise typer.BadParameter("give one of --name, --prefix, --task-def")
    page = _page(connect(api_url), "SearchWfSpec", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfSpec", "version")
    for spec_id in page.get("results", []):
        table.add_row(str(spec_id["name"]), render.spec_version(spec_id).rpartition(" ")[2])
    _print_page(table, page)


@app.command("taskDef")
def task_defs(
    prefix: Prefix = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """TaskDefs by name prefix.

    Example: canter search taskDef --prefix ship-
    """
    _names(api_url, "SearchTaskDef", "TaskDef", prefix, limit, bookmark, as_json)


@app.command("externalEventDef")
def external_event_defs(
    prefix: Prefix = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """ExternalEventDefs by name prefix.

    Example: canter search externalEventDef --prefix payment-
    """
    _names(api_url, "SearchExternalEventDef", "ExternalEventDef", prefix, limit, bookmark, as_json)


@app.command("workflowEventDef")
def workflow_event_defs(
    prefix: Prefix = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """WorkflowEventDefs by name prefix.

    Example: canter search workflowEventDef --prefix order-
    """
    _names(api_url, "SearchWorkflowEventDef", "WorkflowEventDef", prefix, limit, bookmark, as_json)


class ValueType(StrEnum):
    STR = "STR"
    INT = "INT"
    DOUBLE = "DOUBLE"
    BOOL = "BOOL"


_VALUE_FIELDS = {"STR": "str", "INT": "int", "DOUBLE": "double", "BOOL": "bool"}
Since = Annotated[str | None, typer.Option(help="At or after (RFC 3339, 2024-05-01T12:00:00Z)")]
Until = Annotated[str | None, typer.Option(help="At or before (RFC 3339)")]


@app.command("variable")
def variables(
    wf_spec: Annotated[str, typer.Option("--wf-spec", help="The WfSpec declaring the variable")],
    name: Annotated[str, typer.Option(help="A searchable() variable of the WfSpec")],
    value: Annotated[str, typer.Option(help="The exact value it holds")],
    value_type: Annotated[ValueType, typer.Option("--type", help="The value's type")] = (
        ValueType.STR
    ),
    major_version: Annotated[
        int | None, typer.Option("--major-version", help="Only WfRuns of this major version")
    ] = None,
    revision: Annotated[
        int | None, typer.Option(help="Only this revision (with --major-version)")
    ] = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Variables of a WfSpec's WfRuns by a searchable() variable's value, newest WfRun first.

    Example: canter search variable --wf-spec order-fulfillment --name customer --value ann
    """
    request = _criteria(
        wfSpecName=wf_spec,
        varName=name,
        wfSpecMajorVersion=major_version,
        wfSpecRevision=revision,
    )
    typed: Any = value
    if value_type is ValueType.BOOL:
        if value not in ("true", "false"):
            raise typer.BadParameter("a BOOL value is true or false", param_hint="--value")
        typed = value == "true"
    elif value_type is ValueType.DOUBLE:
        try:
            typed = float(value)
        except ValueError:
            raise typer.BadParameter(f"{value!r} is not a number", param_hint="--value") from None
    request["value"] = {_VALUE_FIELDS[value_type.value]: typed}
    page = _page(connect(api_url), "SearchVariable", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "thread", "variable")
    for found in page.get("results", []):
        table.add_row(
            str(found["wfRunId"]["id"]), str(found.get("threadRunNumber", 0)), str(found["name"])
        )
    _print_page(table, page)


@app.command("nodeRun")
def node_runs(
    external_event_def: Annotated[
        str,
        typer.Option(
            "--external-event-def", help="EXTERNAL_EVENT NodeRuns waiting for this ExternalEventDef"
        ),
    ],
    status: Annotated[Status | None, typer.Option(help="Only NodeRuns with this status")] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """EXTERNAL_EVENT NodeRuns of one ExternalEventDef, newest first (as LittleHorse).

    Example: canter search nodeRun --external-event-def payment-received --status RUNNING
    """
    request = _criteria(
        status=status.value if status else None, earliestStart=since, latestStart=until
    )
    request["externalEventDef"] = {"name": external_event_def}
    page = _page(connect(api_url), "SearchNodeRun", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "thread", "position")
    for found in page.get("results", []):
        table.add_row(
            str(found["wfRunId"]["id"]),
            str(found.get("threadRunNumber", 0)),
            str(found.get("position", 0)),
        )
    _print_page(table, page)


class TaskStatus(StrEnum):
    TASK_SCHEDULED = "TASK_SCHEDULED"
    TASK_RUNNING = "TASK_RUNNING"
    TASK_SUCCESS = "TASK_SUCCESS"
    TASK_FAILED = "TASK_FAILED"
    TASK_TIMEOUT = "TASK_TIMEOUT"
    TASK_OUTPUT_SERDE_ERROR = "TASK_OUTPUT_SERDE_ERROR"
    TASK_INPUT_VAR_SUB_ERROR = "TASK_INPUT_VAR_SUB_ERROR"
    TASK_EXCEPTION = "TASK_EXCEPTION"
    TASK_PENDING = "TASK_PENDING"


@app.command("taskRun")
def task_runs(
    task_def: Annotated[str, typer.Option("--task-def", help="TaskRuns of this TaskDef")],
    status: Annotated[
        TaskStatus | None, typer.Option(help="Only TaskRuns with this status")
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """TaskRuns of one TaskDef, newest WfRun first (a page may be short and still go on).

    Example: canter search taskRun --task-def ship-order --status TASK_FAILED
    """
    request = _criteria(
        taskDefName=task_def,
        status=status.value if status else None,
        earliestStart=since,
        latestStart=until,
    )
    page = _page(connect(api_url), "SearchTaskRun", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "TaskRun")
    for found in page.get("results", []):
        table.add_row(str(found["wfRunId"]["id"]), str(found["taskGuid"]))
    _print_page(table, page)


@app.command("externalEvent")
def external_events(
    external_event_def: Annotated[
        str, typer.Option("--external-event-def", help="Events of this ExternalEventDef")
    ],
    claimed: Annotated[
        bool | None, typer.Option("--claimed/--unclaimed", help="Only claimed (or unclaimed)")
    ] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """ExternalEvents of one ExternalEventDef, newest first.

    Example: canter search externalEvent --external-event-def payment-received --unclaimed
    """
    request: dict[str, Any] = _criteria(earliestStart=since, latestStart=until)
    request["externalEventDefId"] = {"name": external_event_def}
    if claimed is not None:
        request["isClaimed"] = claimed
    page = _page(connect(api_url), "SearchExternalEvent", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "ExternalEventDef", "guid")
    for found in page.get("results", []):
        table.add_row(
            str(found["wfRunId"]["id"]), str(found["externalEventDefId"]["name"]), found["guid"]
        )
    _print_page(table, page)


@app.command("workflowEvent")
def workflow_events(
    workflow_event_def: Annotated[
        str, typer.Option("--workflow-event-def", help="Events of this WorkflowEventDef")
    ],
    since: Since = None,
    until: Until = None,
    limit: Limit = 100,
    bookmark: Bookmark = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """WorkflowEvents of one WorkflowEventDef, newest first.

    Example: canter search workflowEvent --workflow-event-def shipped --since 2024-01-01T00:00:00Z
    """
    request: dict[str, Any] = _criteria(earliestStart=since, latestStart=until)
    request["workflowEventDefId"] = {"name": workflow_event_def}
    page = _page(connect(api_url), "SearchWorkflowEvent", request, limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("WfRun", "WorkflowEventDef", "number")
    for found in page.get("results", []):
        table.add_row(
            str(found["wfRunId"]["id"]),
            str(found["workflowEventDefId"]["name"]),
            str(found.get("number", 0)),
        )
    _print_page(table, page)


def _names(
    api_url: str | None,
    rpc: str,
    kind: str,
    prefix: str | None,
    limit: int,
    bookmark: str | None,
    as_json: bool,
) -> None:
    page = _page(connect(api_url), rpc, _criteria(prefix=prefix), limit, bookmark)
    if as_json:
        print_json(page)
        return
    table = Table(kind)
    for found in page.get("results", []):
        table.add_row(str(found["name"]))
    _print_page(table, page)


def _criteria(**given: str | int | None) -> dict[str, Any]:
    return {k: v for k, v in given.items() if v is not None}


def _page(
    client: Client, rpc: str, request: dict[str, Any], limit: int, bookmark: str | None
) -> dict[str, Any]:
    body = {**request, "limit": limit}
    if bookmark:
        body["bookmark"] = bookmark
    return client.search(rpc, body)


def _print_page(table: Table, page: dict[str, Any]) -> None:
    out.print(table)
    if page.get("bookmark"):
        # One unbroken line, so it can be copied whatever the terminal's width.
        typer.echo(f"more: --bookmark {page['bookmark']}")
