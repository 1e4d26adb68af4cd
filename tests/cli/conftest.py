"""One local stack and one worker for the CLI tests; the CLI runs in-process.

The stack and the worker are shared by the whole directory: the tests use
fixed WfSpec names from ``flows.py`` and unique WfRun ids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from canter import Client
from canter.cli import app
from canter.local import LocalStack
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


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(port=0).start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def client(stack: LocalStack) -> Client:
    return Client(stack.api_url, timeout=10)


@pytest.fixture(scope="session")
def cli(stack: LocalStack) -> Cli:
    return Cli(stack.api_url)


@pytest.fixture(scope="session")
def deployed(cli: Cli, client: Client) -> Iterator[None]:
    """``tests.cli.flows`` deployed through the CLI, with a worker serving its task."""
    result = cli("deploy", "tests.cli.flows")
    assert result.exit_code == 0, result.output
    with worker(client, [flows.greet]):
        yield


@pytest.fixture
def run_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"
