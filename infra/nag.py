"""The cdk-nag AwsSolutions findings Canter accepts, each with the reason it is right here.

Every acknowledgment names one finding on one construct (cdk-nag v3 has no
blanket suppression), so a new wildcard or a new unencrypted resource still
fails synthesis.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from canter.cdk import TaskFunction
from constructs import IConstruct

from infra.api import Api
from infra.config import CanterConfig
from infra.engine import EngineFunctions
from infra.permissions import dynamic_task_queue_pattern, payload_objects_arn
from infra.queues import Queues
from infra.schedules import Schedules
from infra.storage import Storage

PACK = "AwsSolutions::AwsSolutions"


def suppress_justified_findings(
    *,
    config: CanterConfig,
    engine: EngineFunctions,
    queues: Queues,
    api: Api,
    worker_policy: iam.ManagedPolicy,
    schedules: Schedules,
    storage: Storage,
    task_functions: list[TaskFunction],
) -> None:
    _acknowledge(
        queues.scheduler_failures.queue,
        f"{PACK}-SQS3",
        "This queue is the scheduler's dead-letter destination: the stream event source "
        "sends the batches it gave up on here. A dead-letter queue of a dead-letter queue "
        "would only move the problem; an alarm fires when anything lands here instead.",
    )
    _acknowledge(
        engine.task_token_secret,
        f"{PACK}-SMG4",
        "The task-token secret signs the token of every task attempt in flight; rotating "
        "it would make the reports of all of them be refused, so the tasks would run "
        "again. It never leaves AWS (CloudFormation resolves it into the scheduler's and "
        "the API's environment) and no client ever sees it.",
    )
    for function, role in engine.roles.items():
        _acknowledge(
            function,
            f"{PACK}-L1",
            "The runtime is pinned to the Python version the public Powertools layer is "
            "published for (infra/runtime.py derives the layer name from it); upgrade both "
            "together once the layer version for the newer runtime is chosen.",
        )
        _acknowledge(
            role,
            f"{PACK}-IAM5[Resource::*]",
            "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which "
            "support no resource-level permissions; on the scheduler the stream event source "
            "also needs dynamodb:ListStreams, which likewise accepts only '*'.",
        )
    schedules_pattern = _rendered(schedules.schedules_arn, api)
    _acknowledge(
        engine.roles[engine.api],
        f"{PACK}-IAM5[Resource::{schedules_pattern}]",
        "ScheduleWf creates one EventBridge schedule per ScheduledWfRun, named by its id at "
        "run time, so the names are not known at deploy time; the pattern is limited to "
        "this stage's schedule group and to creating and deleting schedules.",
    )
    _acknowledge(
        storage.payloads,
        f"{PACK}-S1",
        "Only Canter's own functions and task workers reach this bucket, each role with the "
        "least actions on runs/* it needs; server access logs would need a second bucket and "
        "log every value read on each transition. CloudTrail data events can be turned on "
        "for an audit without changing the stack.",
    )
    objects = _rendered(payload_objects_arn(storage), api)
    grantees: list[IConstruct] = [
        engine.roles[engine.scheduler],
        engine.roles[engine.timers],
        engine.roles[engine.api],
        worker_policy,
        *(function.role for function in task_functions),
    ]
    for grantee in grantees:
        _acknowledge(
            grantee,
            f"{PACK}-IAM5[Resource::{objects}]",
            "Payload objects are named at run time by their WfRun and content "
            "(runs/<wfRunId>/<incarnation>/<sha256>); the grant covers that prefix of this "
            "stage's payload bucket only.",
        )
    if config.dynamic_queues:
        pattern = _rendered(dynamic_task_queue_pattern(api, config.stage), api)
        for grantee in (engine.roles[engine.scheduler], engine.roles[engine.api], worker_policy):
            _acknowledge(
                grantee,
                f"{PACK}-IAM5[Resource::{pattern}]",
                "Dynamic task queues are created at run time, so their ARNs are not known at "
                "deploy time; the pattern is limited to this stage's task-queue prefix.",
            )


def _acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))


def _rendered(arn: str, scope: IConstruct) -> str:
    """An ARN as cdk-nag prints it in a finding: references as ``<LogicalId>``."""
    return _render(Stack.of(scope).resolve(arn))


def _render(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} as cdk-nag does")
