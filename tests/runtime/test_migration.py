"""Migrating running WfRuns through the local stack's HTTP API: MigrateWfSpec and the
WorkflowMigrationPlan rpcs (LittleHorse's e2e ``WorkflowMigrationTest``).

Workflows are compiled by Canter's builder; every answer parses into the
official ``littlehorse.model`` class.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError
from canter_engine.handlers import migration_pages
from google.protobuf.json_format import ParseDict
from littlehorse.model import WfRun, WfSpec, WorkflowMigrationPlan, WorkflowMigrationPlanIdList

from .support import Names, node_statuses, register, worker

pytestmark = pytest.mark.e2e


def _v1(go: str, task: str) -> Any:
    def body(wf: WorkflowThread) -> None:
        wf.wait_for_event(go)
        wf.execute(task)

    return body


def _v2(go: str, task: str, after: str) -> Any:
    def body(wf: WorkflowThread) -> None:
        wf.wait_for_event(go)
        wf.execute(task)
        wf.execute(after)

    return body


def _tasks(names: Names) -> dict[str, dict[str, Any]]:
    return {names(t): {} for t in ("v1", "v2", "after")}


def _versions(client: Client, names: Names) -> tuple[str, tuple[int, int]]:
    """v1 of the test's WfSpec: waits for ``go``, then runs ``v1``."""
    name, go = names("wf"), names("go")
    first = register(client, name, _v1(go, names("v1")), _tasks(names), (go,))
    return name, _version(first)


def _second(client: Client, names: Names, name: str) -> tuple[int, int]:
    """v2: waits for ``go``, then runs ``v2`` and ``after``."""
    body = _v2(names("go"), names("v2"), names("after"))
    return _version(register(client, name, body, _tasks(names)))


def _version(spec: dict[str, Any]) -> tuple[int, int]:
    return int(spec["id"].get("majorVersion", 0)), int(spec["id"].get("revision", 0))


def _ee(names: Names) -> str:
    return f"1-{names('go')}-EXTERNAL_EVENT"


def _entrypoint(nodes: dict[str, str]) -> dict[str, Any]:
    return {
        "entrypoint": {
            "newThreadSpecName": "entrypoint",
            "nodeMigrations": {old: {"newNodeName": new} for old, new in nodes.items()},
        }
    }


def _waiting(client: Client, wf_run_id: str) -> None:
    """Until the run waits at its EXTERNAL_EVENT node."""
    deadline = time.monotonic() + 20
    while [s for _, s in node_statuses(client, wf_run_id)][1:2] != ["RUNNING"]:
        assert time.monotonic() < deadline, "the run never reached its EXTERNAL_EVENT node"
        time.sleep(0.1)


def _on_version(client: Client, wf_run_id: str, version: tuple[int, int]) -> dict[str, Any]:
    """Until the scheduler applied the migration: the WfRun shows the new version."""
    deadline = time.monotonic() + 20
    while True:
        wf_run = client.get_wf_run(wf_run_id)
        if _version({"id": wf_run["wfSpecId"]}) == version:
            ParseDict(wf_run, WfRun())
            return wf_run
        assert time.monotonic() < deadline, f"{wf_run_id} never moved to {version}: {wf_run}"
        time.sleep(0.1)


def test_a_run_waiting_for_an_event_moves_to_v2_and_completes_along_v2(
    client: Client, names: Names
) -> None:
    """shouldMigrateWfRunFromExternalEventToTask's pattern, mapped EXTERNAL_EVENT to itself."""
    name, old = _versions(client, names)
    with worker(client, {names("v1"): lambda: "v1", names("v2"): lambda: "v2"}):
        done = client.run_wf(name)["id"]["id"]
        client.put_external_event(done, names("go"))
        client.wait_for_wf_run(done, ("COMPLETED",), timeout=20)
    waiting = client.run_wf(name)["id"]["id"]
    _waiting(client, waiting)
    new = _second(client, names, name)
    answer = client.migrate_wf_spec(name, old, new, _entrypoint({_ee(names): _ee(names)}))
    ParseDict(answer, WfSpec())
    assert answer["migration"]["threadSpecMigrations"]["entrypoint"]["newThreadSpecName"]
    assert client.get_wf_spec(name, *old)["migration"] == answer["migration"]
    moved = _on_version(client, waiting, new)
    assert moved["oldWfSpecVersions"] == [{"name": name}]
    assert moved["threadRuns"][0]["wfSpecId"]["name"] == name
    with worker(
        client,
        {names("v1"): lambda: "v1", names("v2"): lambda: "v2", names("after"): lambda: "after"},
    ):
        client.put_external_event(waiting, names("go"))
        client.wait_for_wf_run(waiting, ("COMPLETED",), timeout=20)
    assert node_statuses(client, waiting)[1:5] == [
        (_ee(names), "HALTED"),
        (_ee(names), "COMPLETED"),
        (f"2-{names('v2')}-TASK", "COMPLETED"),
        (f"3-{names('after')}-TASK", "COMPLETED"),
    ]
    finished = client.get_wf_run(done)
    assert _version({"id": finished["wfSpecId"]}) == old and "oldWfSpecVersions" not in finished
    # Migrating again finds no running WfRun of the old version: nothing changes.
    client.migrate_wf_spec(name, old, new, _entrypoint({_ee(names): _ee(names)}))
    time.sleep(0.5)
    assert client.get_wf_run(waiting)["oldWfSpecVersions"] == [{"name": name}]


