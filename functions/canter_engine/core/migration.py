"""Moving a running WfRun to another version of its WfSpec, node by node.

A migration (LittleHorse's ``WfSpecVersionMigration``, or a
``WorkflowMigrationPlan`` applied to one WfRun) maps each ThreadSpec of the
old version to one of the new version, and nodes of the old ThreadSpec to
nodes of the new one. As LittleHorse's ``ThreadRunModel.migrateThread``, a
thread moves only while it waits at a long-running node (EXTERNAL_EVENT,
USER_TASK, WAIT_FOR_CONDITION, WAIT_FOR_THREADS, SLEEP: ``isLongRunning``):
the NodeRun it waited at is HALTED (an open UserTaskRun is cancelled), the
thread takes the new ThreadSpec's variables (values of the same name are
kept, new ones start at their default) and the migration variables given for
it, and arrives at the mapped node of the new version, which then runs as
any node does.

Canter moves a WfRun whole, in one journalled event the scheduler applies:
every live thread moves, or, if one of them cannot (its ThreadSpec or its
current node has no mapping, it is not waiting at a long-running node, or it
is halted), none does and the WfRun stays where it is. :func:`blockers`
names why, for the API's answer and the scheduler's log. The core needs only
the new version's blueprint: the old node's kind and name are in the state.

The shape checks of a migration against the two WfSpec versions
(:func:`problem`) are pure too, shared by ``MigrateWfSpec`` and
``PutWorkflowMigrationPlan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import ForgetCorrelatedEvent
from canter_engine.core.events import MigrationRequested
from canter_engine.core.operations import VarSubError
from canter_engine.core.run import Run
from canter_engine.core.state import Failure, NodeRun, ThreadRun, VariableValue, WfRunState
from canter_engine.core.user_task_state import UserTaskRun
from canter_engine.model import values
from canter_engine.model.spec import WfSpec

# LittleHorse's NodeModel.isLongRunning: the nodes a thread can be moved away from.
LONG_RUNNING = ("external_event", "user_task", "wait_for_condition", "wait_for_threads", "sleep")
# LittleHorse's PutWorkflowMigrationPlanRequestModel.isMigratableNodeType: structural
# nodes do no work, so a migration may not start from or land on them.
_STRUCTURAL = ("entrypoint", "exit", "nop")


@dataclass(frozen=True, slots=True)
class ThreadMove:
    """Where threads of one old ThreadSpec go: a new ThreadSpec, node by node."""

    new_thread: str
    nodes: Mapping[str, str]


def moves(migration: Mapping[str, Any]) -> dict[str, ThreadMove]:
    """The thread moves of a ``WfSpecVersionMigration`` JSON, keyed by old ThreadSpec."""
    out: dict[str, ThreadMove] = {}
    for old, thread in dict(migration.get("threadSpecMigrations") or {}).items():
        nodes = {
            str(name): str((node or {}).get("newNodeName", ""))
            for name, node in dict(thread.get("nodeMigrations") or {}).items()
        }
        out[str(old)] = ThreadMove(str(thread.get("newThreadSpecName", "")), nodes)
    return out


def target(migration: Mapping[str, Any]) -> tuple[int, int]:
    """``(newMajorVersion, newRevision)`` of a ``WfSpecVersionMigration`` JSON."""
    return int(migration.get("newMajorVersion", 0)), int(migration.get("newRevision", 0))


def problem(old: WfSpec, new: WfSpec, thread_moves: Mapping[str, ThreadMove]) -> str | None:
    """Why a migration cannot map ``old`` onto ``new``; None if it can.

    LittleHorse's rules (``WfSpecVersionMigrationModel.validate`` and
    ``PutWorkflowMigrationPlanRequestModel.validateThreadMigrations``), with
    its messages: every ThreadSpec and node named exists in its version, the
    entrypoint ThreadSpec maps to the entrypoint and a child to a child, and
    no ENTRYPOINT, EXIT or NOP node is a source or destination.
    """
    if not thread_moves:
        return "threadMigrations cannot be null or empty"
    for old_name, move in thread_moves.items():
        old_thread = old.thread_specs.get(old_name)
        if old_thread is None:
            return f"Source WfSpec has no threadSpec {old_name}"
        new_thread = new.thread_specs.get(move.new_thread)
        if new_thread is None:
            return f"Destination WfSpec has no threadSpec {move.new_thread}"
        old_is_entry = old_name == old.entrypoint_thread_name
        new_is_entry = move.new_thread == new.entrypoint_thread_name
        if old_is_entry and not new_is_entry:
            return (
                f"Entrypoint thread '{old_name}' cannot migrate to non-entrypoint thread "
                f"'{move.new_thread}'"
            )
        if new_is_entry and not old_is_entry:
            return (
                f"Child thread '{old_name}' cannot migrate to entrypoint thread '{move.new_thread}'"
            )
        for old_node, new_node in move.nodes.items():
            source = old_thread.nodes.get(old_node)
            if source is None:
                return f"ThreadSpec {old_name} on source WfSpec does not have node {old_node}"
            destination = new_thread.nodes.get(new_node)
            if destination is None:
                return (
                    f"ThreadSpec {move.new_thread} on destination WfSpec does not have node "
                    f"{new_node}"
                )
            if source.kind in _STRUCTURAL:
                return (
                    f"Cannot migrate from node {old_node} on source thread {old_name} because "
                    f"{source.kind.upper()} nodes are not migratable"
                )
            if destination.kind in _STRUCTURAL:
                return (
                    f"Cannot migrate to node {new_node} on destination thread {move.new_thread} "
                    f"because {destination.kind.upper()} nodes are not migratable"
                )
    return None


def blockers(state: WfRunState, thread_moves: Mapping[str, ThreadMove], bp: Blueprint) -> list[str]:
    """Why WfRun ``state`` cannot move to ``bp``'s version now, one line per thread."""
    if state.ended:
        return [f"WfRun {state.wf_run_id!r} has status {state.status} and cannot be migrated"]
    found: list[str] = []
    for thread in state.threads.values():
        if thread.ended:
            continue
        where = f"ThreadRun {thread.number} ({thread.spec_name})"
        move = thread_moves.get(thread.spec_name)
        current = thread.current
        if move is None:
            found.append(f"{where}: the migration does not map ThreadSpec {thread.spec_name!r}")
        elif thread.status != "RUNNING" or current is None or current.status != "RUNNING":
            found.append(f"{where} is {thread.status}, not waiting at a node")
        elif current.node_name not in move.nodes:
            found.append(
                f"{where} is at node {current.node_name!r}, which the migration does not map"
            )
        elif current.kind not in LONG_RUNNING:
            found.append(
                f"{where} is at node {current.node_name!r}, a {current.kind.upper()} node; "
                "only a thread waiting at EXTERNAL_EVENT, USER_TASK, WAIT_FOR_CONDITION, "
                "WAIT_FOR_THREADS or SLEEP can move"
            )
        else:
            found.extend(_variable_clashes(state, thread, move, bp, where))
    return found


