"""A worker process whose task takes a while, for the tests that stop it mid-task.

Usage: python slow_worker.py API_URL TASK_DEF MARKER_FILE SECONDS [VISIBILITY].
The task writes MARKER_FILE when it starts, sleeps SECONDS, then returns its
input times 3; with SECONDS ``crash`` the worker process dies on the spot
instead, as a worker does when its host goes away. The worker holds each
message with a VISIBILITY-second visibility timeout (2 by default) kept alive
by its heartbeat, so once it is gone the message is visible again within
that time, and never sooner than that after it was received.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from canter import Client, Worker


def main() -> None:
    api_url, task_def, marker, seconds = sys.argv[1:5]
    visibility = int(sys.argv[5]) if len(sys.argv) > 5 else 2

    def hang(n: int) -> int:
        Path(marker).write_text("started")
        if seconds == "crash":
            os._exit(1)
        time.sleep(float(seconds))
        return n * 3

    Worker(
        Client(api_url),
        {task_def: hang},
        poll_wait_seconds=1,
        visibility_timeout_seconds=visibility,
    ).run()


if __name__ == "__main__":
    main()
