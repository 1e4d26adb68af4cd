"""``canter.testing``: time skipping across sleep, event timeout, backoff and task timeout.

The cases in ``kit_cases.py``, and the example tests in
``examples/testing/`` (the README's among them), use the ``canter_env``
fixture as a user's project does. They run in pytest processes of their own, two at once: the
kit's stack lives in process-wide state, so this also shows two
environments side by side on their own free ports, as under ``pytest -n``.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _plugin_args() -> list[str]:
    """``-p`` for the plugin unless its ``pytest11`` entry point is installed already."""
    installed = any(ep.value == "canter.testing.plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "canter.testing.plugin"]


def test_two_environments_in_parallel_skip_time_in_every_wait() -> None:
    command = [
        sys.executable, "-m", "pytest", *_plugin_args(), "-p", "no:cacheprovider",
        "--rootdir", str(ROOT), str(Path(__file__).with_name("kit_cases.py")),
        str(ROOT / "examples" / "testing"),
    ]  # fmt: skip
    runs = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=240)[0].decode() for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
        assert "13 passed" in output, output
