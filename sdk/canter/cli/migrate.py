"""``canter migrate``: move running WfRuns to another version of their WfSpec.

``canter migrate wfspec`` is LittleHorse's MigrateWfSpec (every running WfRun
of a version); ``canter migrate plan put|get|search|delete`` and ``canter
migrate apply`` are its WorkflowMigrationPlans (one WfRun at a time, with
migration variables). ``canter migrate pending`` reports the WfRuns a
migration left where they were, with where each thread stands and why it
did not move.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer
from rich.table import Table

from canter.cli.common import ApiUrl, AsJson, connect, fail, out, print_json
from canter.cli.render import node_kind
from canter.cli.values import BadValue, parse_value
from canter.client import Client

app = typer.Typer(
    help="Move running WfRuns to another WfSpec version, node by node "
    "(LittleHorse's MigrateWfSpec and WorkflowMigrationPlans).",
    no_args_is_help=True,
)
plan_app = typer.Typer(help="Named migration plans, applied one WfRun at a time.")
app.add_typer(plan_app, name="plan")

# LittleHorse's NodeModel.isLongRunning: the nodes a waiting thread can be moved from.
LONG_RUNNING = ("EXTERNAL_EVENT", "USER_TASK", "WAIT_FOR_CONDITION", "WAIT_FOR_THREADS", "SLEEP")
_ENDED = ("COMPLETED", "ERROR", "EXCEPTION")

WfSpecName = Annotated[str, typer.Argument(metavar="WFSPEC", help="Name of the WfSpec")]
FromVersion = Annotated[
    str, typer.Option("--from", metavar="MAJOR.REVISION", help="The version WfRuns move from")
]
ToVersion = Annotated[
    str, typer.Option("--to", metavar="MAJOR.REVISION", help="The version WfRuns move to")
]
Nodes = Annotated[
    list[str],
    typer.Option(
        "--node",
        metavar="[THREAD:]OLD=NEW",
        help="A node of the old version and the node of the new one its threads move to "
        "(THREAD: the old ThreadSpec, default the entrypoint); repeat for each node",
    ),
]
Threads = Annotated[
    list[str] | None,
    typer.Option(
        "--thread",
        metavar="OLD=NEW",
        help="A ThreadSpec of the old version and the one of the new version it becomes "
        "(default: each ThreadSpec named in --node keeps its name)",
    ),
]
PlanName = Annotated[str, typer.Argument(metavar="PLAN", help="The WorkflowMigrationPlan's name")]


@app.command("wfspec")
def wfspec(
    wf_spec: WfSpecName,
    old: FromVersion,
    new: ToVersion,
    nodes: Nodes,
    threads: Threads = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Move every running WfRun of WFSPEC version --from to version --to.

    A WfRun moves when every live thread of it waits at a node the migration
    maps (EXTERNAL_EVENT, USER_TASK, WAIT_FOR_CONDITION, WAIT_FOR_THREADS or
    SLEEP); the others stay, and `canter migrate pending` lists them.

    Example: canter migrate wfspec orders --from 0.0 --to 1.0 --node 1-a-SLEEP=1-b-SLEEP
    """
    client = connect(api_url)
    old_version, new_version = _version(old, "--from"), _version(new, "--to")
    moves = _thread_migrations(client, wf_spec, old_version, nodes, threads, "newThreadSpecName")
    spec = client.migrate_wf_spec(wf_spec, old_version, new_version, moves)
    if as_json:
        print_json(spec)
        return
    out.print(
        f"WfSpec {wf_spec} v{old}: migration to v{new} recorded; its running WfRuns are "
        f"moving (see: canter migrate pending {wf_spec} --from {old})"
    )


