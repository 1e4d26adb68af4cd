"""WfSpec migration in the pure core: a waiting WfRun moves to another version, node by node.

Mirrors LittleHorse's e2e ``WorkflowMigrationTest`` (migrating from an
EXTERNAL_EVENT, a SLEEP and a WAIT_FOR_CONDITION node; a child thread; migration
variables) with Canter's whole-WfRun rule: every live thread moves, or none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from canter_engine.core import Blueprint
from canter_engine.core.events import (
    MigrationRequested,
    from_journal,
    to_journal,
)
from canter_engine.core.migration import blockers, moves, problem
from canter_engine.model.spec import WfSpec, WfSpecId
from google.protobuf.json_format import ParseDict
from littlehorse.model import Comparator, UserTaskRun
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

EVENTS = {"go", "other"}
TASKS: dict[str, tuple[str, ...]] = {"v1-task": (), "v2-task": (), "after": ()}


def version(h: Harness, fn: Callable[[WorkflowThread], None], major: int) -> Blueprint:
    """Version ``major`` of the harness's WfSpec, compiled by LittleHorse's SDK."""
    other = Harness(fn, tasks=TASKS, events=EVENTS)
    spec = other.bp.spec
    return Blueprint(
        WfSpec(
            id=WfSpecId(name=spec.id.name, major_version=major),
            thread_specs=spec.thread_specs,
            entrypoint_thread_name=spec.entrypoint_thread_name,
        ),
        {**h.bp.task_defs, **other.bp.task_defs},
    )


def migration(
    nodes: dict[str, str], major: int = 1, threads: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A ``WfSpecVersionMigration`` JSON moving the entrypoint thread."""
    thread_moves = (
        threads
        if threads is not None
        else {
            "entrypoint": {
                "newThreadSpecName": "entrypoint",
                "nodeMigrations": {old: {"newNodeName": new} for old, new in nodes.items()},
            }
        }
    )
    return {"newMajorVersion": major, "threadSpecMigrations": thread_moves}


def migrate(
    h: Harness, bp: Blueprint, body: dict[str, Any], variables: dict[str, Any] | None = None
) -> bool:
    """Apply a migration as the scheduler does: with the new version's blueprint."""
    event = MigrationRequested(h.tick(), (0, 0), body, variables=variables or {})
    old_bp, h.bp = h.bp, bp
    applied = h.apply(event).applied
    if not applied:
        h.bp = old_bp
    return applied


def v1(wf: WorkflowThread) -> None:
    wf.wait_for_event("go")
    wf.execute("v1-task")


def v2(wf: WorkflowThread) -> None:
    wf.wait_for_event("go")
    wf.execute("v2-task")
    wf.execute("after")


def started(fn: Callable[[WorkflowThread], None] = v1) -> Harness:
    h = Harness(fn, tasks=TASKS, events=EVENTS)
    h.run()
    return h


def test_a_run_waiting_for_an_event_moves_to_v2_and_completes_along_v2() -> None:
    h = started()
    bp2 = version(h, v2, 1)
    ee = "1-go-EXTERNAL_EVENT"
    assert migrate(h, bp2, migration({ee: ee}))
    assert h.state is not None
    assert (h.state.major_version, h.state.revision) == (1, 0)
    assert h.state.old_versions == [(0, 0)]
    halted, waiting = h.node_runs()[-2:]
    assert halted["nodeName"] == ee and halted["status"] == "HALTED"
    assert waiting["nodeName"] == ee and waiting["status"] == "RUNNING"
    h.post("go")
    assert h.in_flight().scheduled_task["taskDefId"]["name"] == "v2-task"
    h.succeed()
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.path()[-3:] == ["2-v2-task-TASK", "3-after-TASK", "4-exit-EXIT"]


def test_an_event_node_can_map_to_a_task_node() -> None:
    """shouldMigrateWfRunFromExternalEventToTask: the task is dispatched at once."""
    h = started()
    bp2 = version(h, v2, 1)
    assert migrate(h, bp2, migration({"1-go-EXTERNAL_EVENT": "2-v2-task-TASK"}))
    assert h.in_flight().scheduled_task["taskDefId"]["name"] == "v2-task"
    assert h.in_flight().scheduled_task["source"]["wfSpecId"]["majorVersion"] == 1


