"""A worker process whose task hangs, for the test that kills it mid-task.

Usage: python slow_worker.py API_URL TASK_DEF MARKER_FILE. It holds each
message with a 2-second visibility timeout kept alive by its heartbeat, so
once it is killed the message is visible again within two seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from canter import Client, Worker


def main() -> None:
    api_url, task_def, marker = sys.argv[1:4]

    def hang(n: int) -> int:
        Path(marker).write_text("started")
        time.sleep(120)
        return -1

    Worker(
        Client(api_url), {task_def: hang}, poll_wait_seconds=1, visibility_timeout_seconds=2
    ).run()


if __name__ == "__main__":
    main()
