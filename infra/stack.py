"""One Canter deployment: everything a stage needs, named so stages sit side by side."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from canter.cdk import TaskFunction
from constructs import Construct

from infra.alarms import Alarms
from infra.api import Api
from infra.client_policies import POLICY_NAMES, PURPOSES, client_policies
from infra.config import CanterConfig
from infra.engine import EngineFunctions
from infra.nag import suppress_justified_findings
from infra.permissions import grant_engine_permissions, payload_objects_arn, task_queue_arns
from infra.queues import Queues
from infra.schedules import Schedules
from infra.status_events import StatusEvents
from infra.storage import Storage


def stack_name(stage: str) -> str:
    return f"canter-{stage}"


class CanterStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: CanterConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.storage = Storage(self, "Storage", stage=config.stage)
        self.queues = Queues(self, "Queues", stage=config.stage, task_queues=config.task_queues)
        self.engine = EngineFunctions(
            self, "Engine", config=config, storage=self.storage, queues=self.queues
        )
        grant_engine_permissions(self.engine, config, self.storage, self.queues)
        self.schedules = Schedules(
            self, "Schedules", stage=config.stage, target=self.engine.scheduled_runs
        )
        for name, value in self.schedules.environment().items():
            self.engine.api.add_environment(name, value)
        self.schedules.grant_manage(self.engine.api)
        self.status_events = (
            StatusEvents(
                self,
                "StatusEvents",
                stage=config.stage,
                wf_specs=config.status_events,
                publisher=self.engine.scheduler,
            )
            if config.status_events
            else None
        )
        self.api = Api(
            self,
            "Api",
            stage=config.stage,
            handler=self.engine.api,
            rate_per_second=config.api_rate_per_second,
            burst=config.api_burst,
        )
        self.client_policies = client_policies(
            self,
            stage=config.stage,
            api=self.api,
            task_queue_arns=task_queue_arns(self, config, self.queues),
            payload_objects=payload_objects_arn(self.storage),
        )
        self.task_functions = {
            tasks.queue: TaskFunction(
                self,
                f"{self.queues.task_queues[tasks.queue].definition.logical_id}Function",
                code=lambda_.Code.from_asset(tasks.code),
                handler=tasks.handler,
                queue=self.queues.task_queues[tasks.queue].queue,
                api_id=self.api.http_api.api_id,
                api_url=self.api.url,
                payload_objects=payload_objects_arn(self.storage),
            )
            for tasks in config.lambda_tasks
        }
        self.alarms = Alarms(
            self,
            "Alarms",
            failure_queues=self.queues.failure_queues,
            scheduler=self.engine.scheduler,
        )
        self._outputs()
        suppress_justified_findings(
            config=config,
            engine=self.engine,
            queues=self.queues,
            api=self.api,
            worker_policy=self.client_policies["worker"],
            schedules=self.schedules,
            storage=self.storage,
            task_functions=list(self.task_functions.values()),
        )

    def _outputs(self) -> None:
        CfnOutput(
            self,
            "ApiUrl",
            value=self.api.url,
            description="Set CANTER_API_URL to this for the SDK client and workers",
        )
        for role, policy in self.client_policies.items():
            name = POLICY_NAMES[role].title().replace("-", "")
            CfnOutput(
                self,
                f"{name}PolicyArn",
                value=policy.managed_policy_arn,
                description=f"Attach to the IAM role of {PURPOSES[role]}",
            )
        for logical_id, table in self.storage.tables.items():
            CfnOutput(self, f"{logical_id}TableName", value=table.table_name)
        CfnOutput(
            self,
            "PayloadBucketName",
            value=self.storage.payloads.bucket_name,
            description="Values over the inline limit, under runs/<wfRunId>/",
        )
        for deployed in self.queues.all:
            name = deployed.definition.logical_id
            CfnOutput(self, f"{name}QueueUrl", value=deployed.queue.queue_url)
            if deployed.dead_letter is not None:
                CfnOutput(self, f"{name}DeadLetterQueueUrl", value=deployed.dead_letter.queue_url)
