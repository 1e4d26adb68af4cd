"""Stage and queues come from context; two stages deploy side by side without a clash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from infra.config import CanterConfig

NAMED = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::ApiGatewayV2::Api": "Name",
}


@pytest.fixture(scope="module")
def side_by_side(synth: Callable[..., list[Any]]) -> list[Any]:
    return synth(
        CanterConfig.of(stage="dev", task_queues=["greet"]),
        CanterConfig.of(stage="prod", task_queues=["greet"]),
    )


def _physical_names(synthesized: Any) -> set[str]:
    return {
        resource["Properties"][prop]
        for kind, prop in NAMED.items()
        for resource in synthesized.resources(kind).values()
    }


def test_two_stages_share_no_physical_name(side_by_side: list[Any]) -> None:
    dev, prod = side_by_side
    assert dev.stack.stack_name == "canter-dev"
    assert prod.stack.stack_name == "canter-prod"
    dev_names, prod_names = _physical_names(dev), _physical_names(prod)
    # 3 tables, 5 queues (timers and its DLQ, scheduler failures, greet and its DLQ),
    # the five client policies (worker, reader, operator, admin, assignee) and the API.
    assert len(dev_names) == len(prod_names) == 3 + 5 + 5 + 1
    assert dev_names.isdisjoint(prod_names)
    assert all(n.startswith("canter-dev") for n in dev_names)
    assert all(n.startswith("canter-prod") for n in prod_names)


def _config(**context: Any) -> CanterConfig:
    return CanterConfig.from_context(cdk.App(context=context).node)


def test_defaults() -> None:
    assert _config() == CanterConfig(stage="dev", task_queues=(), dynamic_queues=False)


def test_cdk_json_shapes() -> None:
    config = _config(stage="qa", taskQueues=["greet", "orders"], dynamicQueues=True)
    assert config == CanterConfig(stage="qa", task_queues=("greet", "orders"), dynamic_queues=True)


def test_command_line_shapes() -> None:
    # `-c key=value` always arrives as a string.
    config = _config(stage="qa", taskQueues="greet, orders", dynamicQueues="true")
    assert config == CanterConfig(stage="qa", task_queues=("greet", "orders"), dynamic_queues=True)
    assert _config(dynamicQueues="false").dynamic_queues is False


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"stage": "Prod"}, "stage 'Prod'"),
        ({"stage": "a" * 21}, "at most 20"),
        ({"taskQueues": ["bad name"]}, "task queue name 'bad name'"),
        ({"taskQueues": ["greet", "greet"]}, "more than once"),
        ({"taskQueues": {"greet": 1}}, "list of names"),
        ({"dynamicQueues": "yes"}, "true or false"),
    ],
)
def test_bad_context_is_refused_with_a_clear_message(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _config(**context)
