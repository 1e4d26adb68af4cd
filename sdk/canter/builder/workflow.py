"""``Workflow``: a name and an entrypoint thread function, compiled to a PutWfSpecRequest.

The thread functions run when the ``Workflow`` is created, entrypoint first
and then every thread they register (handlers, children) in order, so a
mistake is reported where the workflow is defined, not when it is deployed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from canter.builder.control_flow import ThreadBody
from canter.builder.errors import WorkflowDefinitionError, user_location
from canter.builder.tasks import ExponentialBackoff, TaskPolicy
from canter.builder.thread import WorkflowThread
from canter.builder.thread_core import ThreadCore
from canter.builder.types import AllowedUpdateType, parse_enum

ENTRYPOINT = "entrypoint"


class Workflow:
    """A WfSpec defined by Python functions, as in the LittleHorse SDK.

    ``task_retries``, ``task_timeout_seconds`` and ``task_exponential_backoff``
    are the defaults of every ``execute()`` that does not set its own; the
    LittleHorse SDK's ``with_retry_policy``/``with_task_timeout_seconds`` set
    them too, and apply to the whole workflow even though its thread functions
    have already run (defaults are read when the workflow compiles).
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
        self.task_defaults = TaskPolicy(
            task_retries, task_timeout_seconds, task_exponential_backoff
        )
        self.allowed_updates: AllowedUpdateType | None = None
        self.retention_seconds: int | None = None
        self._pending: list[tuple[WorkflowThread, ThreadBody]] = []
        self._threads: dict[str, WorkflowThread] = {}
        self._waited_events: set[str] = set()
        # ExternalEventDef name -> its CorrelatedEventConfig, as wait_for_event gave it.
        self.correlated_event_configs: dict[str, dict[str, Any]] = {}
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

    def get_threads(self) -> list[WorkflowThread]:
        """The workflow's threads, entrypoint first, in the order they were defined."""
        return list(self._threads.values())

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

    def note_correlated_event_config(self, event_name: str, config: Mapping[str, Any]) -> None:
        allowed = {"ttlSeconds", "deleteAfterFirstCorrelation"}
        if not isinstance(config, Mapping) or set(config) - allowed:
            raise WorkflowDefinitionError(
                f"correlated_event_config of '{event_name}' must be a mapping of "
                f"{sorted(allowed)}, not {config!r}"
            )
        wanted = {k: v for k, v in config.items() if v not in (None, False, 0)}
        if self.correlated_event_configs.setdefault(event_name, wanted) != wanted:
            raise WorkflowDefinitionError(
                f"event '{event_name}' is given two different correlated_event_configs"
            )

    def note_interrupt_event(self, event_name: str) -> None:
        if event_name in self._waited_events:
            raise WorkflowDefinitionError(
                f"event '{event_name}' is waited for, so it cannot also interrupt a thread"
            )
        self._interrupt_events.add(event_name)

    def with_retry_policy(
        self, retries: int | None = None, exponential_backoff: ExponentialBackoff | None = None
    ) -> Workflow:
        """Set the default retries and backoff of tasks (both, as in the LittleHorse SDK)."""
        self.task_defaults = TaskPolicy(
            retries, self.task_defaults.timeout_seconds, exponential_backoff
        )
        return self

    def with_task_timeout_seconds(self, timeout_seconds: int | None = None) -> Workflow:
        """Set the default timeout of one attempt of a task."""
        self.task_defaults = TaskPolicy(
            self.task_defaults.retries, timeout_seconds, self.task_defaults.exponential_backoff
        )
        return self

    def with_update_type(self, update_type: AllowedUpdateType | str) -> Workflow:
        """Which new versions registering this workflow may make of an existing WfSpec.

        ``ALL_UPDATES`` (LittleHorse's default) allows a new major version or
        revision, ``MINOR_REVISION_UPDATES`` only a revision, ``NO_UPDATES``
        none (the existing WfSpec must be identical).
        """
        self.allowed_updates = parse_enum(AllowedUpdateType, update_type, "update type")
        return self

    def with_retention_policy(self, policy: int | Any) -> Workflow:
        """Delete each WfRun this many seconds after it ends (COMPLETED, ERROR or EXCEPTION).

        ``policy`` is the seconds, or LittleHorse's ``WorkflowRetentionPolicy``
        (its ``seconds_after_wf_termination``), as the LittleHorse SDK takes it.
        """
        seconds = getattr(policy, "seconds_after_wf_termination", policy)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise WorkflowDefinitionError(
                f"a retention policy is a number of seconds >= 0, not {policy!r}"
            )
        self.retention_seconds = seconds
        return self

    def compile(self) -> dict[str, Any]:
        """The PutWfSpecRequest as proto3 JSON, as the Canter API takes it."""
        request: dict[str, Any] = {
            "name": self.name,
            "threadSpecs": {name: thread.to_json() for name, thread in self._threads.items()},
            "entrypointThreadName": ENTRYPOINT,
        }
        if self.allowed_updates not in (None, AllowedUpdateType.ALL_UPDATES):
            # ALL_UPDATES is the enum's zero, which proto3 JSON leaves out.
            request["allowedUpdates"] = self.allowed_updates.value
        if self.retention_seconds is not None:
            # An int64: a string in proto3 JSON, as LittleHorse's SDK writes it.
            request["retentionPolicy"] = {"secondsAfterWfTermination": str(self.retention_seconds)}
        return copy.deepcopy(request)

    def __str__(self) -> str:
        """The compiled request as the LittleHorse SDK prints it (sorted keys, indent 2)."""
        return json.dumps(self.compile(), indent=2, sort_keys=True)

    def save(self, file_path: str | Path) -> None:
        """Write the compiled request to ``file_path`` as JSON."""
        Path(file_path).write_text(str(self))
