"""Synthesis for the infra tests: once per module, with cdk-nag, without bundling.

Bundling is skipped (CDK's own ``aws:cdk:bundling-stacks`` context) because
it pip-installs from PyPI; ``test_assets`` exercises the bundler directly
and ``make synth`` runs it for real. cdk-nag runs as a validation plugin, so
any unacknowledged finding makes synthesis itself fail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.config import CanterConfig
from infra.stack import CanterStack, stack_name

DECLARED_TASK_QUEUES = ("greet", "orders")


@dataclass(frozen=True)
class Synthesized:
    stack: CanterStack
    template: Template
    outdir: Path

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = self.template.find_resources(resource_type)
        return found

    def nag_report(self) -> dict[str, Any]:
        report = json.loads((self.outdir / "validation-report.json").read_text())
        (aws_solutions,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
        return dict(aws_solutions)

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child)


class Synthesizer:
    """All the stages given, side by side in one app, as ``cdk synth`` would build them."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp

    def __call__(
        self, *configs: CanterConfig, amend: Callable[[CanterStack], None] | None = None
    ) -> list[Synthesized]:
        outdir = self._tmp.mktemp("cdk.out")
        app = cdk.App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
        stacks = [CanterStack(app, stack_name(c.stage), config=c) for c in configs]
        for stack in stacks:
            if amend is not None:
                amend(stack)
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
        return [Synthesized(s, Template.from_stack(s), outdir) for s in stacks]


@pytest.fixture(scope="session")
def declared_task_queues() -> tuple[str, ...]:
    return DECLARED_TASK_QUEUES


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesizer:
    return Synthesizer(tmp_path_factory)


@pytest.fixture(scope="module")
def dev(synth: Synthesizer) -> Synthesized:
    (synthesized,) = synth(CanterConfig.of(stage="dev", task_queues=DECLARED_TASK_QUEUES))
    return synthesized
