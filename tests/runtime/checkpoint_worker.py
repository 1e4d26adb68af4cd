"""A worker process that saves a task's first step and dies before the second.

Usage: python checkpoint_worker.py API_URL TASK_DEF MARKER_FILE. The task
checkpoints "first step" (writing MARKER_FILE once it is saved) and then the
process dies on the spot, as a worker does when its host goes away. Its
messages use a 2-second visibility timeout, so the attempt is soon visible
again to another worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from canter import Client, Worker, WorkerContext


def main() -> None:
    api_url, task_def, marker = sys.argv[1:4]

    def steps(ctx: WorkerContext) -> str:
        ctx.execute_and_checkpoint(lambda _: "first step")
        Path(marker).write_text("saved")
        os._exit(1)

    worker = Worker(
        Client(api_url), {task_def: steps}, poll_wait_seconds=1, visibility_timeout_seconds=2
    )
    worker.run()


if __name__ == "__main__":
    main()
