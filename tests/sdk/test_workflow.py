"""``Workflow``: definition when constructed, compilation as often as wanted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from canter import ExponentialBackoff, Workflow, WorkflowDefinitionError, WorkflowThread

from .helpers import raises_at


def entrypoint(t: WorkflowThread) -> None:
    t.execute("only-task", t.declare_str("name"))


def test_compile_is_a_fresh_put_wf_spec_request_each_time() -> None:
    workflow = Workflow("greeting", entrypoint)
    first = workflow.compile()
    first["threadSpecs"]["entrypoint"]["nodes"].clear()
    assert workflow.compile() == {
        "name": "greeting",
        "entrypointThreadName": "entrypoint",
        "threadSpecs": {
            "entrypoint": {
                "nodes": {
                    "0-entrypoint-ENTRYPOINT": {
                        "entrypoint": {},
                        "outgoingEdges": [{"sinkNodeName": "1-only-task-TASK"}],
                    },
                    "1-only-task-TASK": {
                        "task": {
                            "taskDefId": {"name": "only-task"},
                            "variables": [{"variableName": "name"}],
                        },
                        "outgoingEdges": [{"sinkNodeName": "2-exit-EXIT"}],
                    },
                    "2-exit-EXIT": {"exit": {}},
                },
                "variableDefs": [
                    {
                        "varDef": {"name": "name", "typeDef": {"primitiveType": "STR"}},
                        "accessLevel": "PRIVATE_VAR",
                    }
                ],
            }
        },
    }


def test_mistakes_surface_when_the_workflow_is_constructed() -> None:
    def broken(t: WorkflowThread) -> None:
        t.declare_int("n", "not a number")  # type: ignore[arg-type]  # at-definition

    with raises_at("at-definition", "default value 'not a number'"):
        Workflow("broken", broken)


def test_name_and_entrypoint_are_checked() -> None:
    with pytest.raises(WorkflowDefinitionError, match="a workflow name must be a non-empty str"):
        Workflow("", entrypoint)
    with pytest.raises(WorkflowDefinitionError, match="needs a function taking a WorkflowThread"):
        Workflow("x", "entrypoint")  # type: ignore[arg-type]


def two_threads(t: WorkflowThread) -> None:
    t.execute("parent-task")
    t.spawn_thread(lambda c: c.execute("child-task", retries=0), "child")


def task_nodes(workflow: Workflow) -> dict[str, dict[str, Any]]:
    return {
        name: node["task"]
        for thread in workflow.compile()["threadSpecs"].values()
        for name, node in thread["nodes"].items()
        if "task" in node
    }


def test_task_defaults_set_after_the_threads_apply_to_every_thread() -> None:
    """Each setting a task leaves out takes the default; ``retries=0`` keeps its own 0."""
    workflow = Workflow("defaults", two_threads).with_retry_policy(
        retries=3, exponential_backoff=ExponentialBackoff(base_interval_ms=200)
    )
    workflow.with_task_timeout_seconds(15)
    assert task_nodes(workflow) == {
        "1-parent-task-TASK": {
            "taskDefId": {"name": "parent-task"},
            "timeoutSeconds": 15,
            "retries": 3,
            "exponentialBackoff": {"baseIntervalMs": 200},
        },
        "1-child-task-TASK": {
            "taskDefId": {"name": "child-task"},
            "timeoutSeconds": 15,
            "exponentialBackoff": {"baseIntervalMs": 200},
        },
    }


def test_with_retry_policy_replaces_retries_and_backoff_together() -> None:
    workflow = Workflow(
        "defaults",
        two_threads,
        task_retries=2,
        task_exponential_backoff=ExponentialBackoff(base_interval_ms=200),
    )
    workflow.with_retry_policy(retries=5)
    assert task_nodes(workflow)["1-parent-task-TASK"] == {
        "taskDefId": {"name": "parent-task"},
        "retries": 5,
    }


def test_bad_workflow_defaults_are_refused_where_they_are_set() -> None:
    workflow = Workflow("defaults", two_threads)
    with raises_at("bad-retries", "retries must be a non-negative int, not -2"):
        workflow.with_retry_policy(retries=-2)  # bad-retries
    with raises_at("bad-timeout", "timeout_seconds must be a non-negative int, not '10'"):
        workflow.with_task_timeout_seconds("10")  # type: ignore[arg-type]  # bad-timeout
    with raises_at("bad-backoff", "exponential_backoff must be a canter.ExponentialBackoff"):
        workflow.with_retry_policy(exponential_backoff={"multiplier": 2})  # type: ignore[arg-type]  # bad-backoff


def test_update_type_is_part_of_the_request() -> None:
    workflow = Workflow("versions", entrypoint)
    assert "allowedUpdates" not in workflow.compile()
    assert workflow.with_update_type("NO_UPDATES").compile()["allowedUpdates"] == "NO_UPDATES"
    with raises_at("bad-update", "'NEVER' is not a update type: use one of ALL_UPDATES"):
        workflow.with_update_type("NEVER")  # bad-update


def test_save_writes_what_str_prints(tmp_path: Path) -> None:
    workflow = Workflow("greeting", entrypoint)
    workflow.save(tmp_path / "wf.json")
    assert (tmp_path / "wf.json").read_text() == str(workflow)
    assert json.loads(str(workflow)) == workflow.compile()


def test_a_thread_knows_its_workflow() -> None:
    seen: list[Workflow] = []
    workflow = Workflow("parent", lambda t: seen.append(t.get_parent_workflow()))
    assert seen == [workflow]


def test_threads_and_if_statement_nodes_can_be_inspected() -> None:
    statements = []

    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        statements.append(t.do_if(n.is_equal_to(1), lambda u: u.execute("one")))
        t.spawn_thread(lambda c: c.execute("child-task"), "child")

    workflow = Workflow("inspect", wf)
    assert [thread.name for thread in workflow.get_threads()] == ["entrypoint", "child"]
    statement = statements[0]
    assert (statement.get_first_nop_node_name(), statement.get_last_nop_node_name()) == (
        "1-nop-NOP",
        "3-nop-NOP",
    )
