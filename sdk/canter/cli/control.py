"""Commands that change a WfRun: post an event, stop, resume."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from canter.cli.common import ApiUrl, AsJson, connect, fail, out, print_json
from canter.client import FINAL_STATUSES, NotFound, from_value

post_app = typer.Typer(help="Send something to a WfRun.")

WfRunId = Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)]
Thread = Annotated[
    int | None,
    typer.Option("--thread", help="ThreadRun number (default: all threads)", show_default=False),
]


@post_app.command("event")
def event(
    wf_run_id: WfRunId,
    external_event_def: Annotated[str, typer.Argument(help="Name of the ExternalEventDef")],
    content: Annotated[
        str | None, typer.Argument(help="The content as JSON: 42, true, '\"text\"', '{\"a\": 1}'")
    ] = None,
    guid: Annotated[
        str | None, typer.Option(help="Idempotency key: posting again with it records one event")
    ] = None,
    thread: Annotated[
        int | None, typer.Option("--thread", help="Only this ThreadRun may take the event")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Post an ExternalEvent to a WfRun (one not started yet takes it when it starts).

    Example: canter post event ord-1001 payment-received '{"method": "card"}' --guid pay-1
    """
    value = json_content(content)
    client = connect(api_url)
    posted = client.put_external_event(
        wf_run_id, external_event_def, value, guid=guid, thread_run_number=thread
    )
    if as_json:
        print_json(posted)
        return
    recorded_guid = posted.get("id", {}).get("guid", guid or "")
    shown = json.dumps(from_value(posted["content"])) if posted.get("content") else "no content"
    out.print(f"ExternalEvent {external_event_def} {recorded_guid} -> WfRun {wf_run_id}: {shown}")
    try:
        client.get_wf_run(wf_run_id)
    except NotFound:
        out.print(
            f"WfRun {wf_run_id} does not exist yet: the event waits for the WfRun started "
            f"with this id (canter run <wfSpec> --id {wf_run_id})"
        )


def stop(wf_run_id: WfRunId, thread: Thread = None, api_url: ApiUrl = None) -> None:
    """Halt a WfRun (or one thread); a running task attempt finishes first.

    Example: canter stop ord-1001
    """
    client = connect(api_url)
    _refuse_no_op_stop(client.get_wf_run(wf_run_id), thread)
    client.stop_wf_run(wf_run_id, thread)
    out.print(f"WfRun {wf_run_id}{_which(thread)}: stop requested (HALTING, then HALTED)")


def resume(wf_run_id: WfRunId, thread: Thread = None, api_url: ApiUrl = None) -> None:
    """Resume what `canter stop` halted.

    Example: canter resume ord-1001
    """
    connect(api_url).resume_wf_run(wf_run_id, thread)
    out.print(f"WfRun {wf_run_id}{_which(thread)}: resume requested")


def json_content(content: str | None) -> Any:
    if content is None:
        return None
    try:
        return json.loads(content)
    except ValueError:
        raise typer.BadParameter(
            f"{content!r} is not JSON; quote text as JSON, e.g. '\"{content}\"'",
            param_hint="CONTENT",
        ) from None


def _refuse_no_op_stop(wf_run: dict[str, Any], thread: int | None) -> None:
    """A stop that would change nothing is an error, not "stop requested"."""
    status = wf_run.get("status", "STARTING")
    wf_run_id = wf_run["id"]["id"]
    if status in FINAL_STATUSES:
        raise fail(
            f"WfRun {wf_run_id} is {status}: there is nothing to stop "
            f"(canter delete {wf_run_id} removes it)"
        )
    numbers = sorted(int(t.get("number", 0)) for t in wf_run.get("threadRuns", []))
    if thread is not None and thread not in numbers:
        raise fail(
            f"WfRun {wf_run_id} has no thread {thread}; its threads are "
            f"{', '.join(map(str, numbers)) or 'not started yet'} "
            f"(canter get wfRun {wf_run_id} shows them)"
        )


def _which(thread: int | None) -> str:
    return "" if thread is None else f" thread {thread}"
