"""What a deployment varies on, read once from CDK context.

Values given with ``-c key=value`` arrive as strings while values in
``cdk.json`` arrive as JSON, so both shapes are accepted here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from canter_engine.resources import DEFAULT_STAGE, task_queue, validate_stage
from constructs import Node

CONTEXT_STAGE = "stage"
CONTEXT_TASK_QUEUES = "taskQueues"
CONTEXT_DYNAMIC_QUEUES = "dynamicQueues"


@dataclass(frozen=True, slots=True)
class CanterConfig:
    stage: str
    task_queues: tuple[str, ...]
    dynamic_queues: bool

    @classmethod
    def from_context(cls, node: Node) -> CanterConfig:
        return cls.of(
            stage=node.try_get_context(CONTEXT_STAGE),
            task_queues=node.try_get_context(CONTEXT_TASK_QUEUES),
            dynamic_queues=node.try_get_context(CONTEXT_DYNAMIC_QUEUES),
        )

    @classmethod
    def of(
        cls, *, stage: Any = None, task_queues: Any = None, dynamic_queues: Any = None
    ) -> CanterConfig:
        return cls(
            stage=validate_stage(str(stage or DEFAULT_STAGE)),
            task_queues=_task_queue_names(task_queues),
            dynamic_queues=_flag(CONTEXT_DYNAMIC_QUEUES, dynamic_queues),
        )


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


def _flag(key: str, raw: Any) -> bool:
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if str(raw).lower() in ("true", "false"):
        return str(raw).lower() == "true"
    raise ValueError(f"{key} must be true or false, got {raw!r}")
