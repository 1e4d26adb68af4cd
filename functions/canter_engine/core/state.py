"""The state of one WfRun as the core sees it.

Only what decides the future lives here: the threads, the node run each thread
is at, the variables, the task runs still in flight and the external events
not yet claimed. Finished NodeRuns and TaskRuns leave the state as
:class:`Record` objects that the store writes as items of their own, so the
state does not grow with the history of the run (DESIGN invariant 5).

The classes are mutable for speed; :func:`canter_engine.core.apply` clones
before it changes anything, so a state handed to it is never modified.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from canter_engine.core.cow_map import copied_tasks, copied_threads
from canter_engine.core.user_task_state import UserTaskRun
from canter_engine.model import values

FINAL_STATUSES = frozenset({"COMPLETED", "ERROR", "EXCEPTION"})


def _slim(item: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """``item`` without the fields at their default: the head is written on every
    transition and billed per KB, and most fields are empty most of the time."""
    return {
        k: v
        for k, v in item.items()
        if not (k in defaults and type(v) is type(defaults[k]) and v == defaults[k])
    }


def _full(item: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    return {**defaults, **item}


# Failure names the system raises; every other name is a business EXCEPTION.
ERROR_NAMES = frozenset(
    {
        "CHILD_FAILURE",
        "VAR_SUB_ERROR",
        "VAR_MUTATION_ERROR",
        "USER_TASK_CANCELLED",
        "TIMEOUT",
        "TASK_FAILURE",
        "VAR_ERROR",
        "TASK_ERROR",
        "INTERNAL_ERROR",
    }
)


@dataclass(slots=True)
class Failure:
    name: str
    message: str
    content: Any = None
    handled: bool = False
    handler_thread: int | None = None

    @property
    def status(self) -> str:
        return "ERROR" if self.name in ERROR_NAMES else "EXCEPTION"

    def clone(self) -> Failure:
        return Failure(self.name, self.message, self.content, self.handled, self.handler_thread)

    def to_item(self) -> dict[str, Any]:
        return {
            "n": self.name,
            "m": self.message,
            "c": values.encode(self.content),
            "h": self.handled,
            "ht": self.handler_thread,
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> Failure:
        return Failure(item["n"], item["m"], values.decode(item["c"]), item["h"], item["ht"])


@dataclass(frozen=True, slots=True)
class WaitTally:
    """A WAIT_FOR_THREADS NodeRun's children counted by what they mean to it, so
    that an event which ends one child of 10,000 looks at that child only.

    ``decided`` holds each child that succeeded (True) or failed (False) as
    far as the wait is concerned; any other child is pending. ``handlers``
    maps a per-thread failure handler to the child it handles. ``exact``:
    every child and handler is a child thread of the waiting thread, so its
    end reaches the wait (core/threads.py, note_end); otherwise the wait
    counts all its children on every poll, as before.
    """

    members: frozenset[int]
    decided: dict[int, bool]
    succeeded: int
    failed: int
    handlers: dict[int, int]
    exact: bool


@dataclass(slots=True)
class NodeRun:
    """One arrival of a thread at a node."""

    thread: int
    position: int
    node_name: str
    kind: str
    status: str
    arrival: int
    end: int | None = None
    output: Any = None
    failures: list[Failure] = field(default_factory=list)
    error_message: str = ""
    task_guid: str | None = None
    event_def: str | None = None
    event_guid: str | None = None
    event_time: int | None = None
    timed_out: bool = False
    due: int | None = None
    # START_*: the children started; WAIT_FOR_THREADS: the children waited for.
    threads: list[int] = field(default_factory=list)
    # WAIT_FOR_THREADS: failed child -> the thread handling its failure.
    handlers: dict[int, int] = field(default_factory=dict)
    child_wf_run_id: str | None = None
    # A TASK node's TaskRun once it has ended: stored in the NodeRun's item.
    task: TaskRun | None = None
    # WAIT_FOR_THREADS: each waited child's last seen status and waiting status.
    waited: dict[int, tuple[str, str]] = field(default_factory=dict)
    # HALTING or HALTED while its thread halts: what LittleHorse shows for an
    # in-progress NodeRun of a halted thread; the node's own progress (a task
    # that reports meanwhile) stays in ``status``.
    halted: str | None = None
    # USER_TASK: its UserTaskRun while the NodeRun waits (core/user_tasks.py).
    user_task: UserTaskRun | None = None
    # EXTERNAL_EVENT with a correlation key: the key it waits on (a CorrelatedEvent's
    # key) and whether it is shown masked.
    correlation_key: str | None = None
    mask_correlation_key: bool = False
    # WAIT_FOR_THREADS, derived and never stored: what its children amount to
    # so far (core/threads.py, WaitTally), and the children or handlers whose
    # end changed since (core/threads.py, note_end). None: count them again.
    tally: WaitTally | None = field(default=None, compare=False, repr=False)
    fresh: list[int] = field(default_factory=list, compare=False, repr=False)

    @property
    def sk(self) -> str:
        return node_sk(self.thread, self.position)

    @property
    def handled(self) -> bool:
        """Failed, and a failure handler dealt with it: the thread goes on from here."""
        return bool(self.failures) and self.failures[-1].handled

    @property
    def shown_status(self) -> str:
        return self.halted or self.status

    def clone(self) -> NodeRun:
        copy = NodeRun(
            self.thread,
            self.position,
            self.node_name,
            self.kind,
            self.status,
            self.arrival,
            self.end,
            self.output,
            [f.clone() for f in self.failures],
            self.error_message,
            self.task_guid,
            self.event_def,
            self.event_guid,
            self.event_time,
            self.timed_out,
            self.due,
            # Replaced, never changed in place: shared (a wait's 10,000 children).
            self.threads,
            dict(self.handlers),
            self.child_wf_run_id,
            self.task,
            self.waited,
            self.halted,
            self.user_task.clone() if self.user_task else None,
            self.correlation_key,
            self.mask_correlation_key,
            # Never changed in place (a new tally replaces it): shared.
            self.tally,
            list(self.fresh),
        )
        return copy

    def to_item(self) -> dict[str, Any]:
        return _slim(self._fields(), _NODE_RUN_DEFAULTS)

    def _fields(self) -> dict[str, Any]:
        return {
            "t": self.thread,
            "p": self.position,
            "n": self.node_name,
            "k": self.kind,
            "s": self.status,
            "a": self.arrival,
            "e": self.end,
            "o": values.encode(self.output),
            "f": [f.to_item() for f in self.failures],
            "em": self.error_message,
            "tg": self.task_guid,
            "ed": self.event_def,
            "eg": self.event_guid,
            "et": self.event_time,
            "to": self.timed_out,
            "d": self.due,
            "tr": ranges(self.threads),
            "hd": {str(k): v for k, v in self.handlers.items()},
            "cw": self.child_wf_run_id,
            "tk": self.task.to_item() if self.task else None,
            "wg": _waited_groups(self.waited),
            "hs": self.halted,
            "ut": self.user_task.to_item() if self.user_task else None,
            "ck": self.correlation_key,
            "cm": self.mask_correlation_key,
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> NodeRun:
        item = _full(item, _NODE_RUN_DEFAULTS)
        return NodeRun(
            item["t"],
            item["p"],
            item["n"],
            item["k"],
            item["s"],
            item["a"],
            item["e"],
            values.decode(item["o"]),
            [Failure.from_item(f) for f in item["f"]],
            item["em"],
            item["tg"],
            item["ed"],
            item["eg"],
            item["et"],
            item["to"],
            item["d"],
            list(item["th"]) or unranges(item["tr"]),
            {int(k): v for k, v in item["hd"].items()},
            item["cw"],
            TaskRun.from_item(item["tk"]) if item.get("tk") else None,
            {int(k): (str(v[0]), str(v[1])) for k, v in item["wt"].items()}
            or _waited_from_groups(item["wg"]),
            item["hs"],
            UserTaskRun.from_item(item["ut"]) if item["ut"] else None,
            item["ck"],
            item["cm"],
        )


@dataclass(slots=True)
class TaskAttempt:
    status: str
    schedule_time: int
    start_time: int | None = None
    end_time: int | None = None
    output: Any = None
    log_output: Any = None
    error_type: str | None = None
    error_message: str = ""
    exception_name: str | None = None
    exception_message: str = ""
    exception_content: Any = None
    worker_id: str | None = None  # who ran it, as the worker's report said

    def clone(self) -> TaskAttempt:
        return TaskAttempt(
            self.status,
            self.schedule_time,
            self.start_time,
            self.end_time,
            self.output,
            self.log_output,
            self.error_type,
            self.error_message,
            self.exception_name,
            self.exception_message,
            self.exception_content,
            self.worker_id,
        )

    def to_item(self) -> dict[str, Any]:
        return _slim(self._fields(), _ATTEMPT_DEFAULTS)

    def _fields(self) -> dict[str, Any]:
        return {
            "s": self.status,
            "st": self.schedule_time,
            # The start as an offset from the schedule: a few digits, not thirteen.
            "bo": None if self.start_time is None else self.start_time - self.schedule_time,
            "e": self.end_time,
            "o": values.encode(self.output),
            "l": values.encode(self.log_output),
            "et": self.error_type,
            "em": self.error_message,
            "xn": self.exception_name,
            "xm": self.exception_message,
            "xc": values.encode(self.exception_content),
            "w": self.worker_id,
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> TaskAttempt:
        item = _full(item, _ATTEMPT_DEFAULTS)
        offset = item["bo"]
        return TaskAttempt(
            item["s"],
            item["st"],
            item["b"] if offset is None else item["st"] + offset,
            item["e"],
            values.decode(item["o"]),
            values.decode(item["l"]),
            item["et"],
            item["em"],
            item["xn"],
            item["xm"],
            values.decode(item["xc"]),
            item["w"],
        )


@dataclass(slots=True)
class TaskRun:
    """One execution of a TaskDef for a TASK node run, with its attempts."""

    guid: str
    task_def: str
    task_queue: str
    thread: int
    position: int
    inputs: list[tuple[str, Any]]
    masked_inputs: frozenset[str]
    max_attempts: int
    timeout_seconds: int
    backoff: tuple[int, int, float] | None
    scheduled_at: int
    status: str = "TASK_SCHEDULED"
    attempts: list[TaskAttempt] = field(default_factory=list)
    # Checkpoints its attempts saved (PutCheckpoint), numbered 0, 1, ...; a retry
    # is told how many there are and resumes from them.
    checkpoints: int = 0

    @property
    def sk(self) -> str:
        return f"task#{self.guid}"

    @property
    def current(self) -> TaskAttempt:
        return self.attempts[-1]

    def clone(self) -> TaskRun:
        return TaskRun(
            self.guid,
            self.task_def,
            self.task_queue,
            self.thread,
            self.position,
            self.inputs,
            self.masked_inputs,
            self.max_attempts,
            self.timeout_seconds,
            self.backoff,
            self.scheduled_at,
            self.status,
            [a.clone() for a in self.attempts],
            self.checkpoints,
        )

    def to_item(self) -> dict[str, Any]:
        return _slim(self._fields(), _TASK_RUN_DEFAULTS)

    def _fields(self) -> dict[str, Any]:
        return {
            "g": self.guid,
            "d": self.task_def,
            "q": self.task_queue,
            "t": self.thread,
            "p": self.position,
            "i": [[name, values.encode(v)] for name, v in self.inputs],
            "mi": sorted(self.masked_inputs),
            "ma": self.max_attempts,
            "ts": self.timeout_seconds,
            "b": list(self.backoff) if self.backoff else None,
            "sa": self.scheduled_at,
            "s": self.status,
            "a": [a.to_item() for a in self.attempts],
            "ck": self.checkpoints,
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> TaskRun:
        item = _full(item, _TASK_RUN_DEFAULTS)
        backoff = item["b"]
        return TaskRun(
            item["g"],
            item["d"],
            item["q"],
            item["t"],
            item["p"],
            [(name, values.decode(v)) for name, v in item["i"]],
            frozenset(item["mi"]),
            item["ma"],
            item["ts"],
            (int(backoff[0]), int(backoff[1]), float(backoff[2])) if backoff else None,
            item["sa"],
            item["s"],
            [TaskAttempt.from_item(a) for a in item["a"]],
            item["ck"],
        )


@dataclass(slots=True)
class ExternalEvent:
    guid: str
    def_name: str
    content: Any
    time: int
    thread_run_number: int | None = None
    claimed_thread: int | None = None
    claimed_position: int | None = None
    # Sent for one NodeRun (a CorrelatedEvent's delivery): only that NodeRun takes it.
    node_run_position: int | None = None

    @property
    def sk(self) -> str:
        return f"event#{self.def_name}#{self.guid}"

    @property
    def claimed(self) -> bool:
        return self.claimed_thread is not None

    def clone(self) -> ExternalEvent:
        return ExternalEvent(
            self.guid,
            self.def_name,
            self.content,
            self.time,
            self.thread_run_number,
            self.claimed_thread,
            self.claimed_position,
            self.node_run_position,
        )

    def to_item(self) -> dict[str, Any]:
        item = {
            "g": self.guid,
            "d": self.def_name,
            "c": values.encode(self.content),
            "t": self.time,
            "n": self.thread_run_number,
        }
        if self.node_run_position is not None:
            item["np"] = self.node_run_position
        return item

    @staticmethod
    def from_item(item: dict[str, Any]) -> ExternalEvent:
        return ExternalEvent(
            item["g"],
            item["d"],
            values.decode(item["c"]),
            item["t"],
            item["n"],
            node_run_position=item.get("np"),
        )


@dataclass(frozen=True, slots=True)
class PendingInterrupt:
    """An interrupt event waiting for its thread to finish halting."""

    guid: str
    handler_spec: str
    content: Any

    def to_item(self) -> dict[str, Any]:
        return {"g": self.guid, "h": self.handler_spec, "c": values.encode(self.content)}

    @staticmethod
    def from_item(item: dict[str, Any]) -> PendingInterrupt:
        return PendingInterrupt(item["g"], item["h"], values.decode(item["c"]))


@dataclass(slots=True)
class ThreadRun:
    number: int
    spec_name: str
    type: str
    status: str
    start: int
    parent: int | None = None
    end: int | None = None
    error_message: str = ""
    children: list[int] = field(default_factory=list)
    current: NodeRun | None = None
    next_position: int = 0
    # Latest outputs of the nodes that some assignment reads with nodeOutput.
    outputs: dict[str, Any] = field(default_factory=dict)
    output: Any = None
    # Why the thread is halted: "manual", "parent:<n>", "failure:<n>", "interrupt:<guid>".
    halts: list[str] = field(default_factory=list)
    failure: Failure | None = None
    # The FAILURE_HANDLER thread handling this thread's failed node.
    handling: int | None = None
    # The INTERRUPT thread running for this thread, and interrupts waiting to run.
    interrupt_thread: int | None = None
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    # Failed children whose failure a WAIT_FOR_THREADS handler dealt with: an
    # EXIT does not fail for them (LittleHorse's handledFailedChildren).
    handled_children: list[int] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status in FINAL_STATUSES

    def clone(self) -> ThreadRun:
        return ThreadRun(
            self.number,
            self.spec_name,
            self.type,
            self.status,
            self.start,
            self.parent,
            self.end,
            self.error_message,
            list(self.children),
            self.current.clone() if self.current else None,
            self.next_position,
            dict(self.outputs),
            self.output,
            list(self.halts),
            self.failure.clone() if self.failure else None,
            self.handling,
            self.interrupt_thread,
            list(self.interrupts),
            list(self.handled_children),
        )

    def to_item(self) -> dict[str, Any]:
        return _slim(self._fields(), _THREAD_RUN_DEFAULTS)

    def _fields(self) -> dict[str, Any]:
        return {
            "n": self.number,
            "sn": self.spec_name,
            "ty": self.type,
            "s": self.status,
            "b": self.start,
            "pa": self.parent,
            "e": self.end,
            "em": self.error_message,
            "cr": ranges(self.children),
            "c": self.current.to_item() if self.current else None,
            "np": self.next_position,
            "ou": {k: values.encode(v) for k, v in self.outputs.items()},
            "o": values.encode(self.output),
            "hl": self.halts,
            "fa": self.failure.to_item() if self.failure else None,
            "hg": self.handling,
            "it": self.interrupt_thread,
            "pi": [i.to_item() for i in self.interrupts],
            "hr": ranges(self.handled_children),
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> ThreadRun:
        item = _full(item, _THREAD_RUN_DEFAULTS)
        return ThreadRun(
            item["n"],
            item["sn"],
            item["ty"],
            item["s"],
            item["b"],
            item["pa"],
            item["e"],
            item["em"],
            list(item["ch"]) or unranges(item["cr"]),
            NodeRun.from_item(item["c"]) if item["c"] else None,
            item["np"],
            {k: values.decode(v) for k, v in item["ou"].items()},
            values.decode(item["o"]),
            list(item["hl"]),
            Failure.from_item(item["fa"]) if item["fa"] else None,
            item["hg"],
            item["it"],
            [PendingInterrupt.from_item(i) for i in item["pi"]],
            list(item["hc"]) or unranges(item["hr"]),
        )


@dataclass(slots=True)
class WfRunState:
    wf_run_id: str
    spec_name: str
    major_version: int
    revision: int
    status: str
    start: int
    end: int | None = None
    parent_wf_run_id: str | None = None
    # Copied per event: past 64 entries in maps that share storage until
    # written (core/cow_map.py).
    threads: MutableMapping[int, ThreadRun] = field(default_factory=dict)
    greatest_thread: int = -1
    variables: MutableMapping[int, dict[str, Any]] = field(default_factory=dict)
    task_runs: MutableMapping[str, TaskRun] = field(default_factory=dict)
    pending_events: list[ExternalEvent] = field(default_factory=list)
    # Child WfRuns that ended before a WAIT_FOR_CHILD_WF took their result.
    # Child WfRuns that ended before their WAIT_FOR_CHILD_WF: status, output, failure.
    child_results: dict[str, tuple[str, Any, dict[str, Any] | None]] = field(default_factory=dict)
    workflow_events: int = 0
    # Threads at a node polled on every pass (core/engine.py, _POLLED): derived,
    # not stored; worked out on first use and kept up to date by the engine.
    polled: set[int] | None = field(default=None, compare=False, repr=False)
    # (majorVersion, revision) of each WfSpec version this WfRun migrated from.
    old_versions: list[tuple[int, int]] = field(default_factory=list)
    # Threads at a node re-checked when a variable they read changes
    # (core/engine.py, _WATCHING): derived like ``polled``.
    watching: set[int] | None = field(default=None, compare=False, repr=False)

    @property
    def spec_id(self) -> tuple[str, int, int]:
        return (self.spec_name, self.major_version, self.revision)

    @property
    def ended(self) -> bool:
        return self.status in FINAL_STATUSES

    def clone(self) -> WfRunState:
        """A copy whose threads, variable scopes and task runs are still shared.

        The engine copies each of those on its first write (copy-on-write), and
        the maps holding them copy a bucket of 64 on its first write, so an
        event that touches one thread of 10,000 copies one thread and one bucket.
        """
        return WfRunState(
            self.wf_run_id,
            self.spec_name,
            self.major_version,
            self.revision,
            self.status,
            self.start,
            self.end,
            self.parent_wf_run_id,
            copied_threads(self.threads),
            self.greatest_thread,
            copied_threads(self.variables),
            copied_tasks(self.task_runs),
            [e.clone() for e in self.pending_events],
            dict(self.child_results),
            self.workflow_events,
            None if self.polled is None else set(self.polled),
            list(self.old_versions),
            None if self.watching is None else set(self.watching),
        )

    def to_item(self) -> dict[str, Any]:
        """A JSON-safe dict of the whole state, for the WfRun head item."""
        return _slim(self._fields(), _WF_RUN_DEFAULTS)

    def to_item_without_threads(self) -> dict[str, Any]:
        """The WfRun-level part of ``to_item``: no threads, variables or TaskRuns
        (the store keeps those per thread in a wide WfRun)."""
        return _slim(self._fields(False), _WF_RUN_DEFAULTS)

    def _fields(self, threads: bool = True) -> dict[str, Any]:
        fields = self._wf_run_fields()
        if threads:
            fields["th"] = [t.to_item() for t in self.threads.values()]
            fields["va"] = {
                str(n): {k: values.encode(v) for k, v in vs.items()}
                for n, vs in self.variables.items()
            }
            fields["tr"] = [t.to_item() for t in self.task_runs.values()]
        return fields

    def _wf_run_fields(self) -> dict[str, Any]:
        return {
            "v": 1,
            "id": self.wf_run_id,
            "sn": self.spec_name,
            "mv": self.major_version,
            "r": self.revision,
            "s": self.status,
            "b": self.start,
            "e": self.end,
            "pw": self.parent_wf_run_id,
            "gt": self.greatest_thread,
            "pe": [e.to_item() for e in self.pending_events],
            "cr": {k: [s, values.encode(o), f] for k, (s, o, f) in self.child_results.items()},
            "we": self.workflow_events,
            "ov": [list(v) for v in self.old_versions],
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> WfRunState:
        item = _full(item, _WF_RUN_DEFAULTS)
        threads = [ThreadRun.from_item(t) for t in item["th"]]
        task_runs = [TaskRun.from_item(t) for t in item["tr"]]
        return WfRunState(
            item["id"],
            item["sn"],
            item["mv"],
            item["r"],
            item["s"],
            item["b"],
            item["e"],
            item["pw"],
            {t.number: t for t in threads},
            item["gt"],
            {int(n): {k: values.decode(v) for k, v in vs.items()} for n, vs in item["va"].items()},
            {t.guid: t for t in task_runs},
            [ExternalEvent.from_item(e) for e in item["pe"]],
            {k: _child_result(v) for k, v in item["cr"].items()},
            item["we"],
            old_versions=[(int(v[0]), int(v[1])) for v in item["ov"]],
        )


@dataclass(frozen=True, slots=True)
class VariableValue:
    """A variable as it was written by one transition (a record, not state)."""

    thread: int
    name: str
    value: Any
    masked: bool

    @property
    def sk(self) -> str:
        return var_sk(self.thread, self.name)


@dataclass(frozen=True, slots=True)
class WorkflowEvent:
    """A WorkflowEvent a THROW_EVENT node published (a record, not state)."""

    def_name: str
    number: int
    content: Any
    time: int
    thread: int
    position: int

    @property
    def sk(self) -> str:
        return f"wfevent#{self.def_name}#{self.number:08d}"


@dataclass(frozen=True, slots=True)
class TaskCheckpoint:
    """A step's result saved by a task attempt (core/checkpoints.py): a record."""

    task_guid: str
    number: int
    value: Any
    logs: str
    time: int

    @property
    def sk(self) -> str:
        return checkpoint_sk(self.task_guid, self.number)


