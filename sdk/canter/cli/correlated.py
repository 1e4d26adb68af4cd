"""``canter correlated``: events posted by key rather than by WfRun id.

A CorrelatedEvent reaches every WfRun whose ``wait_for_event(...,
correlation_id=...)`` waits on its key, whether the WfRun waits already or
gets there later.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from canter.cli.common import ApiUrl, AsJson, connect, out, print_json
from canter.cli.control import json_content
from canter.client import from_value

app = typer.Typer(help="CorrelatedEvents: post, read, find and withdraw events by key.")

Key = Annotated[str, typer.Argument(help="The correlation key", show_default=False)]
EventDef = Annotated[str, typer.Argument(help="Name of the ExternalEventDef")]


@app.command("put")
def put(
    key: Key,
    external_event_def: EventDef,
    content: Annotated[
        str | None, typer.Argument(help="The content as JSON: 42, true, '\"text\"', '{\"a\": 1}'")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Post an event by key; the WfRuns waiting on that key take it.

    Example: canter correlated put doc-17 document-signed '{"by": "ann"}'
    """
    put_answer = connect(api_url).put_correlated_event(
        key, external_event_def, json_content(content)
    )
    if as_json:
        print_json(put_answer)
        return
    runs = [e["wfRunId"]["id"] for e in put_answer.get("externalEvents", [])]
    reached = f"reached WfRun {', '.join(runs)}" if runs else "no WfRun waits on it yet"
    out.print(f"CorrelatedEvent {external_event_def} {key}: {reached}")


@app.command("get")
def get(key: Key, external_event_def: EventDef, api_url: ApiUrl = None) -> None:
    """Show a CorrelatedEvent (as JSON) and the ExternalEvents it became.

    Example: canter correlated get doc-17 document-signed
    """
    print_json(connect(api_url).get_correlated_event(key, external_event_def))


@app.command("delete")
def delete(key: Key, external_event_def: EventDef, api_url: ApiUrl = None) -> None:
    """Withdraw a CorrelatedEvent: WfRuns that wait on its key later do not get it.

    Example: canter correlated delete doc-17 document-signed
    """
    connect(api_url).delete_correlated_event(key, external_event_def)
    out.print(f"CorrelatedEvent {external_event_def} {key} deleted")


@app.command("search")
def search(
    external_event_def: EventDef,
    orphans: Annotated[
        bool | None,
        typer.Option(
            "--orphans/--correlated",
            help="Only events no WfRun took yet / only events some WfRun took",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """List an ExternalEventDef's CorrelatedEvents, newest first.

    Example: canter correlated search document-signed --orphans
    """
    client = connect(api_url)
    has = None if orphans is None else not orphans
    found = client.search_correlated_event(external_event_def, has_external_events=has)
    if as_json:
        print_json(found)
        return
    table = Table("key", "content", "WfRuns")
    for ident in found:
        event = client.get_correlated_event(ident["key"], external_event_def)
        content = json.dumps(from_value(event["content"])) if event.get("content") else ""
        runs = ", ".join(e["wfRunId"]["id"] for e in event.get("externalEvents", []))
        table.add_row(ident["key"], content, runs)
    out.print(table)