@app.command("pending")
def pending(
    wf_spec: WfSpecName,
    old: FromVersion,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """List the running WfRuns still on version --from, and why each has not moved.

    After `canter migrate wfspec`, these are the WfRuns the migration left where
    they were: each live thread with its node and the reason.

    Example: canter migrate pending orders --from 0.0
    """
    client = connect(api_url)
    old_version = _version(old, "--from")
    migration = client.get_wf_spec(wf_spec, *old_version).get("migration", {})
    moves = migration.get("threadSpecMigrations", {})
    rows = [
        (wf_run_id, thread, node, reason)
        for wf_run_id in _running(client, wf_spec, old_version)
        for thread, node, reason in _stuck(client, wf_run_id, moves)
    ]
    if as_json:
        print_json(
            {
                "pending": [
                    {"wfRunId": r, "threadRunNumber": t, "nodeName": n, "reason": why}
                    for r, t, n, why in rows
                ]
            }
        )
        return
    if not rows:
        out.print(f"No running WfRun of {wf_spec} v{old} is waiting to move")
        return
    table = Table("WfRun", "Thread", "Node", "Why it has not moved")
    for wf_run_id, thread, node, reason in rows:
        table.add_row(wf_run_id, str(thread), node, reason)
    out.print(table)


@app.command("apply")
def apply(
    plan: PlanName,
    wf_run_id: Annotated[str, typer.Argument(metavar="WFRUN", help="The WfRun to move")],
    variables: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            metavar="THREAD:NAME=VALUE",
            help="Set a variable of a destination ThreadSpec as the WfRun moves, parsed "
            "by the type the new version declares; repeat for each",
        ),
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Move one WfRun by a WorkflowMigrationPlan (LittleHorse's ApplyWorkflowMigrationPlan).

    Example: canter migrate apply approval-v1 ord-1001 --var entrypoint:note=migrated
    """
    client = connect(api_url)
    seeded = _migration_vars(client, plan, variables or [])
    wf_run = client.apply_workflow_migration_plan(plan, wf_run_id, seeded)
    if as_json:
        print_json(wf_run)
        return
    spec = wf_run["wfSpecId"]
    version = f"v{spec.get('majorVersion', 0)}.{spec.get('revision', 0)}"
    out.print(f"WfRun {wf_run_id} moves to {spec['name']} {version} by plan {plan}")


@plan_app.command("put")
def plan_put(
    plan: PlanName,
    wf_spec: WfSpecName,
    old: FromVersion,
    new: ToVersion,
    nodes: Nodes,
    threads: Threads = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Store a WorkflowMigrationPlan from WFSPEC version --from to --to.

    Example: canter migrate plan put p1 orders --from 0.0 --to 1.0 --node 1-a-SLEEP=2-b-TASK
    """
    client = connect(api_url)
    old_version, new_version = _version(old, "--from"), _version(new, "--to")
    thread_migrations = _thread_migrations(
        client, wf_spec, old_version, nodes, threads, "newThreadName"
    )
    stored = client.put_workflow_migration_plan(
        plan, wf_spec, old_version, new_version, thread_migrations
    )
    if as_json:
        print_json(stored)
        return
    out.print(f"WorkflowMigrationPlan {plan}: {wf_spec} v{old} -> v{new}")


@plan_app.command("get")
def plan_get(plan: PlanName, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """Show one WorkflowMigrationPlan.

    Example: canter migrate plan get approval-v1
    """
    stored = connect(api_url).get_workflow_migration_plan(plan)
    if as_json:
        print_json(stored)
        return
    old = stored["oldWfSpec"]
    out.print(
        f"WorkflowMigrationPlan {plan}: {old['name']} v{old.get('majorVersion', 0)}."
        f"{old.get('revision', 0)} -> v{stored.get('majorVersion', 0)}."
        f"{stored.get('revision', 0)}"
    )
    table = Table("Thread", "New thread", "Node", "New node")
    for old_thread, thread in stored["threadMigrations"].items():
        for node, to in thread.get("nodeMigrations", {}).items():
            table.add_row(old_thread, thread["newThreadName"], node, to["newNodeName"])
    out.print(table)


@plan_app.command("search")
def plan_search(
    wf_spec: Annotated[
        str | None, typer.Option("--wfspec", help="Plans from this WfSpec (its name)")
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Plans named so")] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """List plan names, one per line: of one WfSpec, or by name prefix.

    Example: canter migrate plan search --wfspec orders
    """
    client = connect(api_url)
    names: list[str] = []
    bookmark: str | None = None
    while True:
        found = client.search_workflow_migration_plan(
            wf_spec_name=wf_spec, prefix=prefix, bookmark=bookmark
        )
        names.extend(one["name"] for one in found.get("results", []))
        bookmark = found.get("bookmark")
        if not bookmark:
            break
    if as_json:
        print_json({"results": [{"name": one} for one in names]})
        return
    for one in names:
        out.print(one)


@plan_app.command("delete")
def plan_delete(plan: PlanName, api_url: ApiUrl = None) -> None:
    """Delete a WorkflowMigrationPlan (WfRuns it moved stay where they are).

    Example: canter migrate plan delete approval-v1
    """
    connect(api_url).delete_workflow_migration_plan(plan)
    out.print(f"WorkflowMigrationPlan {plan} deleted")


def _version(text: str, option: str) -> tuple[int, int]:
    major, dot, revision = text.partition(".")
    if not (major.isdigit() and (not dot or revision.isdigit())):
        raise typer.BadParameter(f"{text!r} is not MAJOR.REVISION (e.g. 1.0)", param_hint=option)
    return int(major), int(revision or 0)


def _thread_migrations(
    client: Client,
    wf_spec: str,
    old_version: tuple[int, int],
    nodes: list[str],
    threads: list[str] | None,
    thread_key: str,
) -> dict[str, dict[str, Any]]:
    """The options as LittleHorse's per-thread migrations.

    A ThreadSpecMigration names its new thread ``newThreadSpecName``; a plan's
    ThreadMigrationPlanRequest names it ``newThreadName``.
    """
    entry = client.get_wf_spec(wf_spec, *old_version)["entrypointThreadName"]
    return {
        old_thread: {
            thread_key: new_thread,
            "nodeMigrations": {o: {"newNodeName": n} for o, n in node_map.items()},
        }
        for old_thread, (new_thread, node_map) in _moves(nodes, threads, entry).items()
    }


def _moves(
    nodes: list[str], threads: list[str] | None, entrypoint: str
) -> dict[str, tuple[str, dict[str, str]]]:
    """Old ThreadSpec -> (new ThreadSpec, {old node: new node}) from the options."""
    renamed: dict[str, str] = {}
    for pair in threads or []:
        old, sep, new = pair.partition("=")
        if not (old and sep and new):
            raise typer.BadParameter(f"{pair!r} is not OLD=NEW", param_hint="--thread")
        renamed[old] = new
    moves: dict[str, tuple[str, dict[str, str]]] = {old: (new, {}) for old, new in renamed.items()}
    for pair in nodes:
        where, sep, new_node = pair.partition("=")
        thread, colon, old_node = where.rpartition(":")
        thread = thread if colon else entrypoint
        if not (old_node and sep and new_node):
            raise typer.BadParameter(f"{pair!r} is not [THREAD:]OLD=NEW", param_hint="--node")
        moves.setdefault(thread, (renamed.get(thread, thread), {}))[1][old_node] = new_node
    return moves


def _running(client: Client, wf_spec: str, version: tuple[int, int]) -> list[str]:
    ids: list[str] = []
    bookmark: str | None = None
    while True:
        page = client.search_wf_run(
            wf_spec,
            "RUNNING",
            major_version=version[0],
            revision=version[1],
            bookmark=bookmark,
        )
        ids.extend(one["id"] for one in page.get("results", []))
        bookmark = page.get("bookmark")
        if not bookmark:
            return ids


def _stuck(client: Client, wf_run_id: str, moves: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """Each live thread of the WfRun that keeps it from moving, as the engine decides."""
    found: list[tuple[int, str, str]] = []
    for thread in client.get_wf_run(wf_run_id).get("threadRuns", []):
        status = thread.get("status", "STARTING")
        if status in _ENDED:
            continue
        number, spec_name = thread.get("number", 0), thread["threadSpecName"]
        node = client.get_node_run(wf_run_id, number, thread.get("currentNodePosition", 0))
        name, kind = node["nodeName"], node_kind(node)
        move = moves.get(spec_name)
        if move is None:
            reason = f"the migration does not map ThreadSpec {spec_name!r}"
        elif status != "RUNNING" or node.get("status") != "RUNNING":
            reason = f"the thread is {status}, not waiting at a node"
        elif name not in move.get("nodeMigrations", {}):
            reason = "the migration does not map this node"
        elif kind not in LONG_RUNNING:
            reason = f"a {kind} node: only a thread waiting at {', '.join(LONG_RUNNING)} can move"
        else:
            reason = "its move is journalled and not applied yet, or a kept variable's type clashes"
        found.append((number, name, reason))
    return found


def _migration_vars(client: Client, plan: str, assignments: list[str]) -> dict[str, dict[str, Any]]:
    """``THREAD:NAME=VALUE`` options as migrationVarsByThread, typed by the new version."""
    if not assignments:
        return {}
    stored = client.get_workflow_migration_plan(plan)
    old = stored["oldWfSpec"]
    spec = client.get_wf_spec(old["name"], stored.get("majorVersion", 0), stored.get("revision", 0))
    seeded: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        where, sep, text = assignment.partition("=")
        thread, colon, name = where.partition(":")
        if not (colon and sep and thread and name):
            raise typer.BadParameter(f"{assignment!r} is not THREAD:NAME=VALUE", param_hint="--var")
        declared = {
            v["varDef"]["name"]: v["varDef"].get("typeDef", {}).get("primitiveType", "JSON_OBJ")
            for v in spec.get("threadSpecs", {}).get(thread, {}).get("variableDefs", [])
        }
        if name not in declared:
            raise fail(f"ThreadSpec {thread!r} of the new version declares no variable {name!r}")
        try:
            value = parse_value(name, declared[name], text)
        except BadValue as exc:
            raise typer.BadParameter(str(exc), param_hint="--var") from None
        seeded.setdefault(thread, {})[name] = {"literalValue": value}
    return seeded
