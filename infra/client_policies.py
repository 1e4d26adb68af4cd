"""The managed policies users attach to the roles that call Canter, one per caller role.

Each policy allows exactly the rpcs that :data:`canter_engine.handlers.routes.ROUTES`
gives its role, each by its own execute-api ARN (one API Gateway route per
rpc). The task-worker policy also consumes the task queues and reads the
ScheduledTasks sent by reference from the payload bucket; no policy grants
table access or any write to the bucket: every write goes through the
journal via the API.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_iam as iam
from canter_engine.handlers.routes import ROLES, Role, rpcs_of
from constructs import Construct

from infra.api import Api
from infra.permissions import PAYLOAD_READ_ACTIONS, WORKER_QUEUE_ACTIONS

POLICY_NAMES: Mapping[Role, str] = {
    "worker": "task-worker",
    "reader": "reader",
    "operator": "operator",
    "admin": "admin",
    "assignee": "assignee",
}
PURPOSES: Mapping[Role, str] = {
    "worker": "task workers: consume the task queues, report attempts, look up TaskDefs",
    "reader": "readers: get, list and search definitions and WfRuns",
    "operator": "operators: run, signal, stop, resume and delete WfRuns",
    "admin": "admins: register definitions (TaskDefs, ExternalEventDefs, WfSpecs)",
    "assignee": "people's apps: claim, save, complete, cancel and comment user tasks",
}


def client_policies(
    scope: Construct, *, stage: str, api: Api, task_queue_arns: list[str], payload_objects: str
) -> dict[Role, iam.ManagedPolicy]:
    return {
        role: _policy(
            scope,
            role,
            stage,
            api,
            task_queue_arns if role == "worker" else [],
            payload_objects if role == "worker" else None,
        )
        for role in ROLES
    }


def _policy(
    scope: Construct,
    role: Role,
    stage: str,
    api: Api,
    queue_arns: list[str],
    payload_objects: str | None,
) -> iam.ManagedPolicy:
    statements = [
        iam.PolicyStatement(
            sid="CallItsRpcs",
            actions=["execute-api:Invoke"],
            resources=[api.invoke_arn(rpc) for rpc in rpcs_of(role)],
        )
    ]
    if queue_arns:
        statements.append(
            iam.PolicyStatement(
                sid="ConsumeTaskQueues", actions=list(WORKER_QUEUE_ACTIONS), resources=queue_arns
            )
        )
    if payload_objects is not None:
        statements.append(
            iam.PolicyStatement(
                sid="ReadLargeScheduledTasks",
                actions=list(PAYLOAD_READ_ACTIONS),
                resources=[payload_objects],
            )
        )
    name = POLICY_NAMES[role]
    return iam.ManagedPolicy(
        scope,
        f"{name.title().replace('-', '')}Policy",
        managed_policy_name=f"canter-{stage}-{name}",
        description=f"Canter stage {stage}, {PURPOSES[role]}",
        statements=statements,
    )