def test_a_run_at_an_unmapped_node_stays_where_it_is_and_is_reported(
    client: Client, names: Names
) -> None:
    """No worker serves v1's task, so the run that took its event waits at the TASK node."""
    name, old = _versions(client, names)
    busy = client.run_wf(name)["id"]["id"]
    client.put_external_event(busy, names("go"))
    deadline = time.monotonic() + 20
    while len(node_statuses(client, busy)) < 3:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    waiting = client.run_wf(name)["id"]["id"]
    _waiting(client, waiting)
    new = _second(client, names, name)
    client.migrate_wf_spec(name, old, new, _entrypoint({_ee(names): _ee(names)}))
    _on_version(client, waiting, new)
    # The run at the task node has no mapping: it stays on the old version, RUNNING.
    stayed = client.get_wf_run(busy)
    assert _version({"id": stayed["wfSpecId"]}) == old
    assert stayed["status"] == "RUNNING"
    still = client.search_wf_run(name, "RUNNING", major_version=old[0], revision=old[1])
    assert {"id": busy} in still["results"]
    client.put_workflow_migration_plan(
        names("plan"), name, old, new, _plan_threads({_ee(names): _ee(names)})
    )
    with pytest.raises(CanterError) as refused:
        client.apply_workflow_migration_plan(names("plan"), busy)
    assert refused.value.code == "FAILED_PRECONDITION"
    assert (
        f"ThreadRun 0 (entrypoint) is at node '2-{names('v1')}-TASK', which the migration "
        "does not map" in refused.value.message
    )