def checkpoint_sk(task_guid: str, number: int) -> str:
    return f"ckpt#{task_guid}#{number:06d}"


_NODE_RUN_DEFAULTS: dict[str, Any] = {
    "e": None,
    "o": {},
    "f": [],
    "em": "",
    "tg": None,
    "ed": None,
    "eg": None,
    "et": None,
    "to": False,
    "d": None,
    "th": [],
    "tr": [],
    "hd": {},
    "cw": None,
    "tk": None,
    "wt": {},
    "wg": [],
    "hs": None,
    "ut": None,
    "ck": None,
    "cm": False,
}
_ATTEMPT_DEFAULTS: dict[str, Any] = {
    "b": None,  # an absolute start, as states before "bo" stored it
    "bo": None,
    "e": None,
    "o": {},
    "l": {},
    "et": None,
    "em": "",
    "xn": None,
    "xm": "",
    "xc": {},
    "w": None,
}
_TASK_RUN_DEFAULTS: dict[str, Any] = {"mi": [], "b": None, "ts": 60, "ma": 1, "ck": 0}
_THREAD_RUN_DEFAULTS: dict[str, Any] = {
    "ty": "ENTRYPOINT",
    "pa": None,
    "e": None,
    "em": "",
    "ch": [],
    "cr": [],
    "c": None,
    "ou": {},
    "o": {},
    "hl": [],
    "fa": None,
    "hg": None,
    "it": None,
    "pi": [],
    "hc": [],
    "hr": [],
}
_WF_RUN_DEFAULTS: dict[str, Any] = {
    "mv": 0,
    "r": 0,
    "e": None,
    "pw": None,
    "tr": [],
    "pe": [],
    "cr": {},
    "we": 0,
    "ov": [],
}


