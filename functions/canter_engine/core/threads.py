"""Child threads, halting, failure handlers and interrupts.

A thread halts for one or more reasons at once (a stop, its parent halting, a
failure being handled, an interrupt); it runs again only when every reason
is gone. Halting waits for in-flight task attempts, which cannot be
interrupted, and for the thread's children to halt.
"""

from __future__ import annotations

from typing import Any

from canter_engine.core.operations import VarSubError
from canter_engine.core.run import Run
from canter_engine.core.state import Failure, NodeRun, PendingInterrupt, ThreadRun, WaitTally
from canter_engine.model import values
from canter_engine.model.spec import (
    FailureHandlerDef,
    StartMultipleThreadsNode,
    StartThreadNode,
    WaitForThreadsNode,
)

INPUT = "INPUT"
# ThreadRuns one WfRun may hold (LittleHorse: LHS_X_MAX_THREAD_RUNS_PER_WF_RUN,
# 65 by default). Each ThreadRun is an item of its own once a WfRun has more
# than 32 (store/thread_items.py): room for a fan-out of 10,000 children
# and handlers for a tenth of them.
MAX_THREAD_RUNS = 11_000
CHILD_FAILURE = "CHILD_FAILURE"
# FailureHandlerDef names that stand for a group of LittleHorse's own errors.
_ERROR_GROUPS = {
    "VAR_ERROR": frozenset({"VAR_SUB_ERROR", "VAR_MUTATION_ERROR"}),
    "TASK_ERROR": frozenset({"TASK_FAILURE", "TIMEOUT"}),
}


# --- starting and waiting ---------------------------------------------------------


def arrive_start_thread(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: StartThreadNode
) -> None:
    inputs = {name: run.evaluate(thread, a) for name, a in node.variables.items()}
    if _too_many(run, thread, node_run, 1):
        return
    child = run.start_thread(node.thread_spec_name, "CHILD", thread, inputs)
    node_run.threads = [child.number]
    run.complete_node(thread, node_run, child.number)


def arrive_start_multiple(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: StartMultipleThreadsNode
) -> None:
    items = run.evaluate(thread, node.iterable)
    if not isinstance(items, list):
        raise VarSubError(
            f"START_MULTIPLE_THREADS iterable must be JSON_ARR, got {values.type_of(items)}"
        )
    inputs = {name: run.evaluate(thread, a) for name, a in node.variables.items()}
    takes_input = INPUT in run.bp.threads[node.thread_spec_name].var_defs
    if _too_many(run, thread, node_run, len(items)):
        return
    numbers = []
    for item in items:
        child_inputs = {**inputs, INPUT: item} if takes_input else dict(inputs)
        numbers.append(
            run.start_thread(node.thread_spec_name, "CHILD", thread, child_inputs).number
        )
    node_run.threads = numbers
    run.complete_node(thread, node_run, numbers)


def _too_many(run: Run, thread: ThreadRun, node_run: NodeRun, adding: int) -> bool:
    """Fail the node, starting no thread, if ``adding`` more would pass the limit."""
    total = len(run.state.threads) + adding
    if total <= MAX_THREAD_RUNS:
        return False
    message = (
        f"WfRun would have {total} ThreadRuns, exceeding the maximum number of ThreadRuns "
        f"per WfRun: {MAX_THREAD_RUNS}. Reduce the number of spawned ThreadRuns."
    )
    run.fail_node(thread, node_run, Failure("INTERNAL_ERROR", message))
    return True


def arrive_wait_for_threads(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForThreadsNode
) -> None:
    if node.thread_list is not None:
        listed = run.evaluate(thread, node.thread_list)
        if not isinstance(listed, list):
            raise VarSubError(f"threadList must be JSON_ARR, got {values.type_of(listed)}")
    else:
        listed = (
            [run.evaluate(thread, t.thread_run_number) for t in node.threads.threads]
            if (node.threads is not None)
            else []
        )
    numbers = []
    for number in listed:
        if values.type_of(number) != "INT" or number not in run.state.threads:
            raise VarSubError(f"WAIT_FOR_THREADS: {number!r} is not a thread of this WfRun")
        numbers.append(int(number))
    node_run.threads = numbers
    poll_wait_for_threads(run, thread, node_run, node)


