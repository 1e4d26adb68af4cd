"""``canter run``: start a WfRun from the shell, and optionally watch it to the end."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, ExitCode, connect, fail, out, print_json
from canter.cli.progress import follow
from canter.cli.values import BadValue, entrypoint_types, parse_assignments
from canter.client import Client


def run(
    wf_spec: Annotated[
        str, typer.Argument(metavar="WFSPEC", help="Name of the WfSpec to run", show_default=False)
    ],
    variables: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME=VALUE]...",
            help="Input variables, parsed by the types the WfSpec declares",
            show_default=False,
        ),
    ] = None,
    wf_run_id: Annotated[
        str | None,
        typer.Option("--id", help="WfRun id; running again with the same id is safe"),
    ] = None,
    major_version: Annotated[
        int | None, typer.Option("--major-version", help="Run this major version (default latest)")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Show the NodeRuns live until the WfRun ends")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option(help="With --wait: give up after this many seconds")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Run a WfSpec.

    Example: canter run greet name=Ada --wait

    With --wait the exit code is 0 when the WfRun COMPLETED and 1 when it
    ended ERROR or EXCEPTION.
    """
    client = connect(api_url)
    spec = client.get_latest_wf_spec(wf_spec, major_version)
    try:
        values = parse_assignments(variables or [], entrypoint_types(spec), wf_spec)
    except BadValue as exc:
        raise typer.BadParameter(str(exc), param_hint="NAME=VALUE") from None
    spec_id = spec.get("id", {})
    # The version whose types parsed the values, even if a newer one lands meanwhile.
    request: dict[str, Any] = {
        "wfSpecName": wf_spec,
        "majorVersion": spec_id.get("majorVersion", 0),
        "revision": spec_id.get("revision", 0),
        "variables": values,
    }
    if wf_run_id is not None:
        request["id"] = wf_run_id
    started = client.call("RunWf", request)
    started_id = str(started["id"]["id"])
    if not wait:
        if as_json:
            print_json(started)
        else:
            out.print(f"WfRun {started_id} started ({render.spec_version(spec_id)})")
        return
    _wait(client, started_id, timeout, as_json)


def _wait(client: Client, wf_run_id: str, timeout: float | None, as_json: bool) -> None:
    try:
        final = (
            client.wait_for_wf_run(wf_run_id, timeout=timeout or float("inf"))
            if as_json
            else follow(client, wf_run_id, timeout)
        )
    except TimeoutError as exc:  # includes StillRunning
        raise fail(str(exc)) from None
    if as_json:
        print_json(final)
    else:
        out.print(render.variables_table(client.list_variables(wf_run_id)))
        out.print(Text.assemble(f"WfRun {wf_run_id} ", render.status(final.get("status"))))
    if final.get("status") != "COMPLETED":
        raise typer.Exit(int(ExitCode.FAILED))
