"""The engine functions: runtime, layers, environment and event sources from resources."""

from __future__ import annotations

from typing import Any

import pytest
from canter_engine import resources as r

from infra.runtime import POWERTOOLS_LAYER_VERSION, powertools_layer_arn

FUNCTION_IDS = [f.logical_id for f in r.FUNCTIONS]
SCHEDULE_ENV = (r.ENV_SCHEDULE_GROUP, r.ENV_SCHEDULE_TARGET_ARN, r.ENV_SCHEDULE_ROLE_ARN)


def _function(dev: Any, definition: r.FunctionDef) -> tuple[str, dict[str, Any]]:
    function = dev.stack.engine.by_logical_id[definition.logical_id]
    logical_id = dev.logical_id(function)
    return logical_id, dev.resources("AWS::Lambda::Function")[logical_id]["Properties"]


def _mappings_of(dev: Any, function_id: str) -> list[dict[str, Any]]:
    return [
        m["Properties"]
        for m in dev.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]


def test_exactly_the_engine_functions(dev: Any) -> None:
    handlers = {p["Properties"]["Handler"] for p in dev.resources("AWS::Lambda::Function").values()}
    assert handlers == {f.handler for f in r.FUNCTIONS}


@pytest.mark.parametrize("definition", r.FUNCTIONS, ids=FUNCTION_IDS)
def test_function_settings_from_resources(dev: Any, definition: r.FunctionDef) -> None:
    _, props = _function(dev, definition)
    assert props["Handler"] == definition.handler
    assert props["MemorySize"] == definition.memory_mb
    assert props["Timeout"] == definition.timeout_seconds
    assert props["Description"] == definition.description
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}


@pytest.mark.parametrize("definition", r.FUNCTIONS, ids=FUNCTION_IDS)
def test_structured_logs_to_its_own_log_group(dev: Any, definition: r.FunctionDef) -> None:
    _, props = _function(dev, definition)
    config = props["LoggingConfig"]
    assert config["LogFormat"] == "JSON"
    log_group = dev.resources("AWS::Logs::LogGroup")[config["LogGroup"]["Ref"]]
    assert log_group["Properties"]["RetentionInDays"] == 30


@pytest.mark.parametrize("definition", r.FUNCTIONS, ids=FUNCTION_IDS)
def test_powertools_is_the_only_layer(dev: Any, definition: r.FunctionDef) -> None:
    """The engine imports nothing that the runtime and Powertools do not provide."""
    _, props = _function(dev, definition)
    (powertools,) = props["Layers"]
    assert powertools == dev.stack.resolve(powertools_layer_arn(dev.stack.region))
    assert dev.resources("AWS::Lambda::LayerVersion") == {}


def test_powertools_layer_arn_names_runtime_and_architecture() -> None:
    assert powertools_layer_arn("eu-west-1") == (
        "arn:aws:lambda:eu-west-1:017000801446:layer:"
        f"AWSLambdaPowertoolsPythonV3-python312-arm64:{POWERTOOLS_LAYER_VERSION}"
    )


@pytest.mark.parametrize("definition", r.FUNCTIONS, ids=FUNCTION_IDS)
def test_environment_wired_from_resources(dev: Any, definition: r.FunctionDef) -> None:
    _, props = _function(dev, definition)
    env = dict(props["Environment"]["Variables"])
    storage, queues = dev.stack.storage, dev.stack.queues
    secret = env.pop(r.ENV_TASK_TOKEN_SECRET, None)
    if definition in (r.SCHEDULER_FUNCTION, r.API_FUNCTION):
        # The task-token secret, resolved by CloudFormation: never in the template.
        secret_id = dev.logical_id(dev.stack.engine.task_token_secret)
        assert secret == {
            "Fn::Join": [
                "",
                ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"],
            ]
        }
    else:
        assert secret is None, "only the functions that sign or check tokens get the secret"
    schedules = {n: env.pop(n, None) for n in SCHEDULE_ENV}
    if definition == r.API_FUNCTION:
        # issue 18: only the API creates EventBridge schedules (ScheduleWf).
        stack = dev.stack
        assert schedules == {
            r.ENV_SCHEDULE_GROUP: "canter-dev",
            r.ENV_SCHEDULE_TARGET_ARN: stack.resolve(stack.engine.scheduled_runs.function_arn),
            r.ENV_SCHEDULE_ROLE_ARN: stack.resolve(stack.schedules.role.role_arn),
        }
    else:
        assert set(schedules.values()) == {None}
    assert env == {
        r.ENV_STAGE: "dev",
        r.ENV_JOURNAL_TABLE: {"Ref": dev.logical_id(storage.journal)},
        r.ENV_STATE_TABLE: {"Ref": dev.logical_id(storage.state)},
        r.ENV_METADATA_TABLE: {"Ref": dev.logical_id(storage.metadata)},
        r.ENV_TIMER_QUEUE_URL: {"Ref": dev.logical_id(queues.timers.queue)},
        r.ENV_SCHEDULER_DLQ_URL: {"Ref": dev.logical_id(queues.scheduler_failures.queue)},
        r.ENV_TASK_QUEUE_PREFIX: r.task_queue_prefix("dev"),
        r.ENV_DYNAMIC_QUEUES: "false",
        r.ENV_PAYLOAD_BUCKET: {"Ref": dev.logical_id(storage.payloads)},
        "POWERTOOLS_SERVICE_NAME": r.POWERTOOLS_SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": r.METRICS_NAMESPACE,
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }


def test_scheduler_reads_the_journal_stream_with_bounded_retries(dev: Any) -> None:
    scheduler_id, _ = _function(dev, r.SCHEDULER_FUNCTION)
    (mapping,) = _mappings_of(dev, scheduler_id)
    failures = dev.logical_id(dev.stack.queues.scheduler_failures.queue)
    assert mapping == {
        "FunctionName": {"Ref": scheduler_id},
        "EventSourceArn": {"Fn::GetAtt": [dev.logical_id(dev.stack.storage.journal), "StreamArn"]},
        "StartingPosition": "TRIM_HORIZON",
        "BatchSize": r.SCHEDULER_BATCH_SIZE,
        "MaximumBatchingWindowInSeconds": r.SCHEDULER_MAX_BATCHING_WINDOW_SECONDS,
        "BisectBatchOnFunctionError": r.SCHEDULER_BISECT_ON_ERROR,
        "MaximumRetryAttempts": r.SCHEDULER_MAX_RETRY_ATTEMPTS,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [failures, "Arn"]}}},
    }


def test_timers_consume_the_timer_queue(dev: Any) -> None:
    timers_id, _ = _function(dev, r.TIMERS_FUNCTION)
    (mapping,) = _mappings_of(dev, timers_id)
    timer_queue = dev.logical_id(dev.stack.queues.timers.queue)
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [timer_queue, "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_timer_queue_visibility_is_six_times_the_timers_function_timeout(dev: Any) -> None:
    """AWS's advice for SQS event sources; at 2x, throttling sent timers to the DLQ (issue 11)."""
    _, props = _function(dev, r.TIMERS_FUNCTION)
    queue = dev.resources("AWS::SQS::Queue")[dev.logical_id(dev.stack.queues.timers.queue)]
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * props["Timeout"]


def test_api_has_no_event_source(dev: Any) -> None:
    api_id, _ = _function(dev, r.API_FUNCTION)
    assert _mappings_of(dev, api_id) == []