def test_a_sleeping_run_moves_and_its_old_timer_changes_nothing() -> None:
    """shouldMigrateWfRunFromSleepToTask."""

    def sleeper(wf: WorkflowThread) -> None:
        wf.sleep(300)

    h = started(sleeper)
    bp2 = version(h, v2, 1)
    assert migrate(h, bp2, migration({"1-sleep-SLEEP": "2-v2-task-TASK"}))
    assert not h.fire("SLEEP").applied
    h.succeed()
    h.succeed()
    assert h.status == "COMPLETED"


def test_a_wait_for_condition_moves() -> None:
    """shouldMigrateFromWaitForCondition: a condition that never holds is left behind."""

    def waits(wf: WorkflowThread) -> None:
        counter = wf.declare_int("counter").with_default(1)
        wf.wait_for_condition(wf.condition(counter, Comparator.EQUALS, 0))

    h = started(waits)
    bp2 = version(h, v2, 1)
    assert migrate(
        h, bp2, migration({"1-wait-for-condition-WAIT_FOR_CONDITION": "1-go-EXTERNAL_EVENT"})
    )
    h.post("go")
    assert h.in_flight().scheduled_task["taskDefId"]["name"] == "v2-task"


def test_a_run_at_an_unmapped_node_stays_and_says_why() -> None:
    h = started()
    bp2 = version(h, v2, 1)
    body = migration({}, threads={"entrypoint": {"newThreadSpecName": "entrypoint"}})
    assert h.state is not None
    assert blockers(h.state, moves(body), bp2) == [
        "ThreadRun 0 (entrypoint) is at node '1-go-EXTERNAL_EVENT', which the migration "
        "does not map"
    ]
    assert not migrate(h, bp2, body)
    assert (h.state.major_version, h.state.revision) == (0, 0)
    h.post("go")
    assert h.in_flight().scheduled_task["taskDefId"]["name"] == "v1-task"


def test_a_thread_running_a_task_cannot_move() -> None:
    h = started()
    h.post("go")
    bp2 = version(h, v2, 1)
    body = migration({"2-v1-task-TASK": "2-v2-task-TASK"})
    assert h.state is not None
    (reason,) = blockers(h.state, moves(body), bp2)
    assert "a TASK node; only a thread waiting at EXTERNAL_EVENT" in reason
    assert not migrate(h, bp2, body)


def test_migrating_twice_changes_nothing_the_second_time() -> None:
    h = started()
    bp2 = version(h, v2, 1)
    ee = "1-go-EXTERNAL_EVENT"
    assert migrate(h, bp2, migration({ee: ee}))
    assert not migrate(h, bp2, migration({ee: ee}))
    assert h.state is not None and h.state.old_versions == [(0, 0)]


def test_a_finished_run_is_untouched() -> None:
    h = started()
    h.post("go")
    h.succeed()
    assert h.status == "COMPLETED"
    bp2 = version(h, v2, 1)
    assert not migrate(h, bp2, migration({"1-go-EXTERNAL_EVENT": "1-go-EXTERNAL_EVENT"}))


def test_a_child_thread_without_a_mapping_keeps_the_whole_run_where_it_is() -> None:
    def parent(wf: WorkflowThread) -> None:
        wf.spawn_thread(lambda t: t.wait_for_event("other"), "child", {})
        wf.wait_for_event("go")

    h = started(parent)
    bp2 = version(h, parent, 1)
    ee, other = "2-go-EXTERNAL_EVENT", "1-other-EXTERNAL_EVENT"
    body = migration({ee: ee})
    assert h.state is not None
    assert blockers(h.state, moves(body), bp2) == [
        "ThreadRun 1 (child): the migration does not map ThreadSpec 'child'"
    ]
    both = migration(
        {},
        threads={
            "entrypoint": {
                "newThreadSpecName": "entrypoint",
                "nodeMigrations": {ee: {"newNodeName": ee}},
            },
            "child": {
                "newThreadSpecName": "child",
                "nodeMigrations": {other: {"newNodeName": other}},
            },
        },
    )
    assert migrate(h, bp2, both)
    assert h.thread(1).current.node_name == "1-other-EXTERNAL_EVENT"