def poll_wait_for_threads(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForThreadsNode
) -> bool:
    """Complete or fail the node if its children decide it; True if it moved.

    As LittleHorse's WaitForThreadsRun: a failed child is offered to the
    per-thread handlers first; a child (or its handler) that stays failed fails
    the node with its own business EXCEPTION, or with CHILD_FAILURE for an ERROR.

    Once counted, only the children whose end changed since are looked at
    again (``WaitTally``): a report from one child of 10,000 costs one child's
    look, not 10,000. All are looked at again once the counts say the wait is
    decided, so that the outcome is worked out in one place.
    """
    tally = node_run.tally
    if tally is not None and tally.exact and not _recount(run, thread, node_run, node, tally):
        return False
    succeeded: list[int] = []
    failed: list[tuple[int, Failure]] = []
    pending = False
    for number in node_run.threads:
        verdict, failure = _classify(run, thread, node_run, node, number)
        if verdict is True:
            succeeded.append(number)
        elif failure is not None:
            failed.append((number, failure))
        else:
            pending = True
    if _decide(run, thread, node_run, node, succeeded, failed, pending):
        return True
    node_run.tally = _count(run, thread, node_run, succeeded, failed)
    node_run.fresh = []
    return False


def _classify(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForThreadsNode, number: int
) -> tuple[bool | None, Failure | None]:
    """What child ``number`` means to the wait: succeeded (True), failed (False,
    with its failure) or pending (None). A child that failed and that a
    per-thread handler catches gets the handler started here, and is pending."""
    threads = run.state.threads
    handler_no = node_run.handlers.get(number)
    if handler_no is not None:
        handler = threads[handler_no]
        if not handler.ended:
            return None, None
        if handler.status == "COMPLETED":
            if number not in thread.handled_children:
                thread.handled_children.append(number)
            return True, None
        return False, _failure_of(handler)
    child = threads[number]
    if child.status == "COMPLETED":
        return True, None
    if not child.ended:
        return None, None
    failure = _failure_of(child)
    spec = match_handler(node.per_thread_failure_handlers, failure)
    if spec is None:
        return False, failure
    handler = run.start_thread(
        spec.handler_spec_name, "FAILURE_HANDLER", thread, handler_inputs(run, spec, failure)
    )
    node_run.handlers[number] = handler.number
    run.touch(node_run)
    return None, None


def _count(
    run: Run,
    thread: ThreadRun,
    node_run: NodeRun,
    succeeded: list[int],
    failed: list[tuple[int, Failure]],
) -> WaitTally:
    """The tally of a wait just looked at in full and still undecided."""
    threads = run.state.threads
    handlers = {h: c for c, h in node_run.handlers.items()}
    exact = all(threads[n].parent == thread.number for n in (*node_run.threads, *handlers))
    decided = dict.fromkeys(succeeded, True)
    decided.update((n, False) for n, _ in failed)
    return WaitTally(
        frozenset(node_run.threads), decided, len(succeeded), len(failed), handlers, exact
    )


def _recount(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: WaitForThreadsNode, tally: WaitTally
) -> bool:
    """Bring the tally up to date with the children whose end changed; True if
    the counts now decide the wait (which is then looked at in full)."""
    if not node_run.fresh:
        return False
    decided = dict(tally.decided)
    handlers = dict(tally.handlers)
    succeeded, failed = tally.succeeded, tally.failed
    for number in dict.fromkeys(node_run.fresh):
        child = handlers.get(number, number)
        before = decided.pop(child, None)
        succeeded -= before is True
        failed -= before is False
        verdict, _ = _classify(run, thread, node_run, node, child)
        if verdict is not None:
            decided[child] = verdict
            succeeded += verdict is True
            failed += verdict is False
        handler_no = node_run.handlers.get(child)
        if handler_no is not None:
            handlers[handler_no] = child
    node_run.fresh = []
    node_run.tally = WaitTally(tally.members, decided, succeeded, failed, handlers, tally.exact)
    waited = len(tally.members)
    strategy = node.strategy
    if strategy == "WAIT_FOR_FIRST":
        return succeeded + failed > 0
    if strategy == "WAIT_FOR_ANY":
        return succeeded > 0 or failed == waited
    return failed > 0 or succeeded == waited


