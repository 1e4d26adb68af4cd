"""The engine functions: scheduler on the journal stream, timers on SQS, API, and
ScheduledRuns, which EventBridge Scheduler invokes.

They share one code asset, runtime, layers and environment, so a handler
never finds a variable set on one function and missing on another; only the
task-token secret goes to just the two functions that sign (scheduler) and
check (API) task tokens. Each has
its own role and log group: the role is what `infra.permissions` scopes to
exactly what that handler does, and the log group is the only log
destination the role may write to.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from canter_engine import resources as r
from constructs import Construct

from infra.assets import engine_code
from infra.config import CanterConfig
from infra.queues import Queues
from infra.runtime import ARCHITECTURE, PYTHON_RUNTIME, powertools_layer
from infra.storage import Storage

LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class EngineFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: CanterConfig,
        storage: Storage,
        queues: Queues,
    ) -> None:
        super().__init__(scope, construct_id)
        self._code = engine_code()
        self._layers = [powertools_layer(self, "PowertoolsLayer")]
        self._environment = engine_environment(config, storage, queues)
        # Generated at deploy time, never derived from a name: without it no one
        # can compute the token of an attempt (handlers/task_tokens.py). It
        # reaches the functions through CloudFormation's dynamic reference, so
        # it is in no template or asset, and costs no request at run time.
        self.task_token_secret = secretsmanager.Secret(
            self,
            "TaskTokenSecret",
            description="Canter: signs the task token of every dispatched task attempt",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True
            ),
        )
        signing = {r.ENV_TASK_TOKEN_SECRET: self.task_token_secret.secret_value.unsafe_unwrap()}
        self.roles: dict[lambda_.Function, iam.Role] = {}
        self.scheduler = self._function(r.SCHEDULER_FUNCTION, signing)
        self.timers = self._function(r.TIMERS_FUNCTION)
        self.api = self._function(r.API_FUNCTION, signing, config.api_reserved_concurrency)
        # Invoked by EventBridge Scheduler at each firing of a ScheduledWfRun (infra/schedules.py).
        self.scheduled_runs = self._function(r.SCHEDULED_RUNS_FUNCTION)
        self.by_logical_id = {
            definition.logical_id: function
            for definition, function in (
                (r.SCHEDULER_FUNCTION, self.scheduler),
                (r.TIMERS_FUNCTION, self.timers),
                (r.API_FUNCTION, self.api),
                (r.SCHEDULED_RUNS_FUNCTION, self.scheduled_runs),
            )
        }

        self.scheduler.add_event_source(
            sources.DynamoEventSource(
                storage.journal,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=r.SCHEDULER_BATCH_SIZE,
                max_batching_window=Duration.seconds(r.SCHEDULER_MAX_BATCHING_WINDOW_SECONDS),
                bisect_batch_on_error=r.SCHEDULER_BISECT_ON_ERROR,
                retry_attempts=r.SCHEDULER_MAX_RETRY_ATTEMPTS,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(queues.scheduler_failures.queue),
            )
        )
        self.timers.add_event_source(
            sources.SqsEventSource(queues.timers.queue, report_batch_item_failures=True)
        )

    def _function(
        self,
        definition: r.FunctionDef,
        extra_environment: dict[str, str] | None = None,
        reserved_concurrency: int | None = None,
    ) -> lambda_.Function:
        name = definition.logical_id
        log_group = logs.LogGroup(self, f"{name}Logs", retention=LOG_RETENTION)
        role = iam.Role(
            self,
            f"{name}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Canter {name} function: only the actions its handler uses",
        )
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            name,
            description=definition.description,
            handler=definition.handler,
            code=self._code,
            runtime=PYTHON_RUNTIME,
            architecture=ARCHITECTURE,
            memory_size=definition.memory_mb,
            timeout=Duration.seconds(definition.timeout_seconds),
            layers=self._layers,
            environment={**self._environment, **(extra_environment or {})},
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            reserved_concurrent_executions=reserved_concurrency,
        )
        self.roles[function] = role
        return function


def engine_environment(config: CanterConfig, storage: Storage, queues: Queues) -> dict[str, str]:
    return {
        r.ENV_STAGE: config.stage,
        r.ENV_JOURNAL_TABLE: storage.journal.table_name,
        r.ENV_STATE_TABLE: storage.state.table_name,
        r.ENV_METADATA_TABLE: storage.metadata.table_name,
        r.ENV_TIMER_QUEUE_URL: queues.timers.queue.queue_url,
        r.ENV_SCHEDULER_DLQ_URL: queues.scheduler_failures.queue.queue_url,
        r.ENV_TASK_QUEUE_PREFIX: r.task_queue_prefix(config.stage),
        r.ENV_DYNAMIC_QUEUES: "true" if config.dynamic_queues else "false",
        r.ENV_PAYLOAD_BUCKET: storage.payloads.bucket_name,
        "POWERTOOLS_SERVICE_NAME": r.POWERTOOLS_SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": r.METRICS_NAMESPACE,
        # Traces record timings, not data: a handler's return value holds
        # workflow data (masked variables included), and X-Ray drops
        # documents over 64 KB anyway.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }
