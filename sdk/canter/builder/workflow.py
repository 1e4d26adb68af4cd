"""``Workflow``: a name and an entrypoint thread function, compiled to a PutWfSpecRequest.

The thread functions run when the ``Workflow`` is created, entrypoint first
and then every thread they register (handlers, children) in order, so a
mistake is reported where the workflow is defined, not when it is deployed.
"""

from __future__ import annotations

import copy
from typing import Any

from canter.builder.control_flow import ThreadBody
from canter.builder.errors import WorkflowDefinitionError, user_location
from canter.builder.tasks import ExponentialBackoff
from canter.builder.thread import WorkflowThread
from canter.builder.thread_core import ThreadCore

ENTRYPOINT = "entrypoint"


class Workflow:
    """A WfSpec defined by Python functions, as in the LittleHorse SDK.

    ``task_retries``, ``task_timeout_seconds`` and ``task_exponential_backoff``
    are the defaults of every ``execute()`` that does not set its own (the
    LittleHorse SDK's ``with_retry_policy``/``with_task_timeout_seconds``).
    """

    def __init__(
        self,
        name: str,
        entrypoint: ThreadBody,
        *,
        task_retries: int | None = None,
        task_timeout_seconds: int | None = None,
        task_exponential_backoff: ExponentialBackoff | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"a workflow name must be a non-empty str, not {name!r}")
        self.name = name
        self.default_retries = task_retries
        self.default_timeout_seconds = task_timeout_seconds
        self.default_exponential_backoff = task_exponential_backoff
        self._pending: list[tuple[WorkflowThread, ThreadBody]] = []
        self._threads: dict[str, WorkflowThread] = {}
        self._waited_events: set[str] = set()
        self._interrupt_events: set[str] = set()
        self._building: WorkflowThread | None = None
        self._thread_inputs: list[tuple[str, frozenset[str], tuple[str, int]]] = []
        self.add_thread(ENTRYPOINT, entrypoint, None)
        for thread, body in self._pending:
            self._building = thread
            thread.build(body)
        self._building = None
        self._check_thread_inputs()

    def add_thread(self, name: str, body: ThreadBody, parent: ThreadCore | None) -> None:
        """Register a ThreadSpec, built after the threads registered before it."""
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"a thread name must be a non-empty str, not {name!r}")
        if name in self._threads:
            raise WorkflowDefinitionError(f"workflow '{self.name}' already has a thread '{name}'")
        if not callable(body):
            raise WorkflowDefinitionError(
                f"thread '{name}' needs a function taking a WorkflowThread, not {body!r}"
            )
        thread = WorkflowThread(self, name, parent)
        self._threads[name] = thread
        self._pending.append((thread, body))

    def note_thread_input(self, thread_name: str, names: frozenset[str]) -> None:
        """Remember the variables a spawn passes, to check once the child is defined."""
        self._thread_inputs.append((thread_name, names, user_location()))

    def _check_thread_inputs(self) -> None:
        for thread_name, names, location in self._thread_inputs:
            declared = self._threads[thread_name].declared_names()
            missing = sorted(names - declared)
            if missing:
                raise WorkflowDefinitionError(
                    f"thread '{thread_name}' is given {', '.join(missing)} but declares no such "
                    "variable",
                    location,
                )

    def building_thread(self) -> WorkflowThread:
        """The thread whose function is running: where a mutation made now belongs."""
        if self._building is None:
            raise WorkflowDefinitionError(
                f"workflow '{self.name}' is already defined: variables can only be changed "
                "inside its thread functions"
            )
        return self._building

    def note_waited_event(self, event_name: str) -> None:
        if event_name in self._interrupt_events:
            raise WorkflowDefinitionError(
                f"event '{event_name}' interrupts a thread, so it cannot also be waited for"
            )
        self._waited_events.add(event_name)

    def note_interrupt_event(self, event_name: str) -> None:
        if event_name in self._waited_events:
            raise WorkflowDefinitionError(
                f"event '{event_name}' is waited for, so it cannot also interrupt a thread"
            )
        self._interrupt_events.add(event_name)

    def compile(self) -> dict[str, Any]:
        """The PutWfSpecRequest as proto3 JSON, as the Canter API takes it."""
        request = {
            "name": self.name,
            "threadSpecs": {name: thread.to_json() for name, thread in self._threads.items()},
            "entrypointThreadName": ENTRYPOINT,
        }
        return copy.deepcopy(request)
