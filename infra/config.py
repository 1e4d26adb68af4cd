"""What a deployment varies on, read once from CDK context.

Values given with ``-c key=value`` arrive as strings while values in
``cdk.json`` arrive as JSON, so both shapes are accepted here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canter_engine.resources import (
    DEFAULT_STAGE,
    STATUS_LEVEL,
    STATUS_LEVELS,
    parse_status_events,
    task_queue,
    validate_stage,
)
from constructs import Node

CONTEXT_STAGE = "stage"
CONTEXT_TASK_QUEUES = "taskQueues"
CONTEXT_DYNAMIC_QUEUES = "dynamicQueues"
CONTEXT_API_RATE = "apiThrottleRatePerSecond"
CONTEXT_API_BURST = "apiThrottleBurst"
CONTEXT_API_CONCURRENCY = "apiReservedConcurrency"
CONTEXT_LAMBDA_TASKS = "lambdaTasks"
# Status events (ops-events): the WfSpecs whose status changes go to EventBridge ("*": all).
CONTEXT_STATUS_EVENTS = "statusEvents"

# API Gateway's own account defaults are 10,000 requests per second with a
# burst of 5,000, shared by every API in the account and region: a flood
# through Canter would starve them all, and reach Lambda's account
# concurrency (1,000 by default) first. 500 per second carries about 250
# task reports per second from workers, well above a dev stage's needs;
# raise it in cdk.json for production load.
DEFAULT_API_RATE = 500
DEFAULT_API_BURST = 1000


@dataclass(frozen=True, slots=True)
class LambdaTasks:
    """Task functions deployed as a Lambda function fed by one declared TaskQueue."""

    queue: str
    code: str  # a directory: the module and the canter SDK
    handler: str  # module.attribute, a canter.lambda_handler(...)


@dataclass(frozen=True, slots=True)
class CanterConfig:
    stage: str
    task_queues: tuple[str, ...]
    dynamic_queues: bool
    api_rate_per_second: int = DEFAULT_API_RATE
    api_burst: int = DEFAULT_API_BURST
    # None: the API function draws on the account's unreserved concurrency.
    # Not reserved by default because reserving fails the deployment in an
    # account whose concurrency quota is still the new-account value (10).
    api_reserved_concurrency: int | None = None
    lambda_tasks: tuple[LambdaTasks, ...] = ()
    status_events: tuple[str, ...] = ()

    @classmethod
    def from_context(cls, node: Node) -> CanterConfig:
        return cls.of(
            stage=node.try_get_context(CONTEXT_STAGE),
            task_queues=node.try_get_context(CONTEXT_TASK_QUEUES),
            dynamic_queues=node.try_get_context(CONTEXT_DYNAMIC_QUEUES),
            api_rate_per_second=node.try_get_context(CONTEXT_API_RATE),
            api_burst=node.try_get_context(CONTEXT_API_BURST),
            api_reserved_concurrency=node.try_get_context(CONTEXT_API_CONCURRENCY),
            lambda_tasks=node.try_get_context(CONTEXT_LAMBDA_TASKS),
            status_events=node.try_get_context(CONTEXT_STATUS_EVENTS),
        )

    @classmethod
    def of(
        cls,
        *,
        stage: Any = None,
        task_queues: Any = None,
        dynamic_queues: Any = None,
        api_rate_per_second: Any = None,
        api_burst: Any = None,
        api_reserved_concurrency: Any = None,
        lambda_tasks: Any = None,
        status_events: Any = None,
    ) -> CanterConfig:
        concurrency = _positive(CONTEXT_API_CONCURRENCY, api_reserved_concurrency, None)
        queues = _task_queue_names(task_queues)
        return cls(
            stage=validate_stage(str(stage or DEFAULT_STAGE)),
            task_queues=queues,
            lambda_tasks=_lambda_tasks(lambda_tasks, queues),
            dynamic_queues=_flag(CONTEXT_DYNAMIC_QUEUES, dynamic_queues),
            api_rate_per_second=_positive(CONTEXT_API_RATE, api_rate_per_second, DEFAULT_API_RATE)
            or DEFAULT_API_RATE,
            api_burst=_positive(CONTEXT_API_BURST, api_burst, DEFAULT_API_BURST)
            or DEFAULT_API_BURST,
            api_reserved_concurrency=concurrency,
            status_events=_status_events(status_events),
        )


def _status_events(raw: Any) -> tuple[str, ...]:
    """WfSpec names (or ``*``), as a list or a comma-separated string, each ``name`` or
    ``name:all``; or a mapping of names to their level, ``status`` or ``all``
    (handlers/status_events.py)."""
    if raw is None or raw == "":
        return ()
    if isinstance(raw, dict):
        if not all(isinstance(n, str) and level in STATUS_LEVELS for n, level in raw.items()):
            raise ValueError(
                f"{CONTEXT_STATUS_EVENTS} maps WfSpec names (or '*') to one of {STATUS_LEVELS}"
            )
        raw = [name if level == STATUS_LEVEL else f"{name}:{level}" for name, level in raw.items()]
    names = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{CONTEXT_STATUS_EVENTS} must be a list of WfSpec names or '*'")
    try:
        parse_status_events(",".join(names))
    except ValueError as exc:
        raise ValueError(f"{CONTEXT_STATUS_EVENTS}: {exc}") from None
    return tuple(sorted({n for n in names if n}))


def _task_queue_names(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    names = [part.strip() for part in raw.split(",")] if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{CONTEXT_TASK_QUEUES} must be a list of names, got {raw!r}")
    declared = tuple(n for n in names if n)
    duplicates = sorted({n for n in declared if declared.count(n) > 1})
    if duplicates:
        raise ValueError(f"{CONTEXT_TASK_QUEUES} declares {duplicates} more than once")
    for name in declared:
        task_queue(name)
    return declared


def _lambda_tasks(raw: Any, queues: tuple[str, ...]) -> tuple[LambdaTasks, ...]:
    """``{"<taskQueue>": {"code": "<dir>", "handler": "<module>.<attribute>"}}``."""
    if raw is None or raw == "":
        return ()
    if not isinstance(raw, dict):
        raise ValueError(
            f"{CONTEXT_LAMBDA_TASKS} must map a task queue to "
            f'{{"code": "<dir>", "handler": "<module>.<attribute>"}}, got {raw!r}'
        )
    found = []
    for queue, spec in raw.items():
        if queue not in queues:
            raise ValueError(
                f"{CONTEXT_LAMBDA_TASKS}.{queue}: not a declared task queue ({CONTEXT_TASK_QUEUES})"
            )
        if (
            not isinstance(spec, dict)
            or set(spec) != {"code", "handler"}
            or not all(isinstance(v, str) and v for v in spec.values())
            or "." not in spec["handler"]
        ):
            raise ValueError(
                f"{CONTEXT_LAMBDA_TASKS}.{queue} must be "
                f'{{"code": "<dir>", "handler": "<module>.<attribute>"}}, got {spec!r}'
            )
        found.append(LambdaTasks(queue, spec["code"], spec["handler"]))
    return tuple(found)


def _flag(key: str, raw: Any) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if str(raw).lower() in ("true", "false"):
        return str(raw).lower() == "true"
    raise ValueError(f"{key} must be true or false, got {raw!r}")


def _positive(key: str, raw: Any, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        number = int(raw) if not isinstance(raw, bool) else -1
    except (TypeError, ValueError):
        number = -1
    if number < 1 or str(number) != str(raw).strip():
        raise ValueError(f"{key} must be a positive whole number, got {raw!r}")
    return number
