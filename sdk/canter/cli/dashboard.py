"""``canter dashboard``: the dashboard on localhost for any Canter API, local or deployed."""

from __future__ import annotations

import ipaddress
import signal
import threading
from typing import Annotated

import typer

from canter import discovery
from canter.cli.common import ApiUrl, fail

DEFAULT_PORT = 8790


def dashboard(
    api_url: ApiUrl = None,
    port: Annotated[int, typer.Option(help="Port to serve on (0: any free port)")] = DEFAULT_PORT,
    host: Annotated[
        str, typer.Option(help="Loopback address to serve on; the dashboard never leaves it")
    ] = "127.0.0.1",
) -> None:
    """Serve the dashboard: WfSpecs, WfRuns, definitions and user tasks in the browser.

    Against a deployed API, every call the dashboard makes is SigV4-signed
    with your AWS credentials, as the CLI's are: nothing new is exposed on
    AWS, and the dashboard listens on this machine only. Prints
    ``dashboard: <url>``; Ctrl-C stops it.

    Example: canter dashboard --api-url https://abc123.execute-api.eu-west-1.amazonaws.com
    """
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise fail(
            f"--host {host}: the dashboard acts with your credentials, so it listens on a "
            "loopback address only (127.0.0.1, ::1 or localhost)"
        )
    from canter.dashboard import Dashboard

    target = api_url or discovery.api_url()
    try:
        board = Dashboard(target, host, port)
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port} ({exc}); try --port 0") from None
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    board.start()
    print(f"Canter API: {target}")
    print(f"dashboard: {board.url}", flush=True)
    try:
        stopped.wait()
    finally:
        board.stop()
