"""The base install: SDK, worker and CLI work without the engine, moto, CDK or dev tools.

A process where those packages cannot be imported stands in for a project
that ran a plain ``pip install canter`` (pydantic is not blocked: typer
itself needs it); pyproject's base dependencies are
checked to be the ones that process needed.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXTRAS_ONLY = (
    "aws_lambda_powertools", "jsonpath_ng", "moto", "aws_cdk", "constructs",
    "cdk_nag", "mypy", "matplotlib", "littlehorse", "hypothesis", "jinja2", "selenium",
)  # fmt: skip

BLOCKED_RUN = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRAS_ONLY!r}:
            raise ImportError("not installed: " + name)
sys.meta_path.insert(0, Block())
import canter, canter.worker, canter.cli
from canter import Workflow, Worker, Client, task
from canter.cli import app
from typer.testing import CliRunner
result = CliRunner().invoke(app, ["--help"])
assert result.exit_code == 0, result.output
result = CliRunner().invoke(app, ["get", "wfRun", "x", "--api-url", "http://127.0.0.1:9"])
assert result.exit_code == 4, result.output
print("ok")
"""


def test_the_sdk_worker_and_cli_need_no_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN], capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_base_dependencies_leave_the_heavy_ones_to_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    for heavy in ("aws-cdk", "mypy", "matplotlib", "moto", "littlehorse", "powertools"):
        assert heavy not in base
    extras = project["optional-dependencies"]
    assert {"engine", "local", "infra", "dev", "dashboard"} <= set(extras)
    assert any(d.startswith("moto") for d in extras["local"])
    assert "canter[local,infra]" in extras["dev"]
    assert project["entry-points"]["pytest11"] == {"canter": "canter.testing.plugin"}
