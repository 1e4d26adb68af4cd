"""``lambdaTasks`` in cdk.json: Canter's own stack deploys Lambda-backed task functions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infra.config import CanterConfig, LambdaTasks


def test_a_declared_queue_gets_a_task_function_fed_by_it(
    synth: Callable[..., list[Any]], tmp_path: Path
) -> None:
    (tmp_path / "tasks.py").write_text("handler = None\n")
    config = CanterConfig.of(
        stage="lt",
        task_queues=["orders"],
        lambda_tasks={"orders": {"code": str(tmp_path), "handler": "tasks.handler"}},
    )
    assert config.lambda_tasks == (LambdaTasks("orders", str(tmp_path), "tasks.handler"),)
    (synthesized,) = synth(config)
    assert synthesized.nag_report()["violations"] == []
    queue = synthesized.logical_id(synthesized.stack.queues.task_queues["orders"].queue)
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue, "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )
    synthesized.template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": "tasks.handler", "Architectures": ["arm64"]}
    )


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"nope": {"code": "d", "handler": "m.h"}}, "not a declared task queue"),
        ({"orders": {"code": "d"}}, "lambdaTasks.orders must be"),
        ({"orders": {"code": "d", "handler": "nodot"}}, "lambdaTasks.orders must be"),
        (["orders"], "must map a task queue"),
    ],
)
def test_a_malformed_lambda_tasks_entry_is_refused_with_what_is_wrong(
    raw: Any, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        CanterConfig.of(task_queues=["orders"], lambda_tasks=raw)