def _variable_clashes(
    state: WfRunState, thread: ThreadRun, move: ThreadMove, bp: Blueprint, where: str
) -> list[str]:
    """Kept values that do not fit the type the new version declares for them."""
    scope = state.variables.get(thread.number, {})
    clashes: list[str] = []
    for name, var in bp.threads[move.new_thread].var_defs.items():
        var_type = var.var_def.var_type
        if name in scope and not values.fits(scope[name], var_type):
            clashes.append(
                f"{where}: variable {name!r} holds {values.type_of(scope[name])} but "
                f"{move.new_thread!r} declares it {var_type}"
            )
    return clashes


def on_migrate(run: Run, event: MigrationRequested) -> bool:
    """Apply a journalled migration; False (nothing changes) if the WfRun cannot move now.

    ``run.bp`` is the new version's blueprint (the scheduler loads the
    blueprint the event names). A WfRun already on the new version, or no
    longer on the version the migration was asked for, is left alone, so a
    repeated migration is a no-op.
    """
    state = run.state
    new_version = target(event.migration)
    if (state.major_version, state.revision) != event.old_version or (
        new_version == event.old_version
    ):
        return False
    thread_moves = moves(event.migration)
    if blockers(state, thread_moves, run.bp):
        return False
    for number, seen in list(state.threads.items()):
        if seen.ended:
            if seen.spec_name in thread_moves:
                run.thread(number).spec_name = thread_moves[seen.spec_name].new_thread
            continue
        _move(run, run.thread(number), thread_moves[seen.spec_name], event)
    state.old_versions.append(event.old_version)
    state.major_version, state.revision = new_version
    return True


