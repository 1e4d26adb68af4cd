"""``apply``: one event in, the next state, its effects and its records out.

The core is pure: no I/O, no clock, no randomness. Time comes from the event
and ids are derived from positions, so replaying a journal rebuilds the same
state (DESIGN invariant 6). An event that would change nothing (a stale or
repeated report, a timer for a node that has moved on, a second RunWf) comes
back with ``applied=False`` and the original state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from canter_engine.core import (
    checkpoints,
    event_retention,
    migration,
    rescue,
    retention,
    signals,
    tasks,
    threads,
    user_tasks,
    waits,
)
from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import Effect, NotifyParent
from canter_engine.core.events import (
    CheckpointPut,
    ChildWfEnded,
    Event,
    ExternalEventExpired,
    ExternalEventPosted,
    MigrationRequested,
    RescueRequested,
    ResumeRequested,
    RunRequested,
    StopRequested,
    TaskReported,
    TimerFired,
    UserTaskRequested,
)
from canter_engine.core.operations import (
    VarMutationError,
    VarSubError,
    cast,
    compare,
    expression_type,
    format_value,
    get_path,
    json_get,
    json_set,
    operate,
)
from canter_engine.core.records import Record, RecordObject, note_waited
from canter_engine.core.state import (
    Failure,
    NodeRun,
    TaskRun,
    ThreadRun,
    VariableValue,
    WfRunState,
)
from canter_engine.model import values
from canter_engine.model.spec import (
    Edge,
    ExitNode,
    VariableAssignment,
    VariableDef,
    VariableMutation,
)
from canter_engine.model.structs import StructError

# A thread that passes this many nodes within one event without waiting is
# in a loop that never waits; it fails instead of spinning forever.
MAX_STEPS_PER_EVENT = 100_000

_FORMAT_ARG = re.compile(r"\{(\d+)\}")
_NO_OUTPUT: Any = object()


@dataclass(frozen=True, slots=True)
class Transition:
    state: WfRunState | None
    effects: list[Effect]
    records: list[Record]
    applied: bool
    # EXTERNAL_EVENT NodeRuns this transition changed, running or not: what
    # SearchNodeRun indexes (store/record_index.py).
    searched: list[NodeRun] = field(default_factory=list)
    # Threads whose ThreadRun, variables or in-flight TaskRuns this transition
    # may have changed (a superset): the store rewrites only their items.
    touched: frozenset[int] = frozenset()


def apply(bp: Blueprint, state: WfRunState | None, event: Event) -> Transition:
    """Apply one event to a WfRun; ``state`` itself is never modified."""
    if isinstance(event, RunRequested):
        if state is not None:
            return Transition(state, [], [], False)
        run = Runner(bp, _new_state(event), event.time)
        run.start_thread(bp.spec.entrypoint_thread_name, "ENTRYPOINT", None, event.variables)
    else:
        if state is None:
            return Transition(None, [], [], False)
        run = Runner(bp, state.clone(), event.time)
        if not run.dispatch(event):
            return Transition(state, [], [], False)
    run.advance()
    return run.finish()


def _new_state(event: RunRequested) -> WfRunState:
    return WfRunState(
        wf_run_id=event.wf_run_id,
        spec_name=event.wf_spec_name,
        major_version=event.major_version,
        revision=event.revision,
        status="RUNNING",
        start=event.time,
        parent_wf_run_id=event.parent_wf_run_id,
    )


class Runner:
    """The working context of one ``apply``: a cloned state being changed."""

    __slots__ = (
        "_own_scopes",
        "_own_tasks",
        "_own_threads",
        "_pending",
        "bp",
        "effects",
        "now",
        "records",
        "state",
        "steps",
    )

    def __init__(self, bp: Blueprint, state: WfRunState, now: int) -> None:
        self.bp = bp
        self.state = state
        self.now = now
        self._own_threads: set[int] = set()
        self._own_scopes: set[int] = set()
        self._own_tasks: set[str] = set()
        self.effects: list[Effect] = []
        # A TaskRun in flight lives in the head; an ended one in its NodeRun's record.
        self.records: dict[str, RecordObject] = {}
        self.steps = 0
        # An edge's mutations, written ahead and applied only if all of them succeed.
        self._pending: dict[tuple[int, str], Any] = {}

    # --- copy-on-write access: every change goes through these -----------------

    def thread(self, number: int) -> ThreadRun:
        """Thread ``number``, safe to change (copied from the old state on first use)."""
        if number not in self._own_threads:
            self.state.threads[number] = self.state.threads[number].clone()
            self._own_threads.add(number)
        return self.state.threads[number]

    def scope(self, number: int) -> dict[str, Any]:
        """The variables of thread ``number``, safe to change."""
        if number not in self._own_scopes:
            self.state.variables[number] = dict(self.state.variables[number])
            self._own_scopes.add(number)
        return self.state.variables[number]

    def replace_scope(self, number: int, scope: dict[str, Any]) -> None:
        self.state.variables[number] = scope
        self._own_scopes.add(number)

    def task_run(self, guid: str) -> TaskRun | None:
        """TaskRun ``guid`` if it is in flight, safe to change."""
        if guid not in self._own_tasks:
            found = self.state.task_runs.get(guid)
            if found is None:
                return None
            self.state.task_runs[guid] = found.clone()
            self._own_tasks.add(guid)
        return self.state.task_runs[guid]

    def waiting_thread(
        self, kind: str, matches: Callable[[ThreadRun, NodeRun], bool]
    ) -> ThreadRun | None:
        """The first live thread whose current node of ``kind`` waits and ``matches``."""
        for number, seen in self.state.threads.items():
            current = seen.current
            if (
                not seen.ended
                and current is not None
                and current.kind == kind
                and current.status == "RUNNING"
                and matches(seen, current)
            ):
                return self.thread(number)
        return None

    def add_task_run(self, task_run: TaskRun) -> None:
        self.state.task_runs[task_run.guid] = task_run
        self._own_tasks.add(task_run.guid)

    # --- events ---------------------------------------------------------------

    def dispatch(self, event: Event) -> bool:
        if isinstance(event, TaskReported):
            return tasks.on_report(self, event) or user_tasks.on_reminder_report(self, event)
        if isinstance(event, ExternalEventPosted):
            return waits.on_event_posted(self, event)
        if isinstance(event, TimerFired):
            return self._on_timer(event)
        if isinstance(event, StopRequested):
            return self._on_stop(event.thread_run_number)
        if isinstance(event, ResumeRequested):
            return self._on_resume(event.thread_run_number)
        if isinstance(event, ChildWfEnded):
            return signals.on_child_ended(self, event)
        if isinstance(event, UserTaskRequested):
            return user_tasks.on_request(self, event)
        if isinstance(event, RescueRequested):
            return rescue.on_rescue(self, event)
        if isinstance(event, CheckpointPut):
            return checkpoints.on_checkpoint(self, event)
        if isinstance(event, MigrationRequested):
            return migration.on_migrate(self, event)
        if isinstance(event, ExternalEventExpired):
            return event_retention.on_expired(self, event)
        return False

    def _on_timer(self, event: TimerFired) -> bool:
        timer = event.timer
        if timer.kind == "TASK_RETRY":
            return tasks.on_retry_due(self, timer)
        if timer.kind == "SLEEP":
            return waits.on_sleep_due(self, timer)
        if timer.kind == "EVENT_TIMEOUT":
            return waits.on_event_timeout(self, timer)
        if timer.kind == user_tasks.ACTION_TIMER:
            return user_tasks.on_action_due(self, timer)
        return False

    def _on_stop(self, number: int | None) -> bool:
        changed = False
        for thread in self._targets(number):
            changed |= threads.halt(self, thread, "manual")
        return changed

    def _on_resume(self, number: int | None) -> bool:
        changed = False
        for thread in self._targets(number):
            changed |= threads.unhalt(self, thread, "manual")
        return changed

    def _targets(self, number: int | None) -> list[ThreadRun]:
        threads_ = self.state.threads
        if number is None:
            return [self.thread(n) for n, t in list(threads_.items()) if not t.ended]
        return [self.thread(number)] if number in threads_ else []

    # --- threads --------------------------------------------------------------

    def start_thread(
        self, spec_name: str, kind: str, parent: ThreadRun | None, inputs: dict[str, Any]
    ) -> ThreadRun:
        state = self.state
        state.greatest_thread += 1
        thread = ThreadRun(
            number=state.greatest_thread,
            spec_name=spec_name,
            type=kind,
            status="RUNNING",
            start=self.now,
            parent=parent.number if parent else None,
        )
        state.threads[thread.number] = thread
        self._own_threads.add(thread.number)
        if parent is not None:
            parent.children.append(thread.number)
        scope: dict[str, Any] = {}
        self.replace_scope(thread.number, scope)
        problems: list[str] = []
        for name, var in self.bp.threads[spec_name].var_defs.items():
            var_type = var.var_def.var_type
            if name in inputs:
                value = inputs[name]
            elif var.var_def.default_value is not None:
                value = self.bp.literal(var.var_def.default_value)
            else:
                value = None
                if var.required:
                    problems.append(f"required variable {name!r} was not given")
            try:
                value = self.bp.conform(var.var_def, value)
            except StructError as exc:
                problems.append(f"Variable {name} invalid: {exc}")
                value = None
            if not values.fits(value, var_type):
                problems.append(
                    f"variable {name!r} is {var_type}, got {values.type_of(value)} {value!r}"
                )
                value = None
            elif values.size_of(value) > values.MAX_VALUE_BYTES:
                problems.append(
                    f"variable {name!r} is {values.size_of(value)} bytes, over the "
                    f"{values.MAX_VALUE_BYTES}-byte limit of one variable"
                )
                value = None
            scope[name] = values.coerce(value, var_type)
            if value is not None:
                self._touch_variable(thread.number, name, scope[name])
        unknown = sorted(set(inputs) - set(scope))
        if unknown:
            problems.append(f"thread {spec_name!r} declares no variable {', '.join(unknown)}")
        self.arrive(thread, self.bp.threads[spec_name].entrypoint)
        if problems:
            assert thread.current is not None
            self.fail_node(thread, thread.current, Failure("VAR_SUB_ERROR", "; ".join(problems)))
        return thread

    def advance(self) -> None:
        """Move every thread forward until each one waits or ends.

        Threads affect each other (a child ending releases its parent's wait, a
        handler ending resumes the failed thread), so passes repeat until one
        changes nothing.
        """
        state = self.state
        # A state just loaded: its derived sets are worked out, and every
        # thread they hold is looked at once.
        full_look = state.polled is None or state.watching is None
        if state.polled is None or state.watching is None:
            state.polled = {n for n, t in state.threads.items() if _at(t, _POLLED)}
            state.watching = {n for n, t in state.threads.items() if _at(t, _WATCHING)}
        moved = True
        while moved:
            # A thread started during the pass (a failure handler a wait starts
            # while it keeps waiting) gets a pass of its own.
            started = state.greatest_thread
            moved = False
            for number in self._candidates(state.polled, state.watching, full_look):
                seen = state.threads[number]
                if not _may_move(seen):
                    continue
                thread = self.thread(number)
                moved |= threads.settle(self, thread)
                moved |= self._run(thread)
            moved |= state.greatest_thread != started
        for number in self._own_threads:
            thread = state.threads[number]
            for found, kinds in ((state.polled, _POLLED), (state.watching, _WATCHING)):
                if _at(thread, kinds):
                    found.add(number)
                else:
                    found.discard(number)
        self._update_wf_status()

    def _candidates(self, polled: set[int], watching: set[int], full_look: bool) -> list[int]:
        """The threads that may move, in number order.

        Every earlier event left each thread where nothing could move it, so
        only what this event changed can move: the threads it touched, their
        ancestors (a child ending releases a wait, an EXIT or a halt), the
        threads at a polled node (they read other threads), and the threads
        watching a variable in a scope this event wrote (theirs or an
        ancestor's: a thread reads no other). A 10,000-child fan-out's task
        report then looks at a handful, even with the other children parked
        at a WAIT_FOR_CONDITION.
        """
        threads_ = self.state.threads
        wanted = set(self._own_threads) | polled
        if full_look:
            wanted |= watching
        elif watching and self._own_scopes:
            wanted.update(self._readers_of_written_scopes(watching))
        for number in list(wanted):
            parent = threads_[number].parent
            while parent is not None and parent not in wanted:
                wanted.add(parent)
                parent = threads_[parent].parent
        return sorted(wanted)

    def _readers_of_written_scopes(self, watching: set[int]) -> set[int]:
        """The watching threads whose own or an ancestor's scope this event wrote.

        Walks down from the written scopes when most threads watch (a fan-out
        parked at a condition: a child's own write finds one thread, a
        parent's every child, as it must), else up from each watching thread.
        """
        threads_, written = self.state.threads, self._own_scopes
        if len(watching) * WALK_DOWN_SHARE < len(threads_):
            found = set()
            for number in watching:
                current: int | None = number
                while current is not None and current not in written:
                    current = threads_[current].parent
                if current is not None:
                    found.add(number)
            return found
        found, stack, seen = set(), [n for n in written if n in threads_], set()
        while stack:
            number = stack.pop()
            if number in seen:
                continue
            seen.add(number)
            if number in watching:
                found.add(number)
            stack.extend(threads_[number].children)
        return found

    def _run(self, thread: ThreadRun) -> bool:
        moved = False
        while thread.status == "RUNNING" and thread.current is not None:
            current = thread.current
            if current.status == "RUNNING":
                if not self._poll(thread, current):
                    break
            elif current.status != "COMPLETED" and not current.handled:
                break
            self.steps += 1
            if self.steps > MAX_STEPS_PER_EVENT:
                self.fail_thread(
                    thread,
                    Failure(
                        "INTERNAL_ERROR",
                        f"thread {thread.number} passed {MAX_STEPS_PER_EVENT} nodes "
                        "without waiting: a loop with no TASK, SLEEP or EXTERNAL_EVENT "
                        "never ends",
                    ),
                )
                return True
            if (
                thread.current is current
                and (current.status == "COMPLETED" or current.handled)
                and not self._leave(thread, current)
            ):
                break
            moved = True
        return moved

    def _poll(self, thread: ThreadRun, node_run: NodeRun) -> bool:
        """Re-check a node that waits on other threads or on variables."""
        node = self.bp.node(thread.spec_name, node_run.node_name)
        try:
            if node.wait_for_threads is not None:
                return threads.poll_wait_for_threads(self, thread, node_run, node.wait_for_threads)
            if node.sleep is not None:
                return waits.poll_sleep(self, thread, node_run, node.sleep)
            if node.wait_for_condition is not None:
                return signals.poll_wait_for_condition(
                    self, thread, node_run, node.wait_for_condition
                )
            if node.user_task is not None:
                return user_tasks.poll(self, thread, node_run)
        except VarSubError as exc:
            self.fail_node(thread, node_run, Failure("VAR_SUB_ERROR", str(exc)))
            return True
        return False

    def busy(self, thread: ThreadRun) -> bool:
        """Whether a task attempt of the thread is in flight (it cannot be halted)."""
        task_run = self._task_run_of(thread)
        return task_run is not None and task_run.current.status == "TASK_SCHEDULED"

    def _task_run_of(self, thread: ThreadRun) -> TaskRun | None:
        """The thread's TaskRun in flight: its current node's, as a thread waits at a
        TASK node until the TaskRun ends (found by key, not by a scan of every thread's)."""
        current = thread.current
        guid = None if current is None else current.task_guid
        found = None if guid is None else self.state.task_runs.get(guid)
        return found if found is not None and found.thread == thread.number else None

    def _update_wf_status(self) -> None:
        state = self.state
        entry = state.threads.get(0)
        if entry is None or state.ended:
            return
        status = entry.status
        if status in _HALTED and all(r.startswith(_SELF_HALTS) for r in entry.halts):
            # LittleHorse keeps the WfRun RUNNING while its entrypoint only halts
            # to handle a failure or an interrupt (ThreadHaltReason
            # isTransitioningHaltState); a stop shows HALTING / HALTED.
            status = "RUNNING"
        state.status = status
        if entry.ended:
            state.end = self.now
            user_tasks.close_open(self)
            if (expiry := retention.on_end(self.bp, state)) is not None:
                self.effects.append(expiry)
            if state.parent_wf_run_id:
                failure = entry.failure if entry.status == "EXCEPTION" else None
                self.effects.append(
                    NotifyParent(
                        state.parent_wf_run_id,
                        state.wf_run_id,
                        entry.status,
                        entry.output,
                        None if failure is None else signals.failure_body(failure),
                    )
                )

    def leave(self, thread: ThreadRun, done: NodeRun) -> bool:
        """Take ``done``'s outgoing edges (a rescue that skips a failed node)."""
        return self._leave(thread, done)

    def _leave(self, thread: ThreadRun, done: NodeRun) -> bool:
        """Take the first edge that holds; False if the thread must wait instead."""
        node = self.bp.node(thread.spec_name, done.node_name)
        if not node.outgoing_edges:
            return self._complete_thread(thread, done)
        try:
            edge = self._choose_edge(thread, node.outgoing_edges)
            if edge is None:
                raise VarSubError(
                    f"no outgoing edge of node {done.node_name!r} matched and none is unconditional"
                )
            # As LittleHorse (its issue #656): a failed node's edge mutates
            # nothing, even once a handler dealt with the failure.
            if edge.variable_mutations and not done.failures:
                self._mutate_all(thread, edge, done.output)
        except VarSubError as exc:
            self.fail_node(thread, done, Failure("VAR_SUB_ERROR", str(exc)))
            return True
        except VarMutationError as exc:
            self.fail_node(thread, done, Failure("VAR_MUTATION_ERROR", str(exc)))
            return True
        self.arrive(thread, edge.sink_node_name)
        return True

    def _choose_edge(self, thread: ThreadRun, edges: tuple[Edge, ...]) -> Edge | None:
        for edge in edges:
            if edge.condition is not None:
                holds = self.evaluate(thread, edge.condition)
                if not isinstance(holds, bool):
                    raise VarSubError(
                        f"edge to {edge.sink_node_name!r}: condition gave "
                        f"{values.type_of(holds)}, not BOOL"
                    )
            elif edge.legacy_condition is not None:
                cond = edge.legacy_condition
                holds = compare(
                    self.evaluate(thread, cond.left),
                    cond.comparator,
                    self.evaluate(thread, cond.right),
                )
            else:
                holds = True
            if holds:
                return edge
        return None

    def _complete_thread(self, thread: ThreadRun, done: NodeRun) -> bool:
        """A thread completes only once all its children have ended or halted, and fails
        with CHILD_FAILURE at its EXIT if a child failed and nothing handled
        that failure (LittleHorse's ExitRunModel)."""
        threads_ = self.state.threads
        if not all(threads_[n].ended or threads_[n].status == "HALTED" for n in thread.children):
            return False
        failed = [
            n
            for n in thread.children
            if threads_[n].status in ("ERROR", "EXCEPTION") and n not in thread.handled_children
        ]
        if failed and done.status == "COMPLETED":
            listed = "".join(f" {n}" for n in failed)
            self.fail_node(
                thread, done, Failure("CHILD_FAILURE", f"Child thread (or threads) failed:{listed}")
            )
            return True
        thread.status = "COMPLETED"
        thread.end = self.now
        self._drop_task_runs(thread)
        threads.note_end(self, thread)
        return True

    def fail_thread(self, thread: ThreadRun, failure: Failure) -> None:
        thread.status = failure.status
        thread.end = self.now
        thread.failure = failure
        thread.error_message = failure.message
        self._drop_task_runs(thread)
        threads.note_end(self, thread)
        for number in thread.children:
            threads.halt(self, self.thread(number), f"parent:{thread.number}")

    def _drop_task_runs(self, thread: ThreadRun) -> None:
        """A thread that ended forgets its task runs; late reports become stale."""
        task_run = self._task_run_of(thread)
        if task_run is not None:
            tasks.attach(self, self.state.task_runs.pop(task_run.guid))

    # --- nodes ---------------------------------------------------------------

    def arrive(self, thread: ThreadRun, node_name: str) -> None:
        node = self.bp.node(thread.spec_name, node_name)
        node_run = NodeRun(
            thread=thread.number,
            position=thread.next_position,
            node_name=node_name,
            kind=self.bp.threads[thread.spec_name].kinds[node_name],
            status="RUNNING",
            arrival=self.now,
        )
        thread.next_position += 1
        thread.current = node_run
        self.touch(node_run)
        arrival = _ARRIVALS.get(node_run.kind)
        try:
            if arrival is None:
                raise VarSubError(f"node type {node_run.kind.upper()} is not supported yet")
            arrival(self, thread, node_run, getattr(node, node_run.kind))
        except VarSubError as exc:
            self.fail_node(thread, node_run, Failure("VAR_SUB_ERROR", str(exc)))

    def complete_node(self, thread: ThreadRun, node_run: NodeRun, output: Any) -> None:
        node_run.status = "COMPLETED"
        node_run.end = self.now
        node_run.output = output
        if node_run.node_name in self.bp.threads[thread.spec_name].kept_outputs:
            thread.outputs[node_run.node_name] = output
        self.touch(node_run)

    def fail_node(self, thread: ThreadRun, node_run: NodeRun, failure: Failure) -> None:
        node_run.status = failure.status
        node_run.end = self.now
        node_run.failures.append(failure)
        node_run.error_message = failure.message
        self.touch(node_run)
        if not threads.handle_failure(self, thread, node_run, failure):
            self.fail_thread(thread, failure)

    # --- variables -------------------------------------------------------------

    def owner_of(self, thread: ThreadRun, name: str) -> int | None:
        """The thread whose scope holds ``name``: this one or its nearest ancestor."""
        current: ThreadRun | None = thread
        while current is not None:
            if name in self.state.variables.get(current.number, ()):
                return current.number
            current = None if current.parent is None else self.state.threads.get(current.parent)
        return None

    def read_variable(self, thread: ThreadRun, name: str) -> Any:
        owner = self.owner_of(thread, name)
        if owner is None:
            raise VarSubError(f"variable {name!r} is not in scope of thread {thread.number}")
        if self._pending and (owner, name) in self._pending:
            return self._pending[(owner, name)]
        return self.state.variables[owner][name]

    def _var_type(self, owner: int, name: str) -> str:
        return self._var_def(owner, name).var_type

    def _var_def(self, owner: int, name: str) -> VariableDef:
        spec_name = self.state.threads[owner].spec_name
        return self.bp.threads[spec_name].var_defs[name].var_def

    def _mutate_all(self, thread: ThreadRun, edge: Edge, own_output: Any) -> None:
        """An edge's mutations, all or none (LittleHorse's write-ahead buffer).

        Each mutation sees the ones before it; if one fails, none is applied
        and the node fails with LittleHorse's message.
        """
        self._pending = {}
        try:
            for mutation in edge.variable_mutations:
                try:
                    self._mutate(thread, mutation, own_output)
                except VarSubError as exc:
                    raise VarSubError(
                        f"Failed evaluating edge with sink node {edge.sink_node_name}: "
                        f"Mutating variable {mutation.lhs_name} with operation "
                        f"{mutation.operation}: {exc}"
                    ) from None
            pending = self._pending
        finally:
            self._pending = {}
        for (owner, name), new in pending.items():
            self.scope(owner)[name] = new
            self._touch_variable(owner, name, new)

    def _mutate(self, thread: ThreadRun, mutation: VariableMutation, own_output: Any) -> None:
        """One mutation into the write-ahead buffer (``VariableMutationModel.execute``)."""
        name = mutation.lhs_name
        owner = self.owner_of(thread, name)
        if owner is None:
            raise VarSubError(f"variable {name!r} is not in scope of thread {thread.number}")
        if mutation.rhs_assignment is not None:
            rhs = self.evaluate(thread, mutation.rhs_assignment)
        elif mutation.literal_value is not None:
            rhs = self.bp.literal(mutation.literal_value)
        elif mutation.node_output is not None:
            rhs = own_output
            if mutation.node_output.jsonpath:
                rhs = json_get(rhs, mutation.node_output.jsonpath, "the node output")
            elif mutation.node_output.lh_path is not None:
                rhs = get_path(rhs, mutation.node_output.lh_path, "the node output")
        else:
            rhs = None
        var_type = self._var_type(owner, name)
        key = (owner, name)
        current = self._pending[key] if key in self._pending else self.state.variables[owner][name]
        if mutation.lhs_json_path:
            path = mutation.lhs_json_path
            what = f"variable {name!r}"
            inner = json_get(current, path, what)
            put = (
                rhs
                if inner is None
                else operate(inner, mutation.operation, rhs, values.type_of(inner))
            )
            new = json_set(current, path, put, what)
        else:
            new = operate(current, mutation.operation, rhs, var_type)
        if not values.fits(new, var_type):
            raise VarSubError(
                f"{mutation.operation} would put {values.type_of(new)} into {var_type} "
                f"variable {name!r}"
            )
        try:
            new = self.bp.conform(self._var_def(owner, name), values.coerce(new, var_type))
        except StructError as exc:
            raise VarSubError(f"Variable {name} invalid: {exc}") from None
        size = values.size_of(new)
        if size > values.MAX_VALUE_BYTES:
            raise VarMutationError(
                f"{mutation.operation} would make variable {name!r} {size} bytes, over the "
                f"{values.MAX_VALUE_BYTES}-byte limit of one variable"
            )
        self._pending[key] = new

    def _touch_variable(self, owner: int, name: str, value: Any) -> None:
        spec_name = self.state.threads[owner].spec_name
        masked = self.bp.threads[spec_name].var_defs[name].var_def.is_masked
        record = VariableValue(owner, name, value, masked)
        self.records[record.sk] = record

    # --- assignments -------------------------------------------------------------

    def evaluate(self, thread: ThreadRun, a: VariableAssignment) -> Any:
        """The value of a VariableAssignment, seen from ``thread``."""
        if a.variable_name is not None:
            value = self.read_variable(thread, a.variable_name)
            what = f"variable {a.variable_name!r}"
        elif a.literal_value is not None:
            value = self.bp.literal(a.literal_value)
            what = "a literal"
        elif a.node_output is not None:
            node_name = a.node_output.node_name
            value = thread.outputs.get(node_name, _NO_OUTPUT)
            if value is _NO_OUTPUT:
                raise VarSubError(f"node {node_name!r} has produced no output in this thread yet")
            what = f"the output of {node_name!r}"
        elif a.format_string is not None:
            template = self.evaluate(thread, a.format_string.format)
            if not isinstance(template, str):
                raise VarSubError(f"a format string must be STR, got {values.type_of(template)}")
            args = [format_value(self.evaluate(thread, arg)) for arg in a.format_string.args]
            value = _format(template, args)
            what = "a format string"
        elif a.expression is not None:
            expr = a.expression
            lhs = self.evaluate(thread, expr.lhs)
            rhs = self.evaluate(thread, expr.rhs) if expr.rhs is not None else None
            if expr.comparator is not None:
                value = compare(lhs, expr.comparator, rhs)
            else:
                operation = expr.mutation_type or "ASSIGN"
                value = operate(lhs, operation, rhs, expression_type(lhs, rhs))
            what = "an expression"
        else:
            raise VarSubError("a VariableAssignment holds no value source")
        if a.json_path:
            value = json_get(value, a.json_path, what)
        elif a.lh_path is not None:
            value = get_path(value, a.lh_path, what)
        if a.target_type is not None:
            value = cast(value, a.target_type.primitive_type)
        return value

    # --- output ----------------------------------------------------------------

    def touch(self, obj: RecordObject) -> None:
        self.records[obj.sk] = obj

    def finish(self) -> Transition:
        """The transition, with records only for what is final.

        A NodeRun still running and a TaskRun still in flight live in the head
        (see :func:`live_records`); writing them as items too would double the
        writes of every task for nothing.
        """
        state = self.state
        records = []
        searched = []
        for obj in self.records.values():
            if isinstance(obj, NodeRun):
                if obj.kind == "external_event":
                    searched.append(obj)
                if obj.kind == "wait_for_threads":
                    note_waited(state, obj)
                if obj.status == "RUNNING":
                    continue
            records.append(Record.of(state, obj))
        touched = self._own_threads | self._own_scopes
        touched.update(int(guid.partition("-")[0]) for guid in self._own_tasks)
        return Transition(state, self.effects, records, True, searched, frozenset(touched))


def _arrive_exit(run: Runner, thread: ThreadRun, node_run: NodeRun, exit_node: ExitNode) -> None:
    failure_def = exit_node.failure_def
    if failure_def is not None:
        content = run.evaluate(thread, failure_def.content) if failure_def.content else None
        run.fail_node(
            thread, node_run, Failure(failure_def.failure_name, failure_def.message, content)
        )
        return
    if exit_node.return_content is not None:
        thread.output = run.evaluate(thread, exit_node.return_content)
    run.complete_node(thread, node_run, None)


def _pass_through(run: Runner, thread: ThreadRun, node_run: NodeRun, _node: object) -> None:
    run.complete_node(thread, node_run, None)


# What arriving at each node type does; the node's type-specific part is passed in.
_ARRIVALS: dict[str, Callable[[Runner, ThreadRun, NodeRun, Any], object]] = {
    "entrypoint": _pass_through,
    "nop": _pass_through,
    "exit": _arrive_exit,
    "task": tasks.arrive,
    "external_event": waits.arrive_external_event,
    "sleep": waits.arrive_sleep,
    "start_thread": threads.arrive_start_thread,
    "start_multiple_threads": threads.arrive_start_multiple,
    "wait_for_threads": threads.arrive_wait_for_threads,
    "wait_for_condition": signals.poll_wait_for_condition,
    "throw_event": signals.arrive_throw_event,
    "run_child_wf": signals.arrive_run_child_wf,
    "wait_for_child_wf": signals.arrive_wait_for_child_wf,
    "user_task": user_tasks.arrive,
}

_HALTED = ("HALTING", "HALTED")
_SELF_HALTS = ("failure:", "interrupt:")

# Nodes re-checked on every pass: their outcome depends on other threads (a
# USER_TASK's run may be DONE or CANCELLED while its thread was halted).
_POLLED = ("wait_for_threads", "user_task")
# Nodes re-checked when a variable in their thread's or an ancestor's scope
# was written: a WAIT_FOR_CONDITION, a SLEEP until a variable's timestamp
# (which moves with the variable). Nothing else they read can change.
_WATCHING = ("wait_for_condition", "sleep")
_REVISITED = _POLLED + _WATCHING
# Watching threads are found down from the written scopes once at least one
# thread in this many watches; up from each watching thread below that.
WALK_DOWN_SHARE = 4


def _at(thread: ThreadRun, kinds: tuple[str, ...]) -> bool:
    """Whether the thread waits, RUNNING, at a node of one of ``kinds``."""
    current = thread.current
    return (
        not thread.ended
        and current is not None
        and current.status == "RUNNING"
        and current.kind in kinds
    )


def _may_move(thread: ThreadRun) -> bool:
    """Whether ``advance`` could change this thread (read-only, so nothing is copied)."""
    if thread.ended:
        return False
    if thread.handling is not None or thread.interrupt_thread is not None:
        return True
    status = thread.status
    if status == "HALTING" or (status == "HALTED" and thread.interrupts):
        return True
    current = thread.current
    return (
        status == "RUNNING"
        and current is not None
        and (
            current.status == "COMPLETED"
            or (current.kind in _REVISITED if current.status == "RUNNING" else current.handled)
        )
    )


def _format(template: str, args: list[str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(args):
            raise VarSubError(
                f"format string {template!r} uses {{{index}}} but has {len(args)} args"
            )
        return args[index]

    return _FORMAT_ARG.sub(substitute, template)
