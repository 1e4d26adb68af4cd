"""One ``canter dev`` and one worker for the CLI tests; the CLI runs in-process.

The stack runs as its own process, as a user runs it: a LocalStack lives
in process-wide state (environment, moto's backends), so an in-process one
here would collide with tests/runtime's in the same pytest run. The stack
and the worker are shared by the whole directory: the tests use fixed
WfSpec names from ``flows.py`` and unique WfRun ids.
"""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from canter import Client
from canter.cli import app
from typer.testing import CliRunner, Result

from tests.runtime.support import worker

from . import flows


class Cli:
    """``canter ...`` in this process, talking to the test stack."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        env = {"CANTER_API_URL": self.api_url, "COLUMNS": "160"}
        return self._runner.invoke(app, list(args), env=env, prog_name="canter")


def rows(output: str) -> list[list[str]]:
    """The cells of every table row in the output, stripped."""
    return [
        [cell.strip() for cell in line.strip().strip("│┃").split("│" if "│" in line else "┃")]
        for line in output.splitlines()
        if line.startswith(("│", "┃"))
    ]


def flat(output: str) -> str:
    """Output without the frame and line breaks of typer's error box, to match messages."""
    return re.sub(r"[\s│╭╮╰╯─]+", " ", output)


@dataclass(frozen=True)
class DevStack:
    api_url: str


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """``canter dev --port 0`` while tests/cli runs; stopped before other directories run."""
    state = str(tmp_path_factory.mktemp("canter-dev"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "canter.cli",
            "dev",
            "--port",
            "0",
            "--in-memory",
            *("--state-dir", state),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield DevStack(_ready_settings(process)["CANTER_API_URL"])
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def _ready_settings(process: subprocess.Popen[str]) -> dict[str, str]:
    """The ``NAME=value`` lines ``canter dev`` prints before ``ready``."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    settings: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while (line := lines.get(timeout=max(deadline - time.monotonic(), 0.1))) != "ready":
        assert line is not None, "canter dev exited before it was ready"
        key, sep, value = line.partition("=")
        if sep:
            settings[key] = value
    return settings


@pytest.fixture(scope="package")
def client(stack: DevStack) -> Client:
    return Client(stack.api_url, timeout=10)


@pytest.fixture(scope="package")
def cli(stack: DevStack) -> Cli:
    return Cli(stack.api_url)


@pytest.fixture(scope="package")
def deployed(cli: Cli, client: Client) -> Iterator[None]:
    """``tests.cli.flows`` deployed through the CLI, with a worker serving its task."""
    result = cli("deploy", "tests.cli.flows")
    assert result.exit_code == 0, result.output
    with worker(client, [flows.greet]):
        yield


@pytest.fixture
def run_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"