def _move(run: Run, thread: ThreadRun, move: ThreadMove, event: MigrationRequested) -> None:
    old = thread.current
    assert old is not None
    _halt(run, thread, old, move.new_thread)
    thread.spec_name = move.new_thread
    failure = _take_variables(run, thread, event.variables.get(move.new_thread, {}))
    run.arrive(thread, move.nodes[old.node_name])
    if failure is not None and thread.current is not None and not thread.ended:
        run.fail_node(thread, thread.current, failure)


def _halt(run: Run, thread: ThreadRun, node_run: NodeRun, new_thread: str) -> None:
    """The NodeRun the thread waited at ends HALTED, as LittleHorse's ``maybeHalt``."""
    # No longer the thread's current NodeRun, it is written as an item (not
    # kept in the head), so HALTED is its own status rather than a halt shown.
    node_run.status = "HALTED"
    node_run.halted = None
    node_run.end = run.now
    if node_run.correlation_key is not None and node_run.event_def is not None:
        run.effects.append(
            ForgetCorrelatedEvent(
                node_run.event_def, node_run.correlation_key, thread.number, node_run.position
            )
        )
    utr = node_run.user_task
    if utr is not None and not utr.terminated:
        _cancel(run, utr, f"the WfRun migrated to ThreadSpec {new_thread!r} of another version")
    run.touch(node_run)


def _cancel(run: Run, utr: UserTaskRun, message: str) -> None:
    utr.status = "CANCELLED"
    utr.timers.clear()
    utr.events.append({"time": values.format_timestamp(run.now), "cancelled": {"message": message}})
    run.records[utr.sk] = utr


def _take_variables(run: Run, thread: ThreadRun, assignments: Mapping[str, Any]) -> Failure | None:
    """Give the thread the new ThreadSpec's variables, then the migration variables.

    Values of a name both versions declare are kept; a variable the new
    version adds starts at its default (LittleHorse's
    ``createVarsForMigratedThread``); one it dropped is gone. A migration
    variable that cannot be read fails the new node with VAR_SUB_ERROR, as
    LittleHorse's ``applyMigrationVariables``.
    """
    scope = run.state.variables.get(thread.number, {})
    new_scope: dict[str, Any] = {}
    for name, var in run.bp.threads[thread.spec_name].var_defs.items():
        if name in scope:
            new_scope[name] = scope[name]
        elif var.var_def.default_value is not None:
            new_scope[name] = run.bp.literal(var.var_def.default_value)
        else:
            new_scope[name] = None
    run.replace_scope(thread.number, new_scope)
    for name, raw in assignments.items():
        try:
            value = _assigned(run, thread, raw)
        except (VarSubError, ValueError) as exc:
            return Failure("VAR_SUB_ERROR", f"Failed applying migration variable '{name}': {exc}")
        var_type = run.bp.threads[thread.spec_name].var_defs[name].var_def.var_type
        if not values.fits(value, var_type):
            return Failure(
                "VAR_SUB_ERROR",
                f"Failed applying migration variable '{name}': it is {var_type}, got "
                f"{values.type_of(value)}",
            )
        new_scope[name] = values.coerce(value, var_type)
    for name, value in new_scope.items():
        if value is not None and scope.get(name) != value:
            masked = run.bp.threads[thread.spec_name].var_defs[name].var_def.is_masked
            record = VariableValue(thread.number, name, value, masked)
            run.records[record.sk] = record
    return None


def _assigned(run: Run, thread: ThreadRun, raw: Mapping[str, Any]) -> Any:
    """A migration variable's value: a literal, or a variable of the migrated WfRun."""
    if "literalValue" in raw:
        return values.decode(raw["literalValue"], "literalValue")
    name = raw.get("variableName")
    if not isinstance(name, str):
        raise ValueError("only literalValue and variableName assignments are supported")
    return run.read_variable(thread, name)