def note_end(run: Run, thread: ThreadRun) -> None:
    """``thread`` ended, or runs again (a rescue): tell the wait that counts it.

    A wait counts only its own children and their handlers (``WaitTally``),
    so the one to tell is the parent's current WAIT_FOR_THREADS, if any.
    """
    if thread.parent is None:
        return
    current = run.state.threads[thread.parent].current
    if (
        current is None
        or current.kind != "wait_for_threads"
        or current.status != "RUNNING"
        or current.tally is None
        or not (thread.number in current.tally.members or thread.number in current.tally.handlers)
    ):
        return
    waiting = run.thread(thread.parent).current
    assert waiting is not None
    waiting.fresh.append(thread.number)


def _decide(
    run: Run,
    thread: ThreadRun,
    node_run: NodeRun,
    node: WaitForThreadsNode,
    succeeded: list[int],
    failed: list[tuple[int, Failure]],
    pending: bool,
) -> bool:
    """Complete or fail the wait if what its children did decides it."""
    threads = run.state.threads
    strategy = node.strategy
    if strategy == "WAIT_FOR_FIRST" and (succeeded or failed):
        first = min([*succeeded, *(n for n, _ in failed)], key=lambda n: threads[n].end or 0)
        if first in succeeded:
            _complete_wait(run, thread, node_run, [first])
        else:
            _fail_wait(run, thread, node_run, node, [f for f in failed if f[0] == first])
        return True
    if strategy == "WAIT_FOR_ANY":
        if succeeded:
            _complete_wait(run, thread, node_run, succeeded[:1])
            return True
        if failed and not pending and len(failed) == len(node_run.threads):
            run.fail_node(thread, node_run, Failure(CHILD_FAILURE, "All child threads failed"))
            return True
        return False
    if failed:
        _fail_wait(run, thread, node_run, node, failed)
        return True
    if not pending:
        _complete_wait(run, thread, node_run, succeeded)
        return True
    return False


def _failure_of(thread: ThreadRun) -> Failure:
    """The failure a failed thread ended with (its current NodeRun's latest)."""
    return thread.failure or Failure(CHILD_FAILURE, thread.error_message)


def _complete_wait(run: Run, thread: ThreadRun, node_run: NodeRun, numbers: list[int]) -> None:
    outputs = [
        {"threadRunNumber": n, "output": _json_safe(run.state.threads[n].output)} for n in numbers
    ]
    if len(numbers) < len(node_run.threads):
        _halt_the_others(run, thread, node_run)
    run.complete_node(thread, node_run, outputs)


def _halt_the_others(run: Run, thread: ThreadRun, node_run: NodeRun) -> None:
    """WAIT_FOR_ANY / WAIT_FOR_FIRST decided: the children still running halt for
    good, and those that failed no longer fail the EXIT (LittleHorse's
    WaitForThreadsRunModel.haltAllOtherThreads)."""
    reason = f"wait:{thread.number}:{node_run.position}"
    for number in node_run.threads:
        child = run.state.threads[number]
        if child.ended:
            if number not in thread.handled_children:
                thread.handled_children.append(number)
        else:
            halt(run, run.thread(number), reason)
        handler_no = node_run.handlers.get(number)
        if handler_no is not None and not run.state.threads[handler_no].ended:
            halt(run, run.thread(handler_no), reason)


