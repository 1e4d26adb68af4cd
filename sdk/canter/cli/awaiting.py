"""``canter await workflowEvent``: wait for a WfRun to throw a WorkflowEvent."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, ExitCode, connect, fail, out, print_json
from canter.client import from_value

app = typer.Typer(help="Wait for something a WfRun does.")


@app.command("workflowEvent")
def workflow_event(
    wf_run_id: Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)],
    event_defs: Annotated[
        list[str] | None,
        typer.Argument(help="WorkflowEventDef names to wait for (default: any)"),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds")] = 60.0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """The first WorkflowEvent the WfRun throws (of the named defs), waiting up to --timeout.

    Example: canter await workflowEvent ord-1001 order-shipped --timeout 120
    """
    try:
        event = connect(api_url).await_workflow_event(wf_run_id, event_defs or (), timeout=timeout)
    except TimeoutError as exc:
        raise fail(str(exc), ExitCode.FAILED) from None
    if as_json:
        print_json(event)
        return
    event_id = event["id"]
    content = json.dumps(from_value(event["content"])) if event.get("content") else "no content"
    out.print(
        f"WorkflowEvent {event_id['workflowEventDefId']['name']} #{event_id.get('number', 0)} "
        f"of WfRun {wf_run_id} at {render.when(event.get('createdAt'))}: {content}"
    )
