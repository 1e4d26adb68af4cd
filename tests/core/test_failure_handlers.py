"""Failure handlers: catch a named failure, any ERROR, any EXCEPTION, or anything."""

from collections.abc import Callable

from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

TASKS = {"charge": (), "refund": (), "after": ()}


def guarded(attach: Callable[[WorkflowThread, object, Callable[[WorkflowThread], None]], None]):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        node = wf.execute("charge")
        attach(wf, node, lambda h: h.execute("refund"))
        wf.execute("after")

    return wf_fn


def test_a_handled_exception_runs_the_handler_then_the_thread_goes_on() -> None:
    h = Harness(guarded(lambda wf, n, fn: wf.handle_exception(n, fn, "declined")), tasks=TASKS)
    h.run()
    h.throw("declined", "card declined")
    assert h.status == "HALTED"
    handler = h.thread(1)
    assert (handler.type, handler.parent) == ("FAILURE_HANDLER", 0)
    assert h.in_flight().task_def_name == "refund"
    h.succeed()
    assert h.in_flight().task_def_name == "after"
    charge = h.node_runs()[1]
    assert charge["failures"][0]["wasProperlyHandled"] is True
    assert charge["failures"][0]["failureHandlerThreadrunId"] == 1
    h.succeed()
    assert h.status == "COMPLETED"


def test_a_handler_for_another_name_does_not_catch() -> None:
    h = Harness(guarded(lambda wf, n, fn: wf.handle_exception(n, fn, "declined")), tasks=TASKS)
    h.run()
    h.throw("fraud")
    assert h.status == "EXCEPTION"


def test_handle_error_catches_errors_not_exceptions() -> None:
    attach = guarded(lambda wf, n, fn: wf.handle_error(n, fn))
    h = Harness(attach, tasks=TASKS)
    h.run()
    h.fail("timeout talking to bank")
    assert h.in_flight().task_def_name == "refund"
    other = Harness(attach, tasks=TASKS)
    other.run()
    other.throw("declined")
    assert other.status == "EXCEPTION"


def test_handle_any_failure_catches_everything() -> None:
    h = Harness(guarded(lambda wf, n, fn: wf.handle_any_failure(n, fn)), tasks=TASKS)
    h.run()
    h.throw("whatever")
    assert h.in_flight().task_def_name == "refund"


def test_a_handler_that_fails_fails_the_thread() -> None:
    h = Harness(guarded(lambda wf, n, fn: wf.handle_any_failure(n, fn)), tasks=TASKS)
    h.run()
    h.throw("declined")
    h.throw("refund-failed", "bank offline")
    assert h.status == "EXCEPTION"
    assert h.thread(0).error_message == "refund-failed: bank offline"
    assert h.thread(1).status == "EXCEPTION"
