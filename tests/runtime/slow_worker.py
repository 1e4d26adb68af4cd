"""A worker process whose task takes a while, for the tests that stop it mid-task.

Usage: python slow_worker.py API_URL TASK_DEF MARKER_FILE SECONDS. The task
writes MARKER_FILE when it starts, sleeps SECONDS, then returns its input
times 3. The worker holds each message with a 2-second visibility timeout
kept alive by its heartbeat, so once it is killed the message is visible
again within two seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from canter import Client, Worker


def main() -> None:
    api_url, task_def, marker, seconds = sys.argv[1:5]

    def hang(n: int) -> int:
        Path(marker).write_text("started")
        time.sleep(float(seconds))
        return n * 3

    Worker(
        Client(api_url), {task_def: hang}, poll_wait_seconds=1, visibility_timeout_seconds=2
    ).run()


if __name__ == "__main__":
    main()
