"""Handles on child threads: what ``spawn_thread*`` return and ``wait_for_threads`` takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from canter.builder.operands import NodeOutput
from canter.builder.types import ErrorType, VariableType, parse_enum
from canter.builder.variables import WfRunVariable

if TYPE_CHECKING:
    from canter.builder.control_flow import ThreadBody
    from canter.builder.failures import FailureHandling


@dataclass(frozen=True)
class SpawnedThread:
    """One child thread; ``number`` is the INT variable holding its thread number."""

    thread_spec_name: str
    number: WfRunVariable


@dataclass(frozen=True)
class SpawnedThreadList:
    """Several ``spawn_thread`` children waited for together (``SpawnedThreads.from_list``)."""

    threads: tuple[SpawnedThread, ...]


@dataclass(frozen=True)
class SpawnedThreads:
    """The children of one ``spawn_thread_for_each``; ``numbers`` is a JSON_ARR variable."""

    thread_spec_name: str
    numbers: WfRunVariable

    @staticmethod
    def from_list(*threads: SpawnedThread) -> SpawnedThreadList:
        """The LittleHorse SDK's way to wait for several ``spawn_thread`` children.

        ``wait_for_threads(SpawnedThreads.from_list(a, b))`` is
        ``wait_for_threads(a, b)``.
        """
        return SpawnedThreadList(threads)


@dataclass(frozen=True)
class SpawnedChildWf:
    """A child WfRun started by ``run_wf``; ``wait_for_child_wf`` takes it."""

    source_node_name: str
    thread: object


class WaitForThreadsOutput(NodeOutput):
    """The output of a WAIT_FOR_THREADS node, with per-child failure handlers.

    A failed child fails the waiting node (its EXCEPTION as it is, an ERROR as
    CHILD_FAILURE) unless one of these handlers catches the child's failure.
    """

    def __init__(self, node_name: str, thread: FailureHandling) -> None:
        super().__init__(node_name, thread, VariableType.JSON_ARR)
        self._thread = thread

    def handle_exception_on_child(
        self, handler: ThreadBody, exception_name: str | None = None
    ) -> WaitForThreadsOutput:
        suffix = f"-{exception_name}" if exception_name is not None else ""
        failure = (
            {"specificFailure": exception_name}
            if exception_name is not None
            else {"anyFailureOfType": "FAILURE_TYPE_EXCEPTION"}
        )
        self._thread.add_child_failure_handler(
            self, f"exn-handler-{self.node_name}{suffix}", handler, failure
        )
        return self

    def handle_error_on_child(
        self, handler: ThreadBody, error_type: ErrorType | str | None = None
    ) -> WaitForThreadsOutput:
        error = parse_enum(ErrorType, error_type, "error type") if error_type is not None else None
        suffix = f"-{error.value}" if error is not None else ""
        failure = (
            {"specificFailure": error.value}
            if error is not None
            else {"anyFailureOfType": "FAILURE_TYPE_ERROR"}
        )
        self._thread.add_child_failure_handler(
            self, f"error-handler-{self.node_name}{suffix}", handler, failure
        )
        return self

    def handle_any_failure_on_child(self, handler: ThreadBody) -> WaitForThreadsOutput:
        self._thread.add_child_failure_handler(
            self, f"failure-handler-{self.node_name}-ANY_FAILURE", handler, {}
        )
        return self
