"""Drives the pure core the way the runtime does, with a fake clock.

Workflows are compiled by the official LittleHorse SDK, so every test also
proves that LittleHorse's JSON is accepted unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from canter_engine.core import Blueprint, Transition, WfRunState, apply, live_records
from canter_engine.core.effects import ScheduleTask, StartTimer
from canter_engine.core.events import (
    Event,
    ExternalEventPosted,
    RunRequested,
    TaskReported,
    TimerFired,
)
from canter_engine.core.state import NodeRun
from canter_engine.model import values
from canter_engine.model.spec import (
    NameId,
    PutWfSpecRequest,
    TaskDef,
    VariableDef,
    WfSpec,
    WfSpecId,
)
from canter_engine.model.validate import parse_request, validate_wf_spec
from google.protobuf.json_format import MessageToDict
from littlehorse.workflow import Workflow, WorkflowThread

START = 1_700_000_000_000


def compile_lh(name: str, fn: Callable[[WorkflowThread], None]) -> dict[str, Any]:
    """The PutWfSpecRequest JSON LittleHorse's own SDK compiles."""
    return MessageToDict(Workflow(name, fn).compile())


def task_def(name: str, *input_types: str, queue: str | None = None) -> TaskDef:
    return TaskDef(
        id=NameId(name=name),
        input_vars=tuple(VariableDef(name=f"arg{i}", type=t) for i, t in enumerate(input_types)),  # type: ignore[arg-type]
        task_queue=queue or name,
    )


