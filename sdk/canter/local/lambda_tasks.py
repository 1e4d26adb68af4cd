"""Lambda-backed task functions on ``canter dev``: one SQS pump per task queue.

The pump hands the handler Lambda-shaped SQS events and deletes what it
does not list in ``batchItemFailures``, as Lambda's event source mapping
does, so the handler deployed is the one tested locally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import boto3
from canter_engine.resources import TASK_QUEUE_VISIBILITY_SECONDS

from canter.client import Client
from canter.local.sqs_pump import SqsPump
from canter.task_def import task_def_of
from canter.worker.lambda_handler import TaskHandler, lambda_handler

# The Lambda timeout of task functions on `canter dev` unless told otherwise:
# canter.cdk.TaskFunction's, the most a TaskQueue's visibility timeout allows.
DEFAULT_TIMEOUT_SECONDS = TASK_QUEUE_VISIBILITY_SECONDS

Tasks = TaskHandler | Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]]


def start_pumps(
    client: Client,
    tasks: Tasks,
    *,
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
    register_task_defs: bool = True,
) -> list[SqsPump]:
    """Pumps feeding ``tasks`` (a ``lambda_handler`` or what it takes) from their queues.

    With ``register_task_defs`` the TaskDefs of ``@canter.task`` functions
    are put first, so their queues exist.
    """
    handler = tasks if isinstance(tasks, TaskHandler) else lambda_handler(tasks)
    if register_task_defs:
        for fn in handler.functions.values():
            request = task_def_of(fn)
            if request is not None:
                client.put_task_def(request)
    handler.uses(client)
    by_queue: dict[str, list[str]] = {}
    for name in handler.functions:
        by_queue.setdefault(str(client.get_task_def_queue(name)["queueUrl"]), []).append(name)
    sqs = boto3.client("sqs")
    pumps = [
        SqsPump(sqs, url, handler, f"canter-tasks-{'-'.join(names)}"[:64], timeout_seconds)
        for url, names in by_queue.items()
    ]
    for pump in pumps:
        pump.start()
    return pumps
