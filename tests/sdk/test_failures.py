"""Failures: handlers on nodes and on children, ``fail()`` and ``complete()``."""

from __future__ import annotations

from canter import ErrorType, WorkflowThread

from .helpers import compile_wf, raises_at


def compensate(t: WorkflowThread) -> None:
    t.execute("compensate")


def test_handlers_on_a_node_and_their_threads() -> None:
    def wf(t: WorkflowThread) -> None:
        charge = t.execute("charge")
        t.handle_exception(charge, compensate, "card-declined")
        t.handle_exception(charge, compensate)
        t.handle_error(charge, compensate, ErrorType.TIMEOUT)
        t.handle_error(charge, compensate)
        t.handle_any_failure(charge, compensate)

    compiled = compile_wf(wf)
    handlers = compiled["threadSpecs"]["entrypoint"]["nodes"]["1-charge-TASK"]["failureHandlers"]
    prefix = "exn-handler-1-charge-TASK"
    assert handlers == [
        {"handlerSpecName": f"{prefix}-card-declined", "specificFailure": "card-declined"},
        {"handlerSpecName": prefix, "anyFailureOfType": "FAILURE_TYPE_EXCEPTION"},
        {"handlerSpecName": f"{prefix}-TIMEOUT", "specificFailure": "TIMEOUT"},
        {
            "handlerSpecName": f"{prefix}-FAILURE_TYPE_ERROR",
            "anyFailureOfType": "FAILURE_TYPE_ERROR",
        },
        {"handlerSpecName": f"{prefix}-any-failure"},
    ]
    for handler in handlers:
        assert "1-compensate-TASK" in compiled["threadSpecs"][handler["handlerSpecName"]]["nodes"]


def test_handlers_on_children_of_a_wait() -> None:
    def wf(t: WorkflowThread) -> None:
        child = t.spawn_thread(compensate, "child")
        waited = t.wait_for_threads(child)
        waited.handle_exception_on_child(compensate, "oops")
        waited.handle_error_on_child(compensate)
        waited.handle_any_failure_on_child(compensate)

    wait = compile_wf(wf)["threadSpecs"]["entrypoint"]["nodes"]["2-threads-WAIT_FOR_THREADS"]
    assert wait["waitForThreads"]["perThreadFailureHandlers"] == [
        {
            "handlerSpecName": "exn-handler-2-threads-WAIT_FOR_THREADS-oops",
            "specificFailure": "oops",
        },
        {
            "handlerSpecName": "error-handler-2-threads-WAIT_FOR_THREADS",
            "anyFailureOfType": "FAILURE_TYPE_ERROR",
        },
        {"handlerSpecName": "failure-handler-2-threads-WAIT_FOR_THREADS-ANY_FAILURE"},
    ]


def test_handler_sees_the_handled_threads_variables() -> None:
    def wf(t: WorkflowThread) -> None:
        attempts = t.declare_int("attempts", 0)
        charge = t.execute("charge")

        def retry(h: WorkflowThread) -> None:
            attempts.assign(attempts.add(1))
            h.execute("notify", attempts)

        t.handle_any_failure(charge, retry)

    handler = compile_wf(wf)["threadSpecs"]["exn-handler-1-charge-TASK-any-failure"]
    assert (
        handler["nodes"]["0-entrypoint-ENTRYPOINT"]["outgoingEdges"][0]["variableMutations"][0][
            "lhsName"
        ]
        == "attempts"
    )


def test_unknown_error_type_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.handle_error(t.execute("x"), compensate, "OOPS")  # bad-error

    with raises_at("bad-error", "'OOPS' is not a error type: use one of CHILD_FAILURE"):
        compile_wf(wf)


def test_handler_must_attach_to_a_node_output() -> None:
    def wf(t: WorkflowThread) -> None:
        t.handle_any_failure("1-x-TASK", compensate)  # not-output

    with raises_at("not-output", "a failure handler attaches to the output of a node"):
        compile_wf(wf)


def test_fail_and_complete_are_exit_nodes() -> None:
    def wf(t: WorkflowThread) -> None:
        amount = t.declare_int("amount")
        t.do_if(amount.is_less_than(0), lambda u: u.fail("negative", "no", content=amount))
        t.do_if(amount.is_equal_to(0), lambda u: u.fail("zero", ""))
        t.complete(amount.multiply(2))

    nodes = compile_wf(wf)["threadSpecs"]["entrypoint"]["nodes"]
    assert nodes["2-negative-EXIT"] == {
        "exit": {
            "failureDef": {
                "failureName": "negative",
                "message": "no",
                "content": {"variableName": "amount"},
            }
        }
    }
    assert nodes["5-zero-EXIT"] == {"exit": {"failureDef": {"failureName": "zero"}}}
    assert nodes["7-complete-EXIT"]["exit"]["returnContent"]["expression"]["mutationType"] == (
        "MULTIPLY"
    )
    assert "8-exit-EXIT" not in nodes


def test_nothing_after_the_thread_ended() -> None:
    def wf(t: WorkflowThread) -> None:
        t.complete()
        t.execute("unreachable")  # after-complete

    with raises_at("after-complete", "cannot execute a task after the thread has ended"):
        compile_wf(wf)


def test_an_exception_cannot_take_a_system_error_name() -> None:
    def wf(t: WorkflowThread) -> None:
        t.fail("TIMEOUT", "impersonating the system")  # system-name

    with raises_at("system-name", "'TIMEOUT' is a system ERROR name"):
        compile_wf(wf)


def test_output_is_littlehorses_name_for_the_content_of_fail_and_complete() -> None:
    def with_output(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(n.is_less_than(0), lambda u: u.fail("negative", "n < 0", output=n))
        t.complete(output=n)

    def positional(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(n.is_less_than(0), lambda u: u.fail("negative", "n < 0", n))
        t.complete(n)

    assert compile_wf(with_output) == compile_wf(positional)


def test_content_and_output_together_are_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.complete(1, output=2)  # both

    with raises_at("both", "give value or output \\(the LittleHorse SDK's name for it\\)"):
        compile_wf(wf)
