"""The task worker: runs Python functions for the TaskDefs of a WfSpec."""

from canter.worker.context import CheckpointContext, TaskException, TaskStopped, WorkerContext
from canter.worker.lambda_handler import lambda_handler
from canter.worker.worker import Worker

__all__ = [
    "CheckpointContext",
    "TaskException",
    "TaskStopped",
    "Worker",
    "WorkerContext",
    "lambda_handler",
]