def _child_result(item: list[Any]) -> tuple[str, Any, dict[str, Any] | None]:
    # Items written before failures were carried hold [status, output].
    return (item[0], values.decode(item[1]), item[2] if len(item) > 2 else None)


def ranges(numbers: list[int]) -> list[list[int]]:
    """``numbers`` as runs ``[first, count]``, in order: a fan-out's 10,000
    consecutive thread numbers take one run, so the threads that list them
    stay small (numbers are stored this way since items were split by thread)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and runs[-1][0] + runs[-1][1] == number:
            runs[-1][1] += 1
        else:
            runs.append([number, 1])
    return runs


def unranges(runs: list[list[int]]) -> list[int]:
    return [first + offset for first, count in runs for offset in range(count)]


def _waited_groups(waited: dict[int, tuple[str, str]]) -> list[list[Any]]:
    """``waited`` grouped by status pair: [thread status, waiting status, runs]."""
    groups: dict[tuple[str, str], list[int]] = {}
    for number, pair in waited.items():
        groups.setdefault(pair, []).append(number)
    return [[child, waiting, ranges(numbers)] for (child, waiting), numbers in groups.items()]


def _waited_from_groups(groups: list[list[Any]]) -> dict[int, tuple[str, str]]:
    waited: dict[int, tuple[str, str]] = {}
    for child, waiting, runs in groups:
        for number in unranges(runs):
            waited[number] = (str(child), str(waiting))
    return dict(sorted(waited.items()))


def node_sk(thread: int, position: int) -> str:
    return f"node#{thread:06d}#{position:08d}"


def var_sk(thread: int, name: str) -> str:
    return f"var#{thread:06d}#{name}"
