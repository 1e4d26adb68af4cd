"""``canter rescue``: run a failed thread's failed node again, or skip it."""

from __future__ import annotations

from typing import Annotated

import typer

from canter.cli.common import ApiUrl, connect, out

WfRunId = Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)]


def rescue(
    wf_run_id: WfRunId,
    thread: Annotated[
        int, typer.Option("--thread", help="The failed ThreadRun's number (0: the entrypoint)")
    ] = 0,
    skip: Annotated[
        bool,
        typer.Option(
            "--skip", help="Skip the failed node and go on along its edges instead of rerunning it"
        ),
    ] = False,
    api_url: ApiUrl = None,
) -> None:
    """Rescue a ThreadRun in ERROR once its cause is fixed (LittleHorse's RescueThreadRun).

    Example: canter rescue ord-1001 --thread 0
    """
    connect(api_url).rescue_thread_run(wf_run_id, thread, skip_current_node=skip)
    what = "skipping its failed node" if skip else "running its failed node again"
    out.print(f"WfRun {wf_run_id} thread {thread}: rescue requested ({what})")
