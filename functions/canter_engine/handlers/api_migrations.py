"""Migrating running WfRuns to another WfSpec version: ``MigrateWfSpec`` and the
``WorkflowMigrationPlan`` rpcs, with LittleHorse's messages.

- ``MigrateWfSpec`` checks a ``WfSpecVersionMigration`` against both versions
  (core/migration.py ``problem``), records it as the old version's
  ``migration`` (GetWfSpec shows it) and asks every running WfRun of the old
  version to move (handlers/migration_pages.py walks them a page at a time).
- ``PutWorkflowMigrationPlan`` / ``Get`` / ``Delete`` / ``Search`` keep named
  plans (store/migration_plans.py); ``ApplyWorkflowMigrationPlan`` moves one
  WfRun, with ``migrationVarsByThread``.

Either way each WfRun's move is one journalled ``MigrateWfRun`` record the
scheduler applies with the pure core (core/migration.py), as RescueThreadRun
is: the scheduler stays the one writer of WfRun state. A WfRun that cannot
move now (a thread at a node the migration does not map, or not waiting at a
long-running node) stays where it is: ApplyWorkflowMigrationPlan answers
FAILED_PRECONDITION naming each such thread and node; MigrateWfSpec's walk
logs each such WfRun with why, and they are the ones still RUNNING on the
old version, which ``canter migrate pending`` lists with where each thread
stands.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core import Blueprint, WfRunState, apply, wf_run_json
from canter_engine.core.blueprint import assignments_of
from canter_engine.core.events import MigrationRequested, to_journal
from canter_engine.core.migration import blockers, moves, problem
from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import (
    key_part,
    lh_name,
    only,
    optional_int,
    page,
    require_str,
    value,
)
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.api_search import paging
from canter_engine.handlers.migration_pages import walk_page
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.model.spec import WfSpec
from canter_engine.store import aws
from canter_engine.store.journal import RUN_EVENT_ID, unique_event_id
from canter_engine.store.metadata import Missing, StoredWfSpec
from canter_engine.store.migration_plans import MigrationPlanStore, PlanMissing

_MIGRATE_FIELDS = ("oldWfSpec", "migration")
_MIGRATION_FIELDS = ("newMajorVersion", "newRevision", "threadSpecMigrations")
_PLAN_FIELDS = ("name", "oldWfSpec", "majorVersion", "revision", "threadMigrations")
_APPLY_FIELDS = ("id", "wfRunId", "migrationVarsByThread")
_SEARCH_FIELDS = ("bookmark", "limit", "wfSpecName", "prefix")
_FINAL = ("COMPLETED", "ERROR", "EXCEPTION")


def plan_store(rt: Runtime) -> MigrationPlanStore:
    return MigrationPlanStore(aws.dynamodb(), rt.settings.metadata_table)


# --- MigrateWfSpec ------------------------------------------------------------------


def migrate_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Record the migration on the old version and ask its running WfRuns to move.

    Answers the old WfSpec, now showing ``migration``. The first page of
    running WfRuns is journalled before the answer; the rest follow through
    the timer queue (handlers/migration_pages.py).
    """
    rpc = "MigrateWfSpec"
    only(body, rpc, _MIGRATE_FIELDS)
    name, major, revision = _wf_spec_id(body, "oldWfSpec", rpc)
    migration = _version_migration(body.get("migration"), rpc)
    old = rt.metadata.get_wf_spec(name, major, revision)
    if old is None:
        raise not_found(
            f"{rpc}: Migration refers to nonexisting WfSpec {_shown(name, major, revision)}"
        )
    new_major = int(migration.get("newMajorVersion", 0))
    new_revision = int(migration.get("newRevision", 0))
    if (new_major, new_revision) == (major, revision):
        raise invalid(f"{rpc}: WfSpec {_shown(name, major, revision)} cannot migrate to itself")
    new = rt.metadata.get_wf_spec(name, new_major, new_revision)
    if new is None:
        raise not_found(
            f"{rpc}: Migration refers to nonexisting WfSpec {name} version "
            f"{new_major}.{new_revision}"
        )
    found = problem(old.spec, new.spec, moves(migration))
    if found is not None:
        raise invalid(f"{rpc}: {found}")
    recorded = old.spec.model_copy(update={"migration": migration})
    try:
        rt.metadata.replace_wf_spec(StoredWfSpec(recorded, old.task_defs))
    except Missing:
        raise not_found(f"{rpc}: WfSpec {_shown(name, major, revision)} was deleted") from None
    walk_page(rt, name, (major, revision), migration, None, _now())
    return recorded.to_json()


