"""cdk-nag's AwsSolutions checks: no unacknowledged finding, and every acknowledgment says why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import aws_sqs as sqs

from infra.config import CanterConfig


@pytest.fixture(scope="module")
def dynamic(synth: Callable[..., list[Any]]) -> Any:
    (synthesized,) = synth(CanterConfig.of(stage="dyn", task_queues=["greet"], dynamic_queues=True))
    return synthesized


@pytest.mark.parametrize("which", ["dev", "dynamic"])
def test_no_unacknowledged_findings(which: str, request: pytest.FixtureRequest) -> None:
    report = request.getfixturevalue(which).nag_report()
    assert report["conclusion"] == "success"
    assert report["violations"] == []


@pytest.mark.parametrize("which", ["dev", "dynamic"])
def test_every_acknowledgment_has_a_reason(which: str, request: pytest.FixtureRequest) -> None:
    suppressed = request.getfixturevalue(which).nag_report()["suppressedViolations"]
    assert suppressed
    for finding in suppressed:
        assert len(finding["reason"]) > 40, finding["acknowledgedId"]


def test_only_the_expected_rules_are_acknowledged(dev: Any) -> None:
    rules = {f["ruleName"].split("[")[0] for f in dev.nag_report()["suppressedViolations"]}
    assert rules == {
        "AwsSolutions-SQS3",
        "AwsSolutions-L1",
        "AwsSolutions-IAM5",
        "AwsSolutions-SMG4",
        "AwsSolutions-S1",
    }


def test_acknowledgments_are_scoped_to_one_finding(dev: Any) -> None:
    for finding in dev.nag_report()["suppressedViolations"]:
        if finding["ruleName"] == "AwsSolutions-IAM5":
            assert "[Resource::" in finding["acknowledgedId"]
        assert finding["acknowledgedAt"] != dev.stack.stack_name


def test_a_new_finding_fails_synthesis(synth: Callable[..., list[Any]]) -> None:
    """Proves the checks bite: a queue without TLS enforcement or a dead-letter queue."""

    def add_careless_queue(stack: Any) -> None:
        sqs.Queue(stack, "Careless", enforce_ssl=False)

    with pytest.raises(RuntimeError, match=r"AwsSolutions-SQS4"):
        synth(CanterConfig.of(stage="bad"), amend=add_careless_queue)