def _fail_wait(
    run: Run,
    thread: ThreadRun,
    node_run: NodeRun,
    node: WaitForThreadsNode,
    failed: list[tuple[int, Failure]],
) -> None:
    """Fail the node with the first failed child's business EXCEPTION as it is,
    or with CHILD_FAILURE naming what the child ended with."""
    number, failure = failed[0]
    if node.strategy == "WAIT_FOR_FIRST":
        _halt_the_others(run, thread, node_run)
    if failure.status == "EXCEPTION":
        run.fail_node(thread, node_run, Failure(failure.name, failure.message, failure.content))
        return
    message = f"Child thread {number} failed with {failure.name}: {failure.message}"
    run.fail_node(thread, node_run, Failure(CHILD_FAILURE, message))


def _json_safe(value: Any) -> Any:
    kind = values.type_of(value)
    if kind in ("BYTES", "TIMESTAMP", "WF_RUN_ID", "STRUCT", "ARRAY"):
        return values.encode(value)
    return value


# --- failures -----------------------------------------------------------------


def match_handler(
    handlers: tuple[FailureHandlerDef, ...], failure: Failure
) -> FailureHandlerDef | None:
    """The first handler that catches ``failure``: by name, by kind, or anything."""
    for handler in handlers:
        if handler.specific_failure is not None:
            name = handler.specific_failure
            if name == failure.name or failure.name in _ERROR_GROUPS.get(name, ()):
                return handler
        elif handler.any_failure_of_type == "FAILURE_TYPE_ERROR":
            if failure.status == "ERROR":
                return handler
        elif handler.any_failure_of_type == "FAILURE_TYPE_EXCEPTION":
            if failure.status == "EXCEPTION":
                return handler
        else:
            return handler
    return None


def handler_inputs(run: Run, handler: FailureHandlerDef, failure: Failure) -> dict[str, Any]:
    takes_input = INPUT in run.bp.threads[handler.handler_spec_name].var_defs
    return {INPUT: failure.content} if takes_input and failure.content is not None else {}


def handle_failure(run: Run, thread: ThreadRun, node_run: NodeRun, failure: Failure) -> bool:
    """Start the node's matching failure handler; False if none catches it."""
    node = run.bp.node(thread.spec_name, node_run.node_name)
    spec = match_handler(node.failure_handlers, failure)
    if spec is None:
        return False
    handler = run.start_thread(
        spec.handler_spec_name, "FAILURE_HANDLER", thread, handler_inputs(run, spec, failure)
    )
    failure.handler_thread = handler.number
    thread.handling = handler.number
    halt(run, thread, f"failure:{handler.number}", exempt=handler.number)
    return True


# --- halting --------------------------------------------------------------------


def halt(run: Run, thread: ThreadRun, reason: str, exempt: int | None = None) -> bool:
    if thread.ended or reason in thread.halts:
        return False
    thread.halts.append(reason)
    if thread.status == "RUNNING":
        thread.status = "HALTING"
        _show_halt(run, thread, "HALTING" if run.busy(thread) else "HALTED")
    # As LittleHorse's ThreadRunModel.halt: every child halts with its parent,
    # except an interrupt handler when the parent is interrupted again (the two
    # interrupts run side by side) and the failure handler just started.
    interrupted = reason.startswith("interrupt:")
    for number in thread.children:
        child = run.state.threads[number]
        if number != exempt and not child.ended and not (interrupted and child.type == "INTERRUPT"):
            halt(run, run.thread(number), f"parent:{thread.number}")
    return True


def unhalt(run: Run, thread: ThreadRun, reason: str) -> bool:
    if reason not in thread.halts:
        return False
    thread.halts.remove(reason)
    own = f"parent:{thread.number}"
    if not thread.halts and thread.status in ("HALTING", "HALTED"):
        thread.status = "RUNNING"
        _show_halt(run, thread, None)
        for number in thread.children:
            if own in run.state.threads[number].halts:
                unhalt(run, run.thread(number), own)
    elif (
        thread.interrupt_thread is not None
        and all(r.startswith("interrupt:") for r in thread.halts)
        and own in run.state.threads[thread.interrupt_thread].halts
    ):
        # Halted now only for the interrupt its handler is running: the handler
        # runs again (LittleHorse's ParentHaltedModel.isResolved).
        unhalt(run, run.thread(thread.interrupt_thread), own)
    return True


