"""The managed policy users attach to the role their task workers run as.

A worker long-polls its TaskQueue's SQS queue, extends or deletes what it
received, and reports through the API; it needs nothing else, and in
particular no table access: every write goes through the journal via the API.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.permissions import WORKER_QUEUE_ACTIONS


def worker_policy(
    scope: Construct, construct_id: str, *, stage: str, task_queue_arns: list[str], invoke_arn: str
) -> iam.ManagedPolicy:
    statements = [
        iam.PolicyStatement(
            sid="ReportThroughTheApi", actions=["execute-api:Invoke"], resources=[invoke_arn]
        )
    ]
    if task_queue_arns:
        statements.append(
            iam.PolicyStatement(
                sid="ConsumeTaskQueues",
                actions=list(WORKER_QUEUE_ACTIONS),
                resources=task_queue_arns,
            )
        )
    return iam.ManagedPolicy(
        scope,
        construct_id,
        managed_policy_name=f"canter-{stage}-task-worker",
        description=f"Canter task workers of stage {stage}: consume task queues, call the API",
        statements=statements,
    )
