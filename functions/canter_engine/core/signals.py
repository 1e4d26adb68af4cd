"""Nodes that talk to other workflows: THROW_EVENT, WAIT_FOR_CONDITION,
RUN_CHILD_WF and WAIT_FOR_CHILD_WF.

A child WfRun's id is derived from its parent's id and the node run that
started it, so that re-running the parent's journal starts the same child
and a repeated RunWf for it is recognised as the same request.
"""

from __future__ import annotations

from typing import Any

from canter_engine.core.effects import RunChildWf
from canter_engine.core.events import ChildWfEnded
from canter_engine.core.operations import VarSubError, compare
from canter_engine.core.run import Run
from canter_engine.core.state import Failure, NodeRun, ThreadRun, WorkflowEvent
from canter_engine.model import values
from canter_engine.model.spec import (
    RunChildWfNode,
    ThrowEventNode,
    WaitForChildWfNode,
    WaitForConditionNode,
)


def arrive_throw_event(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: ThrowEventNode
) -> None:
    content = run.evaluate(thread, node.content) if node.content is not None else None
    state = run.state
    event = WorkflowEvent(
        node.event_def_id.name,
        state.workflow_events,
        content,
        run.now,
        thread.number,
        node_run.position,
    )
    state.workflow_events += 1
    run.records[event.sk] = event
    run.complete_node(thread, node_run, None)


def poll_wait_for_condition(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForConditionNode
) -> bool:
    """Complete the node once its condition holds; True if it moved."""
    if node.condition is not None:
        holds = run.evaluate(thread, node.condition)
    elif node.legacy_condition is not None:
        cond = node.legacy_condition
        holds = compare(
            run.evaluate(thread, cond.left), cond.comparator, run.evaluate(thread, cond.right)
        )
    else:
        raise VarSubError("WAIT_FOR_CONDITION needs a condition")
    if not isinstance(holds, bool):
        raise VarSubError(f"WAIT_FOR_CONDITION condition gave {values.type_of(holds)}, not BOOL")
    if holds:
        run.complete_node(thread, node_run, None)
    return holds


def child_wf_run_id(parent: str, thread: int, position: int) -> str:
    return f"{parent}_{thread}-{position}"


def arrive_run_child_wf(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: RunChildWfNode
) -> None:
    if node.wf_spec_name is None:
        raise VarSubError("RUN_CHILD_WF needs wfSpecName")
    inputs = {name: run.evaluate(thread, a) for name, a in node.inputs.items()}
    parent = run.state.wf_run_id
    if node.child_id is not None:
        suffix = run.evaluate(thread, node.child_id)
        if not isinstance(suffix, str) or not suffix:
            raise VarSubError(f"RUN_CHILD_WF childId must be a non-empty STR, got {suffix!r}")
        child_id = f"{parent}_{suffix}"
    else:
        child_id = child_wf_run_id(parent, thread.number, node_run.position)
    node_run.child_wf_run_id = child_id
    major = (
        node.major_version if node.major_version is not None and node.major_version >= 0 else None
    )
    run.effects.append(RunChildWf(child_id, parent, node.wf_spec_name, major, inputs))
    run.complete_node(thread, node_run, values.WfRunIdValue(child_id))


def arrive_wait_for_child_wf(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForChildWfNode
) -> None:
    child = run.evaluate(thread, node.child_wf_run_id)
    if not isinstance(child, str):
        raise VarSubError(f"WAIT_FOR_CHILD_WF needs a WF_RUN_ID, got {values.type_of(child)}")
    node_run.child_wf_run_id = str(child)
    result = run.state.child_results.pop(str(child), None)
    if result is not None:
        _finish(run, thread, node_run, *result)


def on_child_ended(run: Run, event: ChildWfEnded) -> bool:
    thread = run.waiting_thread(
        "wait_for_child_wf", lambda _, node_run: node_run.child_wf_run_id == event.child_wf_run_id
    )
    if thread is not None:
        assert thread.current is not None
        _finish(run, thread, thread.current, event.status, event.output, event.failure)
        return True
    if event.child_wf_run_id in run.state.child_results:
        return False
    run.state.child_results[event.child_wf_run_id] = (event.status, event.output, event.failure)
    return True


def failure_body(failure: Failure) -> dict[str, Any]:
    """A child WfRun's failure as its parent's journal carries it."""
    return {
        "failureName": failure.name,
        "message": failure.message,
        "content": values.encode(failure.content),
    }


def _finish(
    run: Run,
    thread: ThreadRun,
    node_run: NodeRun,
    status: str,
    output: object,
    failure: dict[str, Any] | None,
) -> None:
    """As LittleHorse's WaitForChildWfNodeRun: a child's business EXCEPTION
    fails the node under its own name, an ERROR as CHILD_FAILURE."""
    if status == "COMPLETED":
        run.complete_node(thread, node_run, output)
    elif status == "EXCEPTION" and failure is not None:
        content = values.decode(failure.get("content"), "content")
        message = f"Child WfRun failed: {failure.get('message', '')}"
        run.fail_node(thread, node_run, Failure(str(failure["failureName"]), message, content))
    else:
        message = f"Child WfRun {node_run.child_wf_run_id} failed"
        run.fail_node(thread, node_run, Failure("CHILD_FAILURE", message))
