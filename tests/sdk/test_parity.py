"""Every public method of littlehorse-client 1.3.0's builder is in Canter's, or explained.

The LittleHorse SDK's classes are listed against Canter's counterparts; a
method Canter does not offer must be in ``NOT_OFFERED`` with the reason, and
an entry there must not name a method Canter has since gained.
"""

from __future__ import annotations

import littlehorse.workflow as lh
import pytest
from canter import builder

COUNTERPARTS: dict[str, type | None] = {
    "WorkflowThread": builder.WorkflowThread,
    "Workflow": builder.Workflow,
    "WfRunVariable": builder.WfRunVariable,
    "NodeOutput": builder.NodeOutput,
    "ExternalEventNodeOutput": builder.NodeOutput,
    "WaitForConditionNodeOutput": builder.NodeOutput,
    "WaitForThreadsNodeOutput": builder.WaitForThreadsOutput,
    "LHExpression": builder.Expression,
    "ComparatorExpression": builder.Condition,
    "WorkflowIfStatement": builder.IfStatement,
    "SpawnedThreads": builder.SpawnedThreads,
    "CastExpression": builder.Cast,
    "ThrowEventNodeOutput": None,
    "InterruptHandler": None,
    "UserTaskOutput": builder.UserTaskOutput,
}

REGISTRATION = (
    "registers event definitions with a content type; `canter deploy` registers every "
    "ExternalEventDef a workflow waits for, without content types, and the engine does not "
    "store them"
)
PROTO = "returns protobuf objects; Canter's builder compiles to proto3 JSON (`to_json`/`compile`)"
EXPRESSION_PARTS = "Canter's expressions expose lhs/rhs/operation/comparator as attributes"
INTERNAL = "internal to the LittleHorse SDK's graph building; Canter's graph is not public"
RETENTION = "thread retention policies are stored by PutWfSpec but not enforced by the engine yet"


PARTS = {part: EXPRESSION_PARTS for part in ("lhs", "rhs", "operation")}

NOT_OFFERED: dict[str, dict[str, str]] = {
    "WorkflowThread": {
        "add_node": INTERNAL,
        "organize_edges_for_else_if_execution": INTERNAL,
        "compile": PROTO,
        "register_external_event_def": REGISTRATION,
        "register_workflow_event_def": REGISTRATION,
        "with_retention_policy": RETENTION,
    },
    "Workflow": {
        "add_sub_thread": INTERNAL,
        "add_external_event_def_to_register": REGISTRATION,
        "add_workflow_event_def_to_register": REGISTRATION,
        "external_events_to_register": REGISTRATION,
        "workflow_events_to_register": REGISTRATION,
    },
    "WfRunVariable": {
        "compile": PROTO,
    },
    "NodeOutput": PARTS,
    "ExternalEventNodeOutput": {**PARTS, "to_put_external_event_def_request": REGISTRATION},
    "WaitForConditionNodeOutput": PARTS,
    "WaitForThreadsNodeOutput": PARTS,
    "LHExpression": PARTS,
    "ComparatorExpression": {part: EXPRESSION_PARTS for part in ("lhs", "rhs", "comparator")},
    "SpawnedThreads": {"compile": PROTO},
    "ThrowEventNodeOutput": {"to_put_workflow_event_def_request": REGISTRATION},
    "InterruptHandler": {"with_event_type": REGISTRATION},
    "UserTaskOutput": PARTS,
}


def public_methods(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


@pytest.mark.parametrize("name", sorted(COUNTERPARTS))
def test_every_littlehorse_method_is_offered_or_explained(name: str) -> None:
    counterpart = COUNTERPARTS[name]
    offered = public_methods(counterpart) if counterpart is not None else set()
    missing = public_methods(getattr(lh, name)) - offered
    assert missing == set(NOT_OFFERED.get(name, {}))