def test_migrations_that_cannot_apply_are_refused_with_what_is_wrong(
    client: Client, names: Names
) -> None:
    name, old = _versions(client, names)
    new = _second(client, names, name)
    cases = [
        (("nope", old, new, _entrypoint({})), "NOT_FOUND", "nonexisting WfSpec nope v0.0"),
        (
            (name, old, (7, 0), _entrypoint({})),
            "NOT_FOUND",
            f"nonexisting WfSpec {name} version 7.0",
        ),
        ((name, old, old, _entrypoint({})), "INVALID_ARGUMENT", "cannot migrate to itself"),
        (
            (name, old, new, {}),
            "INVALID_ARGUMENT",
            "MigrateWfSpec: migration.threadSpecMigrations cannot be null or empty",
        ),
        (
            (name, old, new, {"nope": {"newThreadSpecName": "entrypoint"}}),
            "INVALID_ARGUMENT",
            "Source WfSpec has no threadSpec nope",
        ),
        (
            (name, old, new, _entrypoint({"9-nope": _ee(names)})),
            "INVALID_ARGUMENT",
            "ThreadSpec entrypoint on source WfSpec does not have node 9-nope",
        ),
        (
            (name, old, new, _entrypoint({_ee(names): "9-nope"})),
            "INVALID_ARGUMENT",
            "ThreadSpec entrypoint on destination WfSpec does not have node 9-nope",
        ),
        (
            (name, old, new, _entrypoint({_ee(names): "4-exit-EXIT"})),
            "INVALID_ARGUMENT",
            "EXIT nodes are not migratable",
        ),
    ]
    for args, code, message in cases:
        with pytest.raises(CanterError) as refused:
            client.migrate_wf_spec(*args)
        assert (refused.value.code, refused.value.status // 100) == (code, 4)
        assert message in refused.value.message
    assert "migration" not in client.get_wf_spec(name, *old)


def _plan_threads(nodes: dict[str, str]) -> dict[str, Any]:
    return {
        "entrypoint": {
            "newThreadName": "entrypoint",
            "nodeMigrations": {old: {"newNodeName": new} for old, new in nodes.items()},
        }
    }


def test_plans_are_put_got_searched_applied_and_deleted(client: Client, names: Names) -> None:
    """shouldMigrateWfRunFromExternalEventToTask, through a WorkflowMigrationPlan."""
    name, old = _versions(client, names)
    waiting = client.run_wf(name)["id"]["id"]
    _waiting(client, waiting)
    new = _second(client, names, name)
    plan_name = names("plan")
    v2_task = f"2-{names('v2')}-TASK"
    plan = client.put_workflow_migration_plan(
        plan_name, name, old, new, _plan_threads({_ee(names): v2_task})
    )
    ParseDict(plan, WorkflowMigrationPlan())
    assert plan["workflowMigrationPlanId"] == {"name": plan_name}
    assert client.get_workflow_migration_plan(plan_name) == plan
    by_spec = client.search_workflow_migration_plan(wf_spec_name=name)
    ParseDict(by_spec, WorkflowMigrationPlanIdList())
    assert by_spec["results"] == [{"name": plan_name}]
    by_prefix = client.search_workflow_migration_plan(prefix=plan_name[:-2])
    assert {"name": plan_name} in by_prefix["results"]
    with pytest.raises(CanterError) as not_a_destination:
        client.apply_workflow_migration_plan(
            plan_name, waiting, {"child": {"x": {"literalValue": {"int": 1}}}}
        )
    assert not_a_destination.value.code == "INVALID_ARGUMENT"
    assert "which is not a destination thread" in not_a_destination.value.message
    applied = client.apply_workflow_migration_plan(plan_name, waiting)
    ParseDict(applied, WfRun())
    assert _version({"id": applied["wfSpecId"]}) == new
    _on_version(client, waiting, new)
    with worker(client, {names("v2"): lambda: "v2", names("after"): lambda: "after"}):
        client.wait_for_wf_run(waiting, ("COMPLETED",), timeout=20)
    with pytest.raises(CanterError) as ended:
        client.apply_workflow_migration_plan(plan_name, waiting)
    assert ended.value.code == "FAILED_PRECONDITION"
    assert "has status COMPLETED and cannot be migrated" in ended.value.message
    client.delete_workflow_migration_plan(plan_name)
    for call in (
        lambda: client.get_workflow_migration_plan(plan_name),
        lambda: client.delete_workflow_migration_plan(plan_name),
        lambda: client.apply_workflow_migration_plan(plan_name, waiting),
    ):
        with pytest.raises(CanterError) as missing:
            call()
        assert missing.value.code in ("NOT_FOUND", "FAILED_PRECONDITION")
    assert client.search_workflow_migration_plan(wf_spec_name=name)["results"] == []


def test_a_plan_refuses_an_entrypoint_mapped_to_a_child(client: Client, names: Names) -> None:
    name, old = _versions(client, names)
    new = _second(client, names, name)
    with pytest.raises(CanterError) as refused:
        client.put_workflow_migration_plan(
            names("plan"), name, old, new, {"entrypoint": {"newThreadName": "nope"}}
        )
    assert refused.value.code == "INVALID_ARGUMENT"
    assert refused.value.message.endswith("Destination WfSpec has no threadSpec nope")


def test_many_running_runs_move_a_page_at_a_time(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request journals the first page; the timer queue carries the walk on."""
    monkeypatch.setattr(migration_pages, "PAGE_SIZE", 2)
    queued: list[int] = []
    walk = migration_pages.walk_message

    def counted(*args: Any) -> int:
        queued.append(walk(*args))
        return queued[-1]

    monkeypatch.setattr(migration_pages, "walk_message", counted)
    name, old = _versions(client, names)
    runs = [client.run_wf(name)["id"]["id"] for _ in range(5)]
    for wf_run_id in runs:
        _waiting(client, wf_run_id)
    new = _second(client, names, name)
    client.migrate_wf_spec(name, old, new, _entrypoint({_ee(names): _ee(names)}))
    for wf_run_id in runs:
        assert _on_version(client, wf_run_id, new)["oldWfSpecVersions"] == [{"name": name}]
    left = client.search_wf_run(name, "RUNNING", major_version=old[0], revision=old[1])
    assert left["results"] == []
    assert queued == [2, 1]  # pages two and three, after the request's first


def test_a_plan_records_the_threads_a_destination_depends_on(client: Client, names: Names) -> None:
    """LittleHorse's "thread dependency is added" and "reject when a variable in the new
    ThreadSpec will not exist at runtime": v2's child writes a variable v2's entrypoint adds."""
    name, go = names("wf"), names("go")
    child_ee = f"1-{go}-EXTERNAL_EVENT"

    def v1(wf: WorkflowThread) -> None:
        wf.spawn_thread(lambda t: t.wait_for_event(go), "child", {})
        wf.wait_for_event(go)

    def v2(wf: WorkflowThread) -> None:
        note = wf.declare_str("note")

        def child(t: WorkflowThread) -> None:
            t.wait_for_event(go)
            note.assign("child done")

        wf.spawn_thread(child, "child", {})
        wf.wait_for_event(go)

    old = _version(register(client, name, v1, events=(go,)))
    new = _version(register(client, name, v2))
    child_only = {
        "child": {"newThreadName": "child", "nodeMigrations": {child_ee: {"newNodeName": child_ee}}}
    }
    with pytest.raises(CanterError) as refused:
        client.put_workflow_migration_plan(names("child-only"), name, old, new, child_only)
    assert refused.value.code == "FAILED_PRECONDITION"
    assert refused.value.message.endswith(
        "The variable 'note' is required by destination thread 'child' but the thread that "
        "defines it ('entrypoint') is not included in this migration plan"
    )
    both = {**child_only, **_plan_threads({f"2-{go}-EXTERNAL_EVENT": f"2-{go}-EXTERNAL_EVENT"})}
    plan = client.put_workflow_migration_plan(names("both"), name, old, new, both)
    assert plan["threadMigrations"]["child"]["threadSpecDependencies"] == ["entrypoint"]
    assert "threadSpecDependencies" not in plan["threadMigrations"]["entrypoint"]
