"""The task worker: runs Python functions for the TaskDefs of a WfSpec."""

from canter.worker.context import TaskException, WorkerContext
from canter.worker.worker import Worker

__all__ = ["TaskException", "Worker", "WorkerContext"]
