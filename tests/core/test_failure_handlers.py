"""Failure handlers: catch a named failure, any ERROR, any EXCEPTION, or anything."""

from collections.abc import Callable

from littlehorse.model import LHErrorType
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
    assert h.thread(0).status == "HALTED"
    assert h.status == "RUNNING", (
        "LittleHorse: a thread handling a failure leaves the WfRun RUNNING"
    )
    handler = h.thread(1)
    assert (handler.type, handler.parent) == ("FAILURE_HANDLER", 0)
    assert h.in_flight().task_def_name == "refund"
    h.succeed()
    assert h.in_flight().task_def_name == "after"
    charge = h.node_runs()[1]
    assert charge["status"] == "EXCEPTION", "a handled NodeRun keeps its failure status"
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
    assert h.thread(0).error_message == "bank offline", "LittleHorse: the failure message"
    assert h.thread(1).status == "EXCEPTION"


def test_a_handled_error_node_run_stays_error_and_the_thread_goes_on() -> None:
    """Mirrors FailureHandlingTest.shouldHandleAnyError: NodeRun (0,1) ERROR, the
    handler's task COMPLETED, and the EXIT (0,3) COMPLETED."""

    def wf_fn(wf: WorkflowThread) -> None:
        node = wf.execute("fail")
        wf.handle_error(node, lambda h: h.execute("my-handler"))
        wf.execute("my-task")

    h = Harness(wf_fn, tasks={"fail": (), "my-handler": (), "my-task": ()})
    h.run()
    h.fail("something went wrong!")
    h.succeed("Exception handled")
    h.succeed("Task executed")
    assert h.status == "COMPLETED"
    assert h.statuses(0) == ["COMPLETED", "ERROR", "COMPLETED", "COMPLETED"]
    assert h.statuses(1)[1] == "COMPLETED"
    assert h.node_runs()[1]["failures"][0]["wasProperlyHandled"] is True


def test_failure_content_and_handler_id_are_noted_on_the_failure() -> None:
    """Mirrors FailureHandlingTest.failureHanlderIdShouldBeNotedOnFailure: the
    handler gets the content as INPUT; the NodeRun stays EXCEPTION."""

    def wf_fn(wf: WorkflowThread) -> None:
        node = wf.execute("business-exception-failure")

        def handler(h: WorkflowThread) -> None:
            content = h.declare_json_obj("INPUT")
            h.execute("my-handler-with-args", content.with_json_path("$.server"))

        wf.handle_exception(node, handler)
        wf.execute("my-task")

    tasks = {"business-exception-failure": (), "my-handler-with-args": ("STR",), "my-task": ()}
    h = Harness(wf_fn, tasks=tasks)
    h.run()
    content = {"date": "today", "server": "127.0.0.1"}
    h.throw("client-exception", "This is a business exception!", content)
    assert h.task_input() == ["127.0.0.1"]
    h.succeed()
    node_run = h.node_runs()[1]
    assert node_run["status"] == "EXCEPTION"
    assert len(node_run["failures"]) == 1
    assert node_run["failures"][0]["failureHandlerThreadrunId"] == 1
    h.succeed()
    assert h.status == "COMPLETED"


def test_var_error_and_task_error_handlers_catch_their_group() -> None:
    """LittleHorse's FailureHandlerDefModel.doesHandle: a handler for VAR_ERROR
    catches VAR_SUB_ERROR and VAR_MUTATION_ERROR; TASK_ERROR catches TASK_FAILURE and TIMEOUT."""
    h = Harness(
        guarded(lambda wf, n, fn: wf.handle_error(n, fn, LHErrorType.TASK_ERROR)), tasks=TASKS
    )
    h.run()
    h.fail("bank down")
    assert h.in_flight().task_def_name == "refund"
    timed_out = Harness(
        guarded(lambda wf, n, fn: wf.handle_error(n, fn, LHErrorType.TASK_ERROR)), tasks=TASKS
    )
    timed_out.run()
    timed_out.time_out()
    assert timed_out.in_flight().task_def_name == "refund"


def test_a_handled_node_s_edge_mutates_nothing() -> None:
    """As LittleHorse's NodeRunModel.evaluateOutgoingEdgesAndMaybeMutateVariables
    (its issue #656): the edge out of a failed node, even once handled, applies
    no mutation; the handler is where to change variables."""

    def wf_fn(wf: WorkflowThread) -> None:
        result = wf.declare_str("result", "untouched")
        node = wf.execute("charge")
        result.assign(node)
        wf.handle_any_failure(node, lambda h: h.execute("refund"))
        wf.execute("after")

    h = Harness(wf_fn, tasks=TASKS)
    h.run()
    h.throw("declined")
    h.succeed()
    assert h.in_flight().task_def_name == "after"
    assert h.variables["result"] == "untouched"
