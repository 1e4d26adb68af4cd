"""The live view ``canter run --wait`` shows: the WfRun's tree, redrawn as NodeRuns move.

On a terminal the tree is redrawn in place; piped or captured, only the
final tree is printed, so logs and tests see one stable picture.
"""

from __future__ import annotations

import time
from typing import Any

from rich.live import Live

from canter.cli import render
from canter.cli.common import err, out
from canter.cli.queue_hint import waiting_tasks
from canter.client import FINAL_STATUSES, Client

POLL_SECONDS = 0.2
# How often the wait looks for tasks no worker has reported on.
HINT_CHECK_SECONDS = 2.0


class StillRunning(TimeoutError):
    """The WfRun had not ended when ``--timeout`` ran out."""


def follow(client: Client, wf_run_id: str, timeout: float | None) -> dict[str, Any]:
    """Redraw the WfRun until it ends; return its final state."""
    try:
        return _redraw(client, wf_run_id, timeout)
    finally:
        if not out.is_terminal:
            out.line()  # Live ends its one final print without a newline when not on a terminal


def _redraw(client: Client, wf_run_id: str, timeout: float | None) -> dict[str, Any]:
    deadline = None if timeout is None else time.monotonic() + timeout
    next_check = time.monotonic() + HINT_CHECK_SECONDS
    hinted: set[str] = set()
    with Live(console=out, auto_refresh=False) as live:
        while True:
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + HINT_CHECK_SECONDS
                for line in waiting_tasks(client, wf_run_id):
                    guid = line.split(" ", 2)[1]
                    if guid not in hinted:
                        hinted.add(guid)
                        err.print(f"canter: {line}")
            # The status first, then the NodeRuns: the listing is never older than the status.
            wf_run = client.get_wf_run(wf_run_id)
            nodes = client.list_node_runs(wf_run_id)
            task_runs = render.by_guid(client.list_task_runs(wf_run_id))
            live.update(render.wf_run_view(wf_run, nodes, task_runs), refresh=True)
            if wf_run.get("status") in FINAL_STATUSES:
                return wf_run
            if deadline is not None and time.monotonic() > deadline:
                raise StillRunning(
                    f"WfRun {wf_run_id} is still {wf_run.get('status', 'STARTING')} "
                    f"after {timeout:g} s"
                )
            time.sleep(POLL_SECONDS)
