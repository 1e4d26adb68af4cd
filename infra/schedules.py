"""EventBridge Scheduler for ScheduledWfRuns: the stage's schedule group and
the role its schedules invoke the ScheduledRuns function with.

The API creates and deletes one schedule per ScheduledWfRun in the group
(canter_engine.store.eventbridge_schedules); each schedule assumes the
execution role, which may invoke the ScheduledRuns function and nothing
else, and only EventBridge Scheduler acting for this account may assume it.
The API may manage schedules in this group only, and pass only this role,
only to EventBridge Scheduler.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from canter_engine import resources as r
from constructs import Construct

# What the API does with schedules: ScheduleWf creates, DeleteScheduledWfRun deletes.
API_SCHEDULE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:DeleteSchedule")
SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


class Schedules(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: str, target: lambda_.Function
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.group_name = r.schedule_group(stage)
        self.group = scheduler.CfnScheduleGroup(self, "Group", name=self.group_name)
        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL,
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="Canter ScheduledWfRuns: EventBridge Scheduler invokes ScheduledRuns",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[target.function_arn])
        )
        self.target = target
        # Schedules are named at run time (one per ScheduledWfRun id), in this group only.
        self.schedules_arn = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def environment(self) -> dict[str, str]:
        """What the API needs to create a schedule: the group, the target and the role."""
        return {
            r.ENV_SCHEDULE_GROUP: self.group_name,
            r.ENV_SCHEDULE_TARGET_ARN: self.target.function_arn,
            r.ENV_SCHEDULE_ROLE_ARN: self.role.role_arn,
        }

    def grant_manage(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(API_SCHEDULE_ACTIONS), resources=[self.schedules_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )
