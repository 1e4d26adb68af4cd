"""What a task function may ask for: its context, and a way to fail as business."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from canter.client import Client

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Checkpoints:
    """Where an attempt's checkpoints go: the API, with the attempt's task token, and how
    many the TaskRun had when the attempt was sent (``totalObservedCheckpoints``).

    ``redelivered``: the message came back (the worker that took it died), so the
    attempt may have saved steps after it was sent; they are looked up too.
    """

    client: Client
    token: str
    observed: int
    redelivered: bool = False


class CheckpointContext:
    """Handed to a checkpointed step: lines passed to :meth:`log` are the checkpoint's logs."""

    def __init__(self) -> None:
        self._log: list[str] = []

    def log(self, message: object) -> None:
        self._log.append(str(message))

    @property
    def log_output(self) -> str:
        return "\n".join(self._log)


class TaskStopped(Exception):
    """The API told the attempt to stop (``STOP_TASK``): another attempt took over."""


class WorkerContext:
    """Handed to a task function whose parameter is annotated ``WorkerContext``.

    ``idempotency_key`` is the same for every attempt of one TaskRun, so a
    task with side effects (a payment, an email) can make them happen once
    even though a task may run more than once. Lines passed to :meth:`log`
    become the attempt's ``logOutput``.
    """

    __canter_context__ = True

    def __init__(
        self,
        wf_run_id: str,
        task_guid: str,
        attempt_number: int,
        task_def_name: str,
        checkpoints: Checkpoints | None = None,
    ) -> None:
        self.wf_run_id = wf_run_id
        self.task_guid = task_guid
        self.attempt_number = attempt_number
        self.task_def_name = task_def_name
        self._log: list[str] = []
        self._checkpoints = checkpoints
        self._steps = 0
        self._probing = checkpoints is not None and checkpoints.redelivered

    def execute_and_checkpoint(self, step: Callable[[CheckpointContext], T]) -> T:
        """Run ``step`` once per TaskRun: its result is saved (``PutCheckpoint``), and an
        attempt that runs after a crash or a failure gets the saved result instead of
        running the step again (LittleHorse's ``WorkerContext.execute_and_checkpoint``).

        Steps are matched by order: call them in the same order in every attempt.
        Raises :class:`TaskStopped` when another attempt has taken over the task.
        """
        from canter.client import NotFound, from_value, to_value

        channel = self._checkpoints
        number = self._steps
        self._steps += 1
        if channel is None:
            return step(CheckpointContext())
        if number < channel.observed or self._probing:
            try:
                saved = channel.client.get_checkpoint(self.wf_run_id, self.task_guid, number)
            except NotFound:
                if number < channel.observed:
                    raise
                self._probing = False
            else:
                result: T = from_value(saved.get("value"))
                return result
        context = CheckpointContext()
        result = step(context)
        answer = channel.client.put_checkpoint(
            {
                "taskRunId": {"wfRunId": {"id": self.wf_run_id}, "taskGuid": self.task_guid},
                "taskAttempt": self.attempt_number,
                "value": to_value(result),
                "logs": context.log_output,
            },
            channel.token,
        )
        if answer.get("flowControlContinueType") == "STOP_TASK":
            raise TaskStopped(
                f"attempt {self.attempt_number} of TaskRun {self.task_guid} was told to stop: "
                "it is no longer the attempt in flight"
            )
        return result

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
