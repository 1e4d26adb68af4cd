"""Where the CLI connects, what it says when it cannot, and the real console script."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from canter.cli import app
from typer.testing import CliRunner

from .conftest import Cli, DevStack

pytestmark = pytest.mark.e2e


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "args",
    [("get", "wfRun", "x"), ("run", "anything", "--wait"), ("deploy", "tests.cli.flows")],
)
def test_an_unreachable_api_exits_4_with_one_line(args: tuple[str, ...]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    result = CliRunner().invoke(app, [*args, "--api-url", url])
    assert result.exit_code == 4
    assert result.output.startswith(f"canter: UNAVAILABLE: cannot reach the Canter API at {url}")
    assert result.output.count("\n") == 1


def test_api_url_comes_from_the_environment(cli: Cli, stack: DevStack) -> None:
    result = CliRunner().invoke(
        app, ["get", "wfSpec", "cli-nothing"], env={"CANTER_API_URL": stack.api_url}
    )
    assert result.exit_code == 3  # the stack answered: NOT_FOUND, not UNAVAILABLE


DEFINITIONS = ("wfSpec", "taskDef", "externalEventDef", "workflowEventDef")


def test_every_command_has_help_with_an_example() -> None:
    commands = [
        ["dev"], ["deploy"], ["run"], ["stop"], ["resume"], ["delete"], ["worker"],
        ["post", "event"],
        *(["get", kind] for kind in ("wfRun", "nodeRun", "taskRun", "variable", "wfSpec")),
        ["get", "taskDef"], ["get", "externalEventDef"],
        *(["list", kind] for kind in ("nodeRun", "variable", "externalEvent", "taskRun")),
        ["list", "workflowEvent"], ["await", "workflowEvent"],
        *(["search", kind] for kind in DEFINITIONS), ["search", "wfRun"],
        *(["delete", kind] for kind in DEFINITIONS), ["delete", "wfRun"],
    ]  # fmt: skip
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, command
        assert f"Example: canter {' '.join(command)}" in result.output, command


def test_the_console_script_runs_and_documents_its_exit_codes(
    stack: DevStack, deployed: None
) -> None:
    canter = Path(sys.executable).parent / "canter"
    helped = subprocess.run([canter, "--help"], capture_output=True, text=True, check=True)
    assert "Exit codes: 0 ok; 1" in helped.stdout
    shown = subprocess.run(
        [canter, "get", "taskDef", "cli-greet", "--json", "--api-url", stack.api_url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == {"name": "cli-greet"}
    missing = subprocess.run(
        [canter, "get", "wfRun", "cli-no-such-run", "--api-url", stack.api_url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (missing.returncode, missing.stdout) == (3, "")
    assert missing.stderr == "canter: NOT_FOUND: WfRun 'cli-no-such-run' does not exist\n"
