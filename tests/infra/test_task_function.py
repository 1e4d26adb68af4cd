"""``canter.cdk.TaskFunction``: a user's Lambda-backed task functions in their own CDK app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template
from canter.cdk import TaskFunction
from cdk_nag import AwsSolutionsChecks

QUEUE_ARN = "arn:aws:sqs:eu-west-1:111122223333:canter-prod-task-orders"
API_ID = "abc123"


def synth(tmp_path: Path, **options: Any) -> tuple[Template, list[dict[str, Any]]]:
    """The user's stack with one TaskFunction, and the validation plugins' reports.

    cdk-nag runs as a validation plugin: a finding nobody acknowledged makes
    ``app.synth()`` itself fail (``tests/infra/test_nag.py`` shows it bites).
    """
    (tmp_path / "code").mkdir(exist_ok=True)
    (tmp_path / "code" / "tasks.py").write_text("handler = None\n")
    outdir = tmp_path / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, "UserTasks", env=cdk.Environment(account="111122223333", region="eu-west-1")
    )
    TaskFunction(
        stack,
        "Orders",
        code=lambda_.Code.from_asset(str(tmp_path / "code")),
        handler="tasks.handler",
        queue=sqs.Queue.from_queue_arn(stack, "OrdersQueue", QUEUE_ARN),
        api_id=API_ID,
        api_url=f"https://{API_ID}.execute-api.eu-west-1.amazonaws.com",
        **options,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    return Template.from_stack(stack), list(report["pluginReports"])


def test_the_function_is_arm64_python_312_with_the_api_url(tmp_path: Path) -> None:
    template, _ = synth(tmp_path, memory_size=256)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.12",
            "Architectures": ["arm64"],
            "Handler": "tasks.handler",
            "MemorySize": 256,
            "Timeout": 30,
            "Environment": {
                "Variables": {
                    "CANTER_API_URL": f"https://{API_ID}.execute-api.eu-west-1.amazonaws.com",
                    "CANTER_TASK_QUEUE_MAX_RECEIVES": "10",
                }
            },
        },
    )


def test_the_queue_feeds_it_in_batches_reporting_item_failures(tmp_path: Path) -> None:
    template, _ = synth(tmp_path, batch_size=5, max_batching_window=cdk.Duration.seconds(2))
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": QUEUE_ARN,
            "BatchSize": 5,
            "MaximumBatchingWindowInSeconds": 2,
            "ScalingConfig": {"MaximumConcurrency": 10},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        },
    )


def test_its_role_may_consume_its_queue_and_report_nothing_else(tmp_path: Path) -> None:
    template, _ = synth(tmp_path)
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [
        s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    by_sid = {s.get("Sid"): s for s in statements}
    assert by_sid["ConsumeItsTaskQueue"]["Action"] == [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ]
    assert by_sid["ConsumeItsTaskQueue"]["Resource"] == QUEUE_ARN
    report = by_sid["ReportAttempts"]
    assert report["Action"] == "execute-api:Invoke"
    assert report["Resource"] == [
        {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    f":execute-api:eu-west-1:111122223333:{API_ID}/$default/POST/{rpc}",
                ],
            ]
        }
        for rpc in ("ReportTask", "ReportTasks")
    ]
    others = [
        s for s in statements if s.get("Sid") not in ("ConsumeItsTaskQueue", "ReportAttempts")
    ]
    assert {
        a for s in others for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    } <= {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    template.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})


def test_cdk_nag_finds_nothing_unacknowledged(tmp_path: Path) -> None:
    _, reports = synth(tmp_path)
    assert all(r["conclusion"] == "success" and r["violations"] == [] for r in reports)


def test_a_timeout_longer_than_the_queue_visibility_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="visibility timeout"):
        synth(tmp_path, timeout=cdk.Duration.seconds(60))
