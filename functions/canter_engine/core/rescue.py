"""``RescueThreadRun``: a thread that failed with an ERROR runs its failed node
again, or skips it, after an operator fixed the cause.

As LittleHorse (``WfRunModel.rescueThreadRun`` / ``ThreadRunModel.rescue``):

- only a ThreadRun in ERROR can be rescued (not EXCEPTION: a business
  failure is the workflow's to handle), and only while no ancestor thread
  handled its failure;
- the thread goes back to RUNNING at a new NodeRun of the failed node, or,
  with ``skipCurrentNode``, along the failed node's outgoing edges (which
  mutate nothing, as for any failed node);
- the children its failure halted run again;
- a parent thread that failed only because this one did (CHILD_FAILURE at a
  WAIT_FOR_THREADS or EXIT node) is rescued too, so it waits again;
- rescuing the entrypoint thread makes the WfRun RUNNING again.

:func:`refusal` is shared by the API, which answers an operator at once, and
by the core, which re-checks when the scheduler applies the journalled
request (the state may have moved between the two).
"""

from __future__ import annotations

from canter_engine.core import threads
from canter_engine.core.events import RescueRequested
from canter_engine.core.run import Run
from canter_engine.core.state import NodeRun, ThreadRun, WfRunState

# The parent nodes that fail because a child thread failed.
_WAITS_ON_CHILDREN = ("wait_for_threads", "exit")


class RescueRefused(ValueError):
    """Why a ThreadRun cannot be rescued, with the gRPC code LittleHorse answers."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def refusal(state: WfRunState, number: int) -> RescueRefused | None:
    """Why thread ``number`` of ``state`` cannot be rescued; None if it can."""
    thread = state.threads.get(number)
    if thread is None:
        return RescueRefused(
            "INVALID_ARGUMENT",
            f"WfRun {state.wf_run_id!r} has no ThreadRun {number} "
            f"(its ThreadRuns are 0-{state.greatest_thread})",
        )
    if thread.status != "ERROR":
        return RescueRefused(
            "FAILED_PRECONDITION",
            f"ThreadRun {number} of WfRun {state.wf_run_id!r} has status {thread.status}, "
            "not ERROR; only a thread that failed with an ERROR can be rescued",
        )
    child = thread
    while child.parent is not None:
        parent = state.threads[child.parent]
        if child.number in parent.handled_children:
            return RescueRefused(
                "FAILED_PRECONDITION",
                f"ThreadRun {parent.number}, an ancestor of ThreadRun {number}, has already "
                "handled its failure",
            )
        child = parent
    return None


def on_rescue(run: Run, event: RescueRequested) -> bool:
    """Apply a journalled rescue; False (nothing changes) if it no longer applies."""
    if refusal(run.state, event.thread_run_number) is not None:
        return False
    _rescue(run, run.thread(event.thread_run_number), event.skip_current_node)
    return True


def _rescue(run: Run, thread: ThreadRun, skip: bool) -> None:
    failed = thread.current
    assert failed is not None, "a thread in ERROR failed at a node"
    thread.status = "RUNNING"
    thread.end = None
    thread.failure = None
    thread.error_message = ""
    threads.note_end(run, thread)
    own = f"parent:{thread.number}"
    for number in thread.children:
        if own in run.state.threads[number].halts:
            threads.unhalt(run, run.thread(number), own)
    if skip:
        run.leave(thread, failed)
    else:
        run.arrive(thread, failed.node_name)
    if thread.parent is None:
        run.state.status = "RUNNING"
        run.state.end = None
        return
    parent = run.state.threads[thread.parent]
    if parent.status == "ERROR" and _failed_for_a_child(parent.current):
        _rescue(run, run.thread(parent.number), False)


def _failed_for_a_child(node_run: NodeRun | None) -> bool:
    return (
        node_run is not None
        and node_run.kind in _WAITS_ON_CHILDREN
        and bool(node_run.failures)
        and node_run.failures[-1].name == threads.CHILD_FAILURE
    )
