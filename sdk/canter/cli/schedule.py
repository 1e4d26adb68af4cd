"""``canter schedule create|get|search|delete``: WfRuns started on a cron schedule."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from canter.cli.common import ApiUrl, AsJson, connect, out, print_json
from canter.cli.values import BadValue, entrypoint_types, parse_assignments

app = typer.Typer(help="Run a WfSpec on a cron schedule (LittleHorse's ScheduledWfRun).")

ScheduleId = Annotated[str, typer.Argument(help="The ScheduledWfRun's id", show_default=False)]


@app.command("create")
def create(
    wf_spec: Annotated[str, typer.Argument(metavar="WFSPEC", help="Name of the WfSpec to run")],
    cron: Annotated[
        str,
        typer.Argument(
            metavar="CRON", help="UNIX cron, UTC: 'minute hour day month weekday', e.g. '0 9 * * 1'"
        ),
    ],
    variables: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME=VALUE]...",
            help="Input variables of every run, parsed by the types the WfSpec declares",
            show_default=False,
        ),
    ] = None,
    schedule_id: Annotated[
        str | None, typer.Option("--id", help="ScheduledWfRun id; creating it again is safe")
    ] = None,
    major_version: Annotated[
        int | None, typer.Option("--major-version", help="Run this major version (default latest)")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Start a WfRun of WFSPEC at every time CRON names.

    Example: canter schedule create nightly-report '0 2 * * *' region=eu --id nightly
    """
    client = connect(api_url)
    spec = client.get_latest_wf_spec(wf_spec, major_version)
    try:
        values = parse_assignments(variables or [], entrypoint_types(spec), wf_spec)
    except BadValue as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME=VALUE") from None
    request: dict[str, Any] = {"wfSpecName": wf_spec, "cronExpression": cron}
    if values:
        request["variables"] = values
    if schedule_id is not None:
        request["id"] = schedule_id
    if major_version is not None:
        request["majorVersion"] = major_version
    scheduled = client.call("ScheduleWf", request)
    if as_json:
        print_json(scheduled)
        return
    out.print(f"ScheduledWfRun {scheduled['id']['id']}: {wf_spec} at '{cron}' (UTC)")


@app.command("get")
def get(schedule_id: ScheduleId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """Show one ScheduledWfRun.

    Example: canter schedule get nightly
    """
    scheduled = connect(api_url).get_scheduled_wf_run(schedule_id)
    if as_json:
        print_json(scheduled)
        return
    spec = scheduled["wfSpecId"]
    version = f"v{spec.get('majorVersion', 0)}.{spec.get('revision', 0)}"
    out.print(
        f"ScheduledWfRun {schedule_id}: {spec['name']} {version} at "
        f"'{scheduled['cronExpression']}' (UTC), created {scheduled.get('createdAt', '')}"
    )


@app.command("search")
def search(
    wf_spec: Annotated[str, typer.Argument(metavar="WFSPEC", help="Name of the WfSpec")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """List the ScheduledWfRuns of a WfSpec, one id per line.

    Example: canter schedule search nightly-report
    """
    ids = connect(api_url).search_scheduled_wf_run(wf_spec)
    if as_json:
        print_json({"results": [{"id": one} for one in ids]})
        return
    for one in ids:
        out.print(one)


@app.command("delete")
def delete(schedule_id: ScheduleId, api_url: ApiUrl = None) -> None:
    """Stop a schedule: no WfRun starts from it after this returns.

    Example: canter schedule delete nightly
    """
    connect(api_url).delete_scheduled_wf_run(schedule_id)
    out.print(f"ScheduledWfRun {schedule_id} deleted")