def test_variables_are_kept_added_with_defaults_and_set_by_migration_variables() -> None:
    def old(wf: WorkflowThread) -> None:
        wf.declare_str("name")
        wf.wait_for_event("go")

    def new(wf: WorkflowThread) -> None:
        wf.declare_str("name")
        wf.declare_int("tries").with_default(3)
        wf.declare_str("note")
        wf.wait_for_event("go")

    h = started(old)
    h.state.variables[0]["name"] = "ann"  # type: ignore[union-attr]
    bp2 = version(h, new, 1)
    ee = "1-go-EXTERNAL_EVENT"
    body = migration({ee: ee})
    variables = {"entrypoint": {"note": {"literalValue": {"str": "moved"}}}}
    assert migrate(h, bp2, body, variables)
    assert h.variables == {"name": "ann", "tries": 3, "note": "moved"}


def test_a_migration_variable_of_the_wrong_type_fails_the_new_node() -> None:
    def new(wf: WorkflowThread) -> None:
        wf.declare_int("tries")
        wf.wait_for_event("go")

    h = started()
    bp2 = version(h, new, 1)
    ee = "1-go-EXTERNAL_EVENT"
    variables = {"entrypoint": {"tries": {"literalValue": {"str": "many"}}}}
    assert migrate(h, bp2, migration({ee: ee}), variables)
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert "Failed applying migration variable 'tries'" in h.failure()["message"]


def test_a_kept_value_that_does_not_fit_the_new_type_blocks() -> None:
    def old(wf: WorkflowThread) -> None:
        wf.declare_str("count").with_default("x")
        wf.wait_for_event("go")

    def new(wf: WorkflowThread) -> None:
        wf.declare_int("count")
        wf.wait_for_event("go")

    h = started(old)
    bp2 = version(h, new, 1)
    ee = "1-go-EXTERNAL_EVENT"
    assert h.state is not None
    assert blockers(h.state, moves(migration({ee: ee})), bp2) == [
        "ThreadRun 0 (entrypoint): variable 'count' holds STR but 'entrypoint' declares it INT"
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (migration({}, threads={}), "threadMigrations cannot be null or empty"),
        (
            migration({}, threads={"nope": {"newThreadSpecName": "entrypoint"}}),
            "Source WfSpec has no threadSpec nope",
        ),
        (
            migration({}, threads={"entrypoint": {"newThreadSpecName": "nope"}}),
            "Destination WfSpec has no threadSpec nope",
        ),
        (
            migration({"9-nope": "1-go-EXTERNAL_EVENT"}),
            "ThreadSpec entrypoint on source WfSpec does not have node 9-nope",
        ),
        (
            migration({"1-go-EXTERNAL_EVENT": "9-nope"}),
            "ThreadSpec entrypoint on destination WfSpec does not have node 9-nope",
        ),
        (
            migration({"0-entrypoint-ENTRYPOINT": "1-go-EXTERNAL_EVENT"}),
            "Cannot migrate from node 0-entrypoint-ENTRYPOINT on source thread entrypoint "
            "because ENTRYPOINT nodes are not migratable",
        ),
        (
            migration({"1-go-EXTERNAL_EVENT": "4-exit-EXIT"}),
            "Cannot migrate to node 4-exit-EXIT on destination thread entrypoint because "
            "EXIT nodes are not migratable",
        ),
    ],
)
def test_problems_name_what_is_wrong(body: dict[str, Any], message: str) -> None:
    h = started()
    bp2 = version(h, v2, 1)
    assert problem(h.bp.spec, bp2.spec, moves(body)) == message


def test_the_journal_form_round_trips() -> None:
    event = MigrationRequested(
        5, (0, 1), migration({"a": "b"}), plan="p", variables={"entrypoint": {}}
    )
    assert from_journal(to_journal(event)) == event


def test_a_run_waiting_for_a_person_moves_and_the_user_task_is_cancelled() -> None:
    """shouldMigrateFromUserTask: the old UserTaskRun leaves the person's inbox."""

    def person(wf: WorkflowThread) -> None:
        wf.assign_user_task("approve", user_id="alice")

    h = started(person)
    bp2 = version(h, v2, 1)
    assert migrate(h, bp2, migration({"1-approve-USER_TASK": "1-go-EXTERNAL_EVENT"}))
    cancelled = h.records["usertask#0-1"]
    ParseDict(cancelled, UserTaskRun())
    assert cancelled["status"] == "CANCELLED"
    assert "migrated to ThreadSpec 'entrypoint'" in str(cancelled["events"][-1])
    assert h.node_runs()[1]["status"] == "HALTED"
    h.post("go")
    assert h.in_flight().scheduled_task["taskDefId"]["name"] == "v2-task"
