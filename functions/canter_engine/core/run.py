"""``Run``: what the node modules may do with the WfRun being changed.

The engine (``core/engine.py``) owns the concrete working context and calls
the node modules (tasks, threads, waits, signals); the node modules call back
into that context. Typing them against this Protocol instead of the concrete
class keeps the imports one-way: engine -> node modules -> run, never back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import Effect
from canter_engine.core.records import RecordObject
from canter_engine.core.state import (
    ExternalEvent,
    Failure,
    NodeRun,
    TaskCheckpoint,
    TaskRun,
    ThreadRun,
    WfRunState,
)
from canter_engine.model.spec import VariableAssignment


class Run(Protocol):
    """The working context of one ``apply``: a cloned state being changed."""

    bp: Blueprint
    state: WfRunState
    now: int
    effects: list[Effect]
    records: dict[str, RecordObject]

    def thread(self, number: int) -> ThreadRun:
        """Thread ``number``, safe to change."""
        ...

    def task_run(self, guid: str) -> TaskRun | None:
        """TaskRun ``guid`` if it is in flight, safe to change."""
        ...

    def add_task_run(self, task_run: TaskRun) -> None: ...

    def waiting_thread(
        self, kind: str, matches: Callable[[ThreadRun, NodeRun], bool]
    ) -> ThreadRun | None:
        """The first live thread whose current node of ``kind`` waits and ``matches``."""
        ...

    def busy(self, thread: ThreadRun) -> bool:
        """Whether a task attempt of the thread is in flight."""
        ...

    def start_thread(
        self, spec_name: str, kind: str, parent: ThreadRun | None, inputs: dict[str, Any]
    ) -> ThreadRun: ...

    def fail_thread(self, thread: ThreadRun, failure: Failure) -> None: ...

    def arrive(self, thread: ThreadRun, node_name: str) -> None: ...

    def leave(self, thread: ThreadRun, done: NodeRun) -> bool:
        """Take ``done``'s outgoing edges; False if the thread must wait instead."""
        ...

    def complete_node(self, thread: ThreadRun, node_run: NodeRun, output: Any) -> None: ...

    def fail_node(self, thread: ThreadRun, node_run: NodeRun, failure: Failure) -> None: ...

    def read_variable(self, thread: ThreadRun, name: str) -> Any: ...

    def replace_scope(self, number: int, scope: dict[str, Any]) -> None:
        """Thread ``number``'s variables become ``scope`` (a migration's)."""
        ...

    def evaluate(self, thread: ThreadRun, a: VariableAssignment) -> Any:
        """The value of a VariableAssignment, seen from ``thread``."""
        ...

    def touch(self, obj: NodeRun | ExternalEvent | TaskCheckpoint) -> None: ...
