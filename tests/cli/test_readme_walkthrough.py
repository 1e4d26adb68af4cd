"""The README's "Your first workflow", run as written against the local stack.

The README shows files by copy (``<!-- include: path -->`` before a code
block) and the walkthrough's commands and outputs under markers; these tests
fail as soon as the page and the code drift apart.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .conftest import Cli, DevStack

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
WALKTHROUGH_DIR = ROOT / "examples" / "first_workflow"


def block_after(marker: str) -> str:
    """The fenced block right after an HTML comment marker."""
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```[a-z]*\n(.*?)```", README, re.S)
    assert match, f"README has no code block after <!-- {marker} -->"
    return match.group(1)


def included_paths() -> list[str]:
    return re.findall(r"<!-- include: (\S+) -->", README)


def test_readme_shows_every_example_file_exactly() -> None:
    paths = included_paths()
    expected = {
        "examples/first_workflow/tasks.py",
        "examples/first_workflow/workflow.py",
        "examples/testing/test_reminder.py",
    } | {
        str(path.relative_to(ROOT))
        for path in (ROOT / "examples" / "concepts").glob("*.py")
        if path.name != "__init__.py"
    }
    assert set(paths) == expected
    for path in paths:
        assert block_after(f"include: {path}") == (ROOT / path).read_text(), (
            f"README's copy of {path} differs from the file: copy the file into the README"
        )


def _wait_until_polling(process: subprocess.Popen[str], task_defs: tuple[str, ...]) -> None:
    """Read the worker's log until it polls every queue, as a person would watch it start."""
    assert process.stderr is not None
    waiting = set(task_defs)
    for line in process.stderr:
        waiting -= {name for name in waiting if line.rstrip().endswith(f" for {name}")}
        if not waiting:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return
    raise AssertionError(f"the worker exited before polling for {sorted(waiting)}")


def _normalised(output: str) -> str:
    output = re.sub(r"WfRun [0-9a-f]{32}", "WfRun <id>", output)
    return re.sub(r"started [0-9: -]+, ended [0-9: -]+", "started <t>, ended <t>", output)


def test_walkthrough_commands_give_the_outputs_shown(
    cli: Cli, stack: DevStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = [
        shlex.split(line.partition("#")[0])
        for line in block_after("walkthrough").splitlines()
        if line.strip()
    ]
    assert [command[:2] for command in commands] == [
        ["canter", "dev"],
        ["canter", "deploy"],
        ["canter", "worker"],
        ["canter", "run"],
    ], "the walkthrough's steps changed: update this test's runner too"
    dev, deploy, worker, run = (command[1:] for command in commands)
    assert dev == ["dev"]  # the stack the fixture started stands in for it
    monkeypatch.chdir(WALKTHROUGH_DIR)

    deployed = cli(*deploy)
    assert deployed.exit_code == 0, deployed.output
    assert deployed.output == block_after("walkthrough-deploy-output")

    process = subprocess.Popen(
        [Path(sys.executable).parent / "canter", *worker, "--api-url", stack.api_url],
        cwd=WALKTHROUGH_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_polling(process, ("greet", "shout"))
        ran = cli(*run, "--timeout", "30")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    assert ran.exit_code == 0, ran.output
    assert _normalised(ran.output) == _normalised(block_after("walkthrough-output"))