class Harness:
    def __init__(
        self,
        fn: Callable[[WorkflowThread], None] | dict[str, Any],
        tasks: dict[str, tuple[str, ...]] | None = None,
        events: set[str] | None = None,
        name: str = "wf",
        task_defs: dict[str, TaskDef] | None = None,
        struct_defs: dict[tuple[str, int], dict[str, Any]] | None = None,
    ) -> None:
        self.request_json = compile_lh(name, fn) if callable(fn) else fn
        request = parse_request(PutWfSpecRequest, self.request_json)
        assert request.to_json() == self.request_json, "LittleHorse JSON must parse unchanged"
        task_defs = {
            **{n: task_def(n, *types) for n, types in (tasks or {}).items()},
            **(task_defs or {}),
        }
        validate_wf_spec(request, task_defs, events or set(), None, struct_defs)
        spec = WfSpec(
            id=WfSpecId(name=request.name),
            thread_specs=request.thread_specs,
            entrypoint_thread_name=request.entrypoint_thread_name,
            retention_policy=request.retention_policy,
        ).with_struct_defs(struct_defs or {})
        self.bp = Blueprint(spec, task_defs)
        self.state: WfRunState | None = None
        self.now = START
        self.records: dict[str, dict[str, Any]] = {}
        # The core's own NodeRuns: their outputs, which LittleHorse's NodeRun lacks.
        self.node_objs: dict[str, NodeRun] = {}
        self.timers: list[Any] = []
        self.sent: list[ScheduleTask] = []
        self.last: Transition | None = None

    # --- driving ------------------------------------------------------------

    def apply(self, event: Event) -> Transition:
        transition = apply(self.bp, self.state, event)
        self.last = transition
        self.state = transition.state
        for record in transition.records:
            self.records[record.sk] = record.to_json()
            if isinstance(record.obj, NodeRun):
                self.node_objs[record.sk] = record.obj
            task_run = record.task_run_json()
            if task_run is not None:
                self.records[f"task#{task_run['id']['taskGuid']}"] = task_run
        if transition.state is not None:
            for record in live_records(transition.state):
                self.records[record.sk] = record.to_json()
                if isinstance(record.obj, NodeRun):
                    self.node_objs[record.sk] = record.obj
        for effect in transition.effects:
            if isinstance(effect, StartTimer):
                self.timers.append(effect.timer)
            else:
                self.sent.append(effect)
        return transition

    def tick(self, ms: int = 1) -> int:
        self.now += ms
        return self.now

    def run(self, **variables: Any) -> Transition:
        return self.apply(RunRequested("wf-1", self.bp.spec.id.name, 0, 0, variables, self.tick()))

    def all_in_flight(self) -> list[ScheduleTask]:
        """The current attempt of every TaskRun the WfRun waits on, oldest first."""
        assert self.state is not None
        found = []
        for task_run in self.state.task_runs.values():
            number = len(task_run.attempts) - 1
            found.append(
                next(
                    s
                    for s in reversed(self.sent)
                    if s.task_guid == task_run.guid and s.attempt_number == number
                )
            )
        return found

    def in_flight(self, guid: str | None = None) -> ScheduleTask:
        """The task attempt the WfRun waits on (the one with ``guid`` if several)."""
        tasks = self.all_in_flight()
        if guid is None:
            (task,) = tasks
            return task
        return next(t for t in tasks if t.task_guid == guid)

    def task_input(self, guid: str | None = None) -> list[Any]:
        task = self.in_flight(guid)
        return [values.decode(v["value"]) for v in task.scheduled_task["variables"]]

    def time_out(self, message: str = "", guid: str | None = None) -> Transition:
        """The worker SDK's report for an attempt that ran out of time."""
        task = self.in_flight(guid)
        return self.apply(
            TaskReported(
                task.task_guid,
                task.attempt_number,
                "TASK_TIMEOUT",
                self.tick(),
                error_type="TIMEOUT",
                error_message=message,
            )
        )

    def succeed(self, output: Any = None, guid: str | None = None) -> Transition:
        task = self.in_flight(guid)
        return self.apply(
            TaskReported(task.task_guid, task.attempt_number, "TASK_SUCCESS", self.tick(), output)
        )

    def fail(self, message: str = "boom", guid: str | None = None) -> Transition:
        task = self.in_flight(guid)
        return self.apply(
            TaskReported(
                task.task_guid,
                task.attempt_number,
                "TASK_FAILED",
                self.tick(),
                error_type="TASK_FAILURE",
                error_message=message,
            )
        )

    def throw(
        self, name: str, message: str = "", content: Any = None, guid: str | None = None
    ) -> Transition:
        task = self.in_flight(guid)
        return self.apply(
            TaskReported(
                task.task_guid,
                task.attempt_number,
                "TASK_EXCEPTION",
                self.tick(),
                exception_name=name,
                exception_message=message,
                exception_content=content,
            )
        )

    def post(self, def_name: str, content: Any = None, guid: str | None = None) -> Transition:
        guid = guid or f"guid-{len(self.records)}-{self.now}"
        return self.apply(ExternalEventPosted(def_name, guid, content, self.tick()))

    def fire(self, kind: str) -> Transition:
        """Advance the clock to the latest timer of ``kind`` and fire it."""
        timer = next(t for t in reversed(self.timers) if t.kind == kind)
        self.now = max(self.now, timer.due)
        return self.apply(TimerFired(timer, self.now))

    # --- reading --------------------------------------------------------------

    def thread(self, number: int) -> Any:
        assert self.state is not None
        return self.state.threads[number]

    @property
    def status(self) -> str:
        assert self.state is not None
        return self.state.status

    @property
    def variables(self) -> dict[str, Any]:
        assert self.state is not None
        return self.state.variables[0]

    def node_runs(self, thread: int = 0) -> list[dict[str, Any]]:
        prefix = f"node#{thread:06d}#"
        return [v for k, v in sorted(self.records.items()) if k.startswith(prefix)]

    def output(self, node_name: str, thread: int = 0) -> Any:
        """A NodeRun's output as LittleHorse VariableValue JSON (the core's record)."""
        prefix = f"node#{thread:06d}#"
        found = [
            n
            for k, n in sorted(self.node_objs.items())
            if k.startswith(prefix) and n.node_name == node_name
        ]
        return values.encode(found[-1].output)

    def path(self, thread: int = 0) -> list[str]:
        """The NodeRun sequence: node names with their type suffix stripped to the name."""
        return [n["nodeName"] for n in self.node_runs(thread)]

    def statuses(self, thread: int = 0) -> list[str]:
        return [n.get("status", "STARTING") for n in self.node_runs(thread)]

    def task_run(self, guid: str) -> dict[str, Any]:
        return self.records[f"task#{guid}"]

    def failure(self) -> dict[str, Any]:
        failed = [n for n in self.node_runs() if n.get("failures")]
        return failed[-1]["failures"][-1]
