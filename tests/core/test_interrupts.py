"""Interrupts: an ExternalEvent halts the thread, a handler runs, the thread resumes."""

import pytest
from canter_engine.model.spec import PutWfSpecRequest
from canter_engine.model.validate import SpecError, parse_request, validate_wf_spec
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness, compile_lh


def interruptible(handler_fails: bool = False):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        note = wf.declare_str("note", "")

        def on_cancel(h: WorkflowThread) -> None:
            reason = h.declare_str("INPUT")
            if handler_fails:
                h.fail("cannot-cancel", "too late")
            else:
                note.assign(reason)

        wf.add_interrupt_handler("cancel", on_cancel)
        wf.execute("pack")
        wf.execute("ship", note)

    return wf_fn


def test_an_interrupt_waits_for_the_task_in_flight_then_runs_then_resumes() -> None:
    h = Harness(interruptible(), tasks={"pack": (), "ship": ("STR",)}, events={"cancel"})
    h.run()
    h.post("cancel", "customer changed their mind", guid="c1")
    assert h.thread(0).status == "HALTING"
    assert h.state is not None and h.state.greatest_thread == 0
    h.succeed()
    assert h.thread(1).type == "INTERRUPT"
    assert h.thread(1).status == "COMPLETED"
    assert h.variables["note"] == "customer changed their mind"
    assert h.thread(0).status == "RUNNING"
    assert h.task_input() == ["customer changed their mind"]
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.records["event#cancel#c1"]["claimed"] is True


def test_a_failing_interrupt_handler_fails_the_thread() -> None:
    """The interrupted thread fails with the handler's failure name and
    LittleHorse's message (ThreadRunModel.failWithoutGrace)."""
    h = Harness(
        interruptible(handler_fails=True), tasks={"pack": (), "ship": ("STR",)}, events={"cancel"}
    )
    h.run()
    h.post("cancel", "now")
    h.succeed()
    assert h.status == "EXCEPTION"
    assert h.thread(0).error_message == "cannot-cancel: Interrupt thread with id 1 failed!"
    assert h.thread(0).failure.name == "cannot-cancel"


def test_an_interrupted_task_node_run_is_halting_then_halted_then_completes() -> None:
    """Mirrors InterruptLifecycleTest.shouldCompleteAfterInterruptingTaskRun: a
    NodeRun whose task is in flight goes HALTING, HALTED once the task reports,
    and COMPLETED after the handler, when its thread runs again."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.add_interrupt_handler("trigger", lambda h: h.wait_for_event("handler-done"))
        wf.execute("dummy")
        wf.execute("after")

    h = Harness(wf_fn, tasks={"dummy": (), "after": ()}, events={"trigger", "handler-done"})
    h.run()
    h.post("trigger")
    assert h.statuses()[1] == "HALTING"
    h.succeed()
    assert h.task_run(h.node_runs()[1]["task"]["taskRunId"]["taskGuid"])["status"] == (
        "TASK_SUCCESS"
    )
    assert h.statuses()[1] == "HALTED"
    assert h.thread(1).status == "RUNNING"
    h.post("handler-done")
    assert h.statuses() == ["COMPLETED", "COMPLETED", "RUNNING"]
    assert h.in_flight().task_def_name == "after"


def test_a_node_run_waiting_on_an_event_shows_halted_while_interrupted() -> None:
    """Mirrors InterruptOnExternalEventTest: an in-progress NodeRun of an
    interrupted thread is HALTED at once (no task in flight), RUNNING again after."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.add_interrupt_handler("cancel", lambda h: h.execute("pack"))
        wf.wait_for_event("go")
        wf.execute("ship", "x")

    h = Harness(wf_fn, tasks={"pack": (), "ship": ("STR",)}, events={"cancel", "go"})
    h.run()
    h.post("cancel")
    assert h.thread(0).status == "HALTED"
    assert h.statuses()[1] == "HALTED"
    h.succeed()
    assert h.statuses()[1] == "RUNNING"
    h.post("go")
    assert h.statuses()[1] == "COMPLETED"
    assert h.in_flight().task_def_name == "ship"


def test_an_event_def_cannot_be_both_an_interrupt_and_waited_on() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        wf.add_interrupt_handler("cancel", lambda h: h.execute("pack"))
        wf.wait_for_event("cancel")

    request = parse_request(PutWfSpecRequest, compile_lh("both", wf_fn))
    with pytest.raises(SpecError, match="registers as an interrupt; one ExternalEventDef cannot"):
        validate_wf_spec(request, {}, {"cancel"})


def test_the_same_interrupt_event_twice_runs_its_handler_once() -> None:
    h = Harness(interruptible(), tasks={"pack": (), "ship": ("STR",)}, events={"cancel"})
    h.run()
    h.post("cancel", "first", guid="dup")
    h.post("cancel", "first", guid="dup")
    h.succeed()
    assert h.state is not None and h.state.greatest_thread == 1
    assert h.thread(0).status == "RUNNING" and h.thread(0).halts == []
