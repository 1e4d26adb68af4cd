"""``canter.cdk.TaskFunction``: task functions on Lambda, in the user's own CDK app.

The function runs a module whose handler is ``canter.lambda_handler(...)``;
Lambda's SQS event source feeds it the TaskQueue's ScheduledTasks. Its role
holds exactly what a task worker needs: consuming its one queue (what the
event source itself calls) and the ``ReportTask``/``ReportTasks`` routes of
the Canter API, nothing else.

Importing this module needs ``aws-cdk-lib``; the rest of the SDK does not.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from canter_engine.handlers.routes import rpcs_of
from canter_engine.resources import TASK_QUEUE_MAX_RECEIVE_COUNT, TASK_QUEUE_VISIBILITY_SECONDS
from constructs import Construct

from canter.worker.lambda_handler import ENV_MAX_RECEIVES

# The actions Lambda's SQS event source calls with the function's role.
EVENT_SOURCE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# The rpcs a task worker calls that the handler uses: its reports.
REPORT_RPCS = ("ReportTask", "ReportTasks")
RPC_METHOD = "POST"
API_STAGE = "$default"


class TaskFunction(Construct):
    """A Lambda function running task functions from one TaskQueue's queue.

    ``code`` and ``handler`` are the user's (``tasks.handler`` for a module
    ``tasks`` defining ``handler = canter.lambda_handler(...)``, with the
    ``canter`` SDK in the asset). ``queue`` is the TaskQueue's queue (the
    Canter stack's ``TaskQueue...QueueUrl`` output, imported with
    ``sqs.Queue.from_queue_arn``); ``api_id`` and ``api_url`` the Canter
    API's. ``timeout`` may not exceed the queue's visibility timeout
    (30 s for TaskQueues), which Lambda requires of an SQS event source;
    a task running past it less the reporting margin is reported
    ``TASK_TIMEOUT``. ``max_concurrency`` caps the invocations at once, to
    protect what the tasks call. ``payload_objects`` (the Canter stack's
    payload bucket ARN followed by ``/runs/*``) lets the function read the
    ScheduledTasks too large for an SQS message, which the scheduler sends by
    reference.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        queue: sqs.IQueue,
        api_id: str,
        api_url: str,
        memory_size: int = 128,
        timeout: Duration | None = None,
        batch_size: int = 10,
        max_batching_window: Duration | None = None,
        max_concurrency: int = 10,
        environment: Mapping[str, str] | None = None,
        layers: list[lambda_.ILayerVersion] | None = None,
        payload_objects: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or Duration.seconds(TASK_QUEUE_VISIBILITY_SECONDS)
        if timeout.to_seconds() > TASK_QUEUE_VISIBILITY_SECONDS:
            raise ValueError(
                f"timeout {timeout.to_seconds()} s exceeds the TaskQueue's visibility timeout "
                f"({TASK_QUEUE_VISIBILITY_SECONDS} s), which Lambda refuses for an SQS event "
                "source; run longer tasks on a polling worker"
            )
        log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_MONTH)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Canter task function: consumes its TaskQueue and reports attempts",
        )
        log_group.grant_write(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ConsumeItsTaskQueue",
                actions=list(EVENT_SOURCE_ACTIONS),
                resources=[queue.queue_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="ReportAttempts",
                actions=["execute-api:Invoke"],
                resources=[_invoke_arn(self, api_id, rpc) for rpc in REPORT_RPCS],
            )
        )
        if payload_objects is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    sid="ReadLargeScheduledTasks",
                    actions=["s3:GetObject"],
                    resources=[payload_objects],
                )
            )
        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            memory_size=memory_size,
            timeout=timeout,
            role=self.role,
            log_group=log_group,
            layers=layers,
            environment={
                "CANTER_API_URL": api_url,
                ENV_MAX_RECEIVES: str(TASK_QUEUE_MAX_RECEIVE_COUNT),
                **(environment or {}),
            },
        )
        self.event_source = lambda_.EventSourceMapping(
            self,
            "Source",
            target=self.function,
            event_source_arn=queue.queue_arn,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            max_concurrency=max_concurrency,
            report_batch_item_failures=True,
        )
        Validations.of(self.function).acknowledge(
            Acknowledgment(
                id="AwsSolutions-L1",
                reason="Python 3.12 is the runtime Canter's SDK and its Powertools layer are "
                "built and tested for; newer runtimes follow with the SDK.",
            )
        )


def _invoke_arn(scope: Construct, api_id: str, rpc: str) -> str:
    """The execute-api ARN of one rpc's route (one route per rpc, ``POST /<rpc>``)."""
    assert rpc in rpcs_of("worker"), rpc
    return Stack.of(scope).format_arn(
        service="execute-api",
        resource=api_id,
        resource_name=f"{API_STAGE}/{RPC_METHOD}/{rpc}",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
