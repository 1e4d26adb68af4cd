"""``Workflow``: definition when constructed, compilation as often as wanted."""

from __future__ import annotations

import pytest
from canter import Workflow, WorkflowDefinitionError, WorkflowThread

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