def _version_migration(raw: Any, rpc: str) -> dict[str, Any]:
    """A ``WfSpecVersionMigration``, its shape checked field by field."""
    if not isinstance(raw, dict):
        raise invalid(f"{rpc}: migration is required (a WfSpecVersionMigration)")
    only(raw, f"{rpc}: migration", _MIGRATION_FIELDS)
    for key in ("newMajorVersion", "newRevision"):
        optional_int(raw, key)
    if raw.get("threadSpecMigrations") in (None, {}):
        raise invalid(f"{rpc}: migration.threadSpecMigrations cannot be null or empty")
    _thread_moves(
        raw["threadSpecMigrations"], f"{rpc}: migration.threadSpecMigrations", "newThreadSpecName"
    )
    return raw


# --- WorkflowMigrationPlans ------------------------------------------------------------


def put_workflow_migration_plan(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Check and store a plan (LittleHorse's PutWorkflowMigrationPlanRequestModel)."""
    rpc = "PutWorkflowMigrationPlan"
    only(body, rpc, _PLAN_FIELDS)
    plan_name = lh_name(body.get("name"), f"{rpc}: name")
    name, major, revision = _wf_spec_id(body, "oldWfSpec", rpc)
    new_major = optional_int(body, "majorVersion") or 0
    new_revision = optional_int(body, "revision") or 0
    threads = _plan_threads(body.get("threadMigrations"), rpc)
    new = rt.metadata.get_wf_spec(name, new_major, new_revision)
    if new is None:
        raise not_found(
            f"{rpc}: Destination WfSpec {_shown(name, new_major, new_revision)} does not exist"
        )
    old = rt.metadata.get_wf_spec(name, major, revision)
    if old is None:
        raise not_found(f"{rpc}: Source WfSpec {_shown(name, major, revision)} does not exist")
    found = problem(old.spec, new.spec, moves(_as_version_migration(threads, 0, 0)))
    if found is not None:
        raise invalid(f"{rpc}: {found}")
    dependencies = _dependencies(old.spec, new.spec, threads, rpc)
    plan = {
        "workflowMigrationPlanId": {"name": plan_name},
        "createdAt": values.format_timestamp(_now()),
        "threadMigrations": {
            old_thread: _prune(
                {
                    "newThreadName": thread["newThreadName"],
                    "nodeMigrations": thread.get("nodeMigrations") or {},
                    "threadSpecDependencies": dependencies[old_thread],
                }
            )
            for old_thread, thread in threads.items()
        },
        "oldWfSpec": _spec_id_json(name, major, revision),
        "majorVersion": new_major,
        "revision": new_revision,
    }
    plan = _prune(plan)
    plan_store(rt).put(plan)
    return plan


def get_workflow_migration_plan(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "GetWorkflowMigrationPlan", ("name",))
    return _existing_plan(rt, require_str(body, "name"))


def delete_workflow_migration_plan(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "DeleteWorkflowMigrationPlan", ("id",))
    plan = _existing_plan(rt, require_str(body, "id", "name"))
    try:
        plan_store(rt).delete(plan)
    except PlanMissing:
        raise not_found(f"WorkflowMigrationPlan {plan_name(plan)!r} does not exist") from None
    return {}


def search_workflow_migration_plan(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """By the old WfSpec's name, or by a prefix of the plan's name (one or the other)."""
    rpc = "SearchWorkflowMigrationPlan"
    only(body, rpc, _SEARCH_FIELDS)
    if "wfSpecName" in body and "prefix" in body:
        raise invalid(f"{rpc}: give wfSpecName or prefix, not both (they are a oneof)")
    spec_name = body.get("wfSpecName")
    if spec_name is not None:
        spec_name = require_str(body, "wfSpecName")
    prefix = body.get("prefix", "")
    if not isinstance(prefix, str):
        raise invalid(f"{rpc}: prefix must be a string")
    prefix = key_part(prefix, f"{rpc}: prefix")
    limit, bookmark = paging(body, rpc)
    try:
        names, next_bookmark = plan_store(rt).search(spec_name, prefix, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    return page([{"name": one} for one in names], next_bookmark)


def apply_workflow_migration_plan(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Journal the move of one WfRun; answer the WfRun as the move makes it.

    LittleHorse's ApplyWorkflowMigrationRequestModel checks, in its order
    and with its codes, then Canter's whole-WfRun rule: a WfRun a thread of
    which cannot move now is refused with FAILED_PRECONDITION naming where
    each such thread stands. The answer is the pure core's transition of the
    WfRun as last committed, the same the scheduler then applies.
    """
    rpc = "ApplyWorkflowMigrationPlan"
    only(body, rpc, _APPLY_FIELDS)
    name = require_str(body, "id", "name")
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    variables = _migration_vars(body.get("migrationVarsByThread"), rpc)
    run_record = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    head = rt.state.load_head(wf_run_id)
    if run_record is None or head is None:
        raise not_found(f"{rpc}: Couldn't find WfRun {wf_run_id}")
    state = WfRunState.from_item(head.state)
    if state.status in _FINAL:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"{rpc}: WfRun {wf_run_id} has status {state.status} and cannot be migrated",
        )
    plan = plan_store(rt).get(name)
    if plan is None:
        raise not_found(f"{rpc}: Couldn't find WorkflowMigrationPlan {name}")
    old_id = plan["oldWfSpec"]
    old_version = (int(old_id.get("majorVersion", 0)), int(old_id.get("revision", 0)))
    if (state.spec_name, state.major_version, state.revision) != (old_id["name"], *old_version):
        raise ApiError(
            "FAILED_PRECONDITION",
            f"{rpc}: WfRun {wf_run_id} is on WfSpec "
            f"{_shown(*state.spec_id)}, not plan {name}'s source WfSpec "
            f"{_shown(old_id['name'], *old_version)}",
        )
    migration = _as_version_migration(
        plan["threadMigrations"], int(plan.get("majorVersion", 0)), int(plan.get("revision", 0))
    )
    new_id = (state.spec_name, int(plan.get("majorVersion", 0)), int(plan.get("revision", 0)))
    new = rt.metadata.get_wf_spec(*new_id)
    if new is None:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"{rpc}: Destination WfSpec {_shown(*new_id)} for migration plan {name} no "
            "longer exists",
        )
    _check_migration_vars(variables, plan, new.spec, name, rpc)
    bp = Blueprint(new.spec, new.task_defs)
    stuck = blockers(state, moves(migration), bp)
    if stuck:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"{rpc}: WfRun {wf_run_id} cannot be migrated now: {'; '.join(stuck)}",
        )
    now = _now()
    event = MigrationRequested(now, old_version, migration, plan=name, variables=variables)
    transition = apply(bp, state, event)
    rt.journal.append(
        wf_run_id,
        unique_event_id("migrate", now),
        to_journal(event),
        run_record.incarnation or "",
    )
    return wf_run_json(transition.state if transition.state is not None else state)


def plan_name(plan: dict[str, Any]) -> str:
    return str(plan["workflowMigrationPlanId"]["name"])


def _existing_plan(rt: Runtime, name: str) -> dict[str, Any]:
    plan = plan_store(rt).get(name)
    if plan is None:
        raise not_found(f"WorkflowMigrationPlan {name!r} does not exist")
    return plan


def _plan_threads(raw: Any, rpc: str) -> dict[str, dict[str, Any]]:
    """``threadMigrations``: old ThreadSpec -> ``ThreadMigrationPlanRequest``."""
    if raw in (None, {}):
        raise invalid(f"{rpc}: threadMigrations cannot be null or empty")
    return _thread_moves(raw, f"{rpc}: threadMigrations", "newThreadName")


def _thread_moves(raw: Any, where: str, thread_key: str) -> dict[str, dict[str, Any]]:
    """Old ThreadSpec -> its move, each checked (``thread_key`` names the new thread)."""
    threads = _object(raw, where)
    for old, thread in threads.items():
        at = f"{where}.{old}"
        thread = _object(thread, at)
        only(thread, at, (thread_key, "nodeMigrations"))
        _text(thread.get(thread_key), f"{at}.{thread_key}")
        _node_migrations(thread.get("nodeMigrations"), f"{at}.nodeMigrations")
    return threads


def _as_version_migration(
    threads: dict[str, dict[str, Any]], major: int, revision: int
) -> dict[str, Any]:
    """A plan's thread migrations as the ``WfSpecVersionMigration`` the core applies."""
    return _prune(
        {
            "newMajorVersion": major,
            "newRevision": revision,
            "threadSpecMigrations": {
                old: _prune(
                    {
                        "newThreadSpecName": thread["newThreadName"],
                        "nodeMigrations": thread.get("nodeMigrations") or {},
                    }
                )
                for old, thread in threads.items()
            },
        }
    )


def _dependencies(
    old: WfSpec, new: WfSpec, threads: dict[str, dict[str, Any]], rpc: str
) -> dict[str, list[str]]:
    """Each thread migration's ``threadSpecDependencies`` (LittleHorse's validateVariables).

    A variable the destination ThreadSpec uses that the source ThreadSpec (or
    the entrypoint, every thread's ancestor) does not declare must be declared
    by the destination itself or by another destination of the plan.
    """
    owners: dict[str, str] = {}
    for thread_name, thread_spec in new.thread_specs.items():
        for declared in thread_spec.variable_defs:
            if declared.access_level != "INHERITED_VAR":
                owners.setdefault(declared.var_def.name, thread_name)
    destinations = {thread["newThreadName"] for thread in threads.values()}
    entry = {v.var_def.name for v in old.thread_specs[old.entrypoint_thread_name].variable_defs}
    found: dict[str, list[str]] = {}
    for old_name, thread in threads.items():
        new_name = thread["newThreadName"]
        in_scope = entry | {v.var_def.name for v in old.thread_specs[old_name].variable_defs}
        used = sorted(
            {
                a.variable_name
                for node in new.thread_specs[new_name].nodes.values()
                for a in assignments_of(node)
                if a.variable_name is not None
            }
            | {
                m.lhs_name
                for node in new.thread_specs[new_name].nodes.values()
                for edge in node.outgoing_edges
                for m in edge.variable_mutations
            }
        )
        needs: list[str] = []
        for var in used:
            if var in in_scope:
                continue
            owner = owners.get(var)
            if owner is None:
                raise not_found(
                    f"{rpc}: The variable '{var}' is used by destination thread '{new_name}' "
                    "but is not defined by any thread in the new WfSpec"
                )
            if owner == new_name:
                continue
            if owner not in destinations:
                raise ApiError(
                    "FAILED_PRECONDITION",
                    f"{rpc}: The variable '{var}' is required by destination thread "
                    f"'{new_name}' but the thread that defines it ('{owner}') is not included "
                    "in this migration plan",
                )
            if owner not in needs:
                needs.append(owner)
        found[old_name] = needs
    return found


def _migration_vars(raw: Any, rpc: str) -> dict[str, dict[str, Any]]:
    """``migrationVarsByThread``: thread -> ``MigrationVars.varAssignmentByVarName``."""
    if raw is None:
        return {}
    threads = _object(raw, f"{rpc}: migrationVarsByThread")
    found: dict[str, dict[str, Any]] = {}
    for thread, migration_vars in threads.items():
        where = f"{rpc}: migrationVarsByThread.{thread}"
        migration_vars = _object(migration_vars, where)
        only(migration_vars, where, ("varAssignmentByVarName",))
        assignments = _object(
            migration_vars.get("varAssignmentByVarName", {}), f"{where}.varAssignmentByVarName"
        )
        for var, assignment in assignments.items():
            here = f"{where}.varAssignmentByVarName.{var}"
            assignment = _object(assignment, here)
            if set(assignment) == {"literalValue"}:
                value(assignment["literalValue"], f"{here}.literalValue")
            elif set(assignment) == {"variableName"}:
                _text(assignment["variableName"], f"{here}.variableName")
            else:
                raise invalid(
                    f"{here}: a migration variable is a literalValue or a variableName; "
                    f"{', '.join(sorted(assignment)) or 'nothing'} is not supported"
                )
        found[thread] = assignments
    return found


def _check_migration_vars(
    variables: dict[str, dict[str, Any]],
    plan: dict[str, Any],
    new: WfSpec,
    name: str,
    rpc: str,
) -> None:
    """LittleHorse's validateMigrationVars: destination threads, declared names, literal types."""
    destinations = {t["newThreadName"] for t in plan["threadMigrations"].values()}
    for thread, assignments in variables.items():
        if thread not in destinations:
            raise invalid(
                f"{rpc}: Migration variables provided for thread '{thread}', which is not a "
                f"destination thread in migration plan {name}"
            )
        declared = {v.var_def.name: v for v in new.thread_specs[thread].variable_defs}
        for var, assignment in assignments.items():
            var_def = declared.get(var)
            if var_def is None:
                raise invalid(
                    f"{rpc}: Migration variable '{var}' is not in scope of destination thread "
                    f"'{thread}'"
                )
            literal = assignment.get("literalValue")
            var_type = var_def.var_def.var_type
            if literal is not None and not values.fits(values.decode(literal), var_type):
                raise invalid(
                    f"{rpc}: Migration variable '{var}' on thread '{thread}' has a value "
                    f"incompatible with its declared type {var_type}"
                )


def _node_migrations(raw: Any, where: str) -> None:
    for node, migration in _object({} if raw is None else raw, where).items():
        here = f"{where}.{node}"
        migration = _object(migration, here)
        only(migration, here, ("newNodeName",))
        _text(migration.get("newNodeName"), f"{here}.newNodeName")


def _wf_spec_id(body: dict[str, Any], key: str, rpc: str) -> tuple[str, int, int]:
    raw = body.get(key)
    if not isinstance(raw, dict):
        raise invalid(f"{rpc}: {key} is required (a WfSpecId)")
    only(raw, f"{rpc}: {key}", ("name", "majorVersion", "revision"))
    name = require_str(body, key, "name")
    return name, optional_int(raw, "majorVersion") or 0, optional_int(raw, "revision") or 0


def _object(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise invalid(f"{where} must be an object")
    return raw


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise invalid(f"{where} is required (a non-empty string)")
    return raw


def _spec_id_json(name: str, major: int, revision: int) -> dict[str, Any]:
    return _prune({"name": name, "majorVersion": major, "revision": revision})


def _shown(name: str, major: int, revision: int) -> str:
    return f"{name} v{major}.{revision}"


def _prune(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if v not in (None, "", 0, [], {})}


def _now() -> int:
    return int(time.time() * 1000)
