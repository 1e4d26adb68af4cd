"""What a task function may ask for: its context, and a way to fail as business."""

from __future__ import annotations

import re
from typing import Any

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class WorkerContext:
    """Handed to a task function whose parameter is annotated ``WorkerContext``.

    ``idempotency_key`` is the same for every attempt of one TaskRun, so a
    task with side effects (a payment, an email) can make them happen once
    even though a task may run more than once. Lines passed to :meth:`log`
    become the attempt's ``logOutput``.
    """

    __canter_context__ = True

    def __init__(
        self, wf_run_id: str, task_guid: str, attempt_number: int, task_def_name: str
    ) -> None:
        self.wf_run_id = wf_run_id
        self.task_guid = task_guid
        self.attempt_number = attempt_number
        self.task_def_name = task_def_name
        self._log: list[str] = []

    @property
    def idempotency_key(self) -> str:
        return f"{self.wf_run_id}/{self.task_guid}"

    def log(self, message: object) -> None:
        self._log.append(str(message))

    @property
    def log_output(self) -> str:
        return "\n".join(self._log)


class TaskException(Exception):
    """A named business failure (``TASK_EXCEPTION``): never retried, caught by name.

    ``name`` is kebab-case (``out-of-stock``), as LittleHorse requires for
    user-defined exceptions; a failure handler in the WfSpec matches it.
    """

    def __init__(self, name: str, message: str = "", content: Any = None) -> None:
        if not _KEBAB.match(name):
            raise ValueError(f"TaskException name {name!r} must be kebab-case, e.g. 'out-of-stock'")
        super().__init__(message or name)
        self.name = name
        self.message = message
        self.content = content