def _show_halt(run: Run, thread: ThreadRun, shown: str | None) -> None:
    """Show the halt on the thread's NodeRun as LittleHorse does: an in-progress
    NodeRun is HALTING while a task attempt is in flight, then HALTED; a NodeRun
    that already failed keeps its status."""
    current = thread.current
    if current is None or current.halted == shown:
        return
    if shown is not None and current.halted is None and current.status != "RUNNING":
        return
    current.halted = shown
    run.touch(current)


def settle(run: Run, thread: ThreadRun) -> bool:
    """Resolve what a halted thread waits on; True if anything changed."""
    threads = run.state.threads
    changed = False
    if thread.handling is not None and threads[thread.handling].ended:
        changed = True
        handler = threads[thread.handling]
        reason = f"failure:{thread.handling}"
        thread.handling = None
        if handler.status == "COMPLETED":
            # The NodeRun keeps its ERROR or EXCEPTION; the handled failure lets
            # the thread go on along its edges (LittleHorse's wasProperlyHandled).
            node_run = thread.current
            assert node_run is not None
            node_run.failures[-1].handled = True
            if node_run.kind == "wait_for_threads":
                for number in node_run.threads:
                    failed = threads[number].status in ("ERROR", "EXCEPTION")
                    if failed and number not in thread.handled_children:
                        thread.handled_children.append(number)
            run.touch(node_run)
            unhalt(run, thread, reason)
        else:
            run.fail_thread(thread, _failure_of(handler))
            return True
    if thread.interrupt_thread is not None and threads[thread.interrupt_thread].ended:
        changed = True
        handler = threads[thread.interrupt_thread]
        thread.interrupt_thread = None
        done = thread.interrupts.pop(0)
        if handler.status == "COMPLETED":
            unhalt(run, thread, f"interrupt:{done.guid}")
        else:
            failure = _failure_of(handler)
            message = f"Interrupt thread with id {handler.number} failed!"
            run.fail_thread(thread, Failure(failure.name, message, failure.content))
            return True
    if (
        thread.status == "HALTING"
        and not run.busy(thread)
        and all(
            threads[n].ended
            or threads[n].status == "HALTED"
            or f"parent:{thread.number}" not in threads[n].halts
            for n in thread.children
        )
    ):
        thread.status = "HALTED"
        _show_halt(run, thread, "HALTED")
        changed = True
    if thread.status == "HALTED" and thread.interrupts and thread.interrupt_thread is None:
        # The interrupt stays first in the queue until its handler ends.
        pending = thread.interrupts[0]
        takes_input = INPUT in run.bp.threads[pending.handler_spec].var_defs
        inputs = {INPUT: pending.content} if takes_input else {}
        handler = run.start_thread(pending.handler_spec, "INTERRUPT", thread, inputs)
        thread.interrupt_thread = handler.number
        changed = True
    return changed


def interrupt(run: Run, guid: str, def_name: str, content: Any, number: int | None) -> bool:
    """Interrupt every live thread that registers ``def_name``; False if none does."""
    hit = False
    for seen in list(run.state.threads.values()):
        if seen.ended or number not in (None, seen.number):
            continue
        spec = run.bp.threads[seen.spec_name].spec
        for interrupt_def in spec.interrupt_defs:
            if interrupt_def.external_event_def_id.name == def_name:
                hit = True
                if any(p.guid == guid for p in seen.interrupts):
                    continue
                thread = run.thread(seen.number)
                thread.interrupts.append(
                    PendingInterrupt(guid, interrupt_def.handler_spec_name, content)
                )
                halt(run, thread, f"interrupt:{guid}")
    return hit
