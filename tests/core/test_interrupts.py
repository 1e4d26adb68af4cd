"""Interrupts: an ExternalEvent halts the thread, a handler runs, the thread resumes."""

import pytest
from canter_engine.core import wf_run_json
from canter_engine.model.spec import PutWfSpecRequest
from canter_engine.model.validate import SpecError, parse_request, validate_wf_spec
from littlehorse.workflow import SpawnedThreads, WorkflowThread

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
    assert h.thread(0).error_message == "Interrupt thread with id 1 failed!"
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


def interrupt_on_external_event(wf: WorkflowThread) -> None:
    """InterruptOnExternalEventTest's workflow: the main thread waits for an
    event; the interrupt handler waits for another."""
    wf.add_interrupt_handler("interrupt-trigger", lambda h: h.wait_for_event("child-event"))
    wf.wait_for_event("parent-event")


ON_EVENT = {"interrupt-trigger", "child-event", "parent-event"}


def test_interrupt_on_external_event_happy_path() -> None:
    """Mirrors InterruptOnExternalEventTest.testHappyPath."""
    h = Harness(interrupt_on_external_event, events=ON_EVENT)
    h.run()
    h.post("parent-event")
    assert h.status == "COMPLETED"
    assert h.state is not None and len(h.state.threads) == 1


def test_the_parent_halts_during_the_interrupt() -> None:
    """Mirrors InterruptOnExternalEventTest.parentShouldHaltDuringInterrupt."""
    h = Harness(interrupt_on_external_event, events=ON_EVENT)
    h.run()
    h.post("interrupt-trigger")
    assert (h.status, h.thread(0).status, h.thread(1).status) == ("RUNNING", "HALTED", "RUNNING")
    assert h.statuses()[1] == "HALTED"
    h.post("child-event")
    assert h.thread(1).status == "COMPLETED"
    assert h.statuses()[1] == "RUNNING"
    h.post("parent-event")
    assert h.status == "COMPLETED"


def test_an_event_arriving_while_halted_is_taken_after_the_interrupt() -> None:
    """Mirrors InterruptOnExternalEventTest:
    parentShouldContinueAfterInterruptFinishesWhenEventArrivesWhileHalted."""
    h = Harness(interrupt_on_external_event, events=ON_EVENT)
    h.run()
    h.post("interrupt-trigger")
    h.post("parent-event")
    assert h.statuses()[1] == "HALTED"
    assert (h.status, h.thread(0).status) == ("RUNNING", "HALTED")
    h.post("child-event")
    assert h.status == "COMPLETED"
    assert h.statuses()[1] == "COMPLETED"


def test_a_task_output_mutation_still_applies_after_an_interrupt() -> None:
    """Mirrors MutationAfterInterruptTest.variableMutationsOnTaskNodeShouldWorkAfterInterrupt."""

    def wf_fn(wf: WorkflowThread) -> None:
        out = wf.declare_str("task-output")
        out.assign(wf.execute("slow"))
        wf.add_interrupt_handler("interrupt-trigger", lambda h: h.execute("slow"))

    h = Harness(wf_fn, tasks={"slow": ()}, events={"interrupt-trigger"})
    h.run()
    h.post("interrupt-trigger", {})
    assert h.thread(0).status == "HALTING"
    h.succeed("hello there")
    h.succeed("hello there")
    assert h.status == "COMPLETED"
    assert h.variables["task-output"] == "hello there"


def test_an_event_output_mutation_still_applies_after_an_interrupt() -> None:
    """Mirrors MutationAfterInterruptTest:
    variableMutationsOnExternalEventNodeShouldWorkAfterInterrupt."""

    def wf_fn(wf: WorkflowThread) -> None:
        content = wf.declare_str("event-content")
        content.assign(wf.wait_for_event("parent-event"))
        wf.add_interrupt_handler(
            "interrupt-trigger", lambda h: h.wait_for_event("complete-interrupt")
        )

    events = {"interrupt-trigger", "parent-event", "complete-interrupt"}
    h = Harness(wf_fn, events=events)
    h.run()
    h.post("interrupt-trigger", {})
    h.post("parent-event", "Obi-Wan Kenobi")
    h.post("complete-interrupt", {})
    assert h.status == "COMPLETED"
    assert h.variables["event-content"] == "Obi-Wan Kenobi"


def interrupt_and_child_thread(wf: WorkflowThread) -> None:
    """InterruptOnChildThreadTest's interrupt-and-child-thread."""

    def child(t: WorkflowThread) -> None:
        t.wait_for_event("complete-child")
        t.add_interrupt_handler("child-interrupt", lambda h: h.execute("iact-dummy"))

    spawned = wf.spawn_thread(child, "child-thread", {})
    wf.wait_for_threads(SpawnedThreads.from_list(spawned))
    wf.wait_for_event("complete-parent")
    wf.add_interrupt_handler("parent-interrupt", lambda h: h.execute("iact-dummy"))


CHILD_WF_EVENTS = {"complete-child", "child-interrupt", "complete-parent", "parent-interrupt"}


def test_interrupt_on_child_thread_completes_with_no_interrupts() -> None:
    """Mirrors InterruptOnChildThreadTest.shouldCompleteWithNoInterrupts."""
    h = Harness(interrupt_and_child_thread, tasks={"iact-dummy": ()}, events=CHILD_WF_EVENTS)
    h.run()
    h.post("complete-child")
    assert (h.thread(1).status, h.thread(1).parent) == ("COMPLETED", 0)
    assert h.thread(0).next_position - 1 == 3
    assert h.statuses()[3] == "RUNNING"
    h.post("complete-parent")
    assert h.status == "COMPLETED"


def test_an_interrupted_child_halts_and_resumes() -> None:
    """Mirrors InterruptOnChildThreadTest.shouldCompleteWhenChildInterrupted."""
    h = Harness(interrupt_and_child_thread, tasks={"iact-dummy": ()}, events=CHILD_WF_EVENTS)
    h.run()
    h.post("child-interrupt")
    child = h.thread(1)
    assert child.status == "HALTED" and len(child.halts) == 1
    assert child.halts[0].startswith("interrupt:")
    assert h.state is not None
    rendered = wf_run_json(h.state)["threadRuns"][1]["haltReasons"]
    assert rendered == [{"interrupted": {"interruptThreadId": 2}}]
    assert (h.thread(2).type, h.thread(2).parent) == ("INTERRUPT", 1)
    assert h.statuses(1)[1] == "HALTED"
    h.succeed()
    assert h.thread(2).status == "COMPLETED"
    h.post("complete-child")
    assert h.thread(1).status == "COMPLETED"
    assert h.statuses()[3] == "RUNNING"
    h.post("complete-parent")
    assert h.status == "COMPLETED"


def test_an_interrupted_parent_halts_its_child() -> None:
    """Mirrors InterruptOnChildThreadTest.shouldCompleteWhenParentInterrupted."""
    h = Harness(interrupt_and_child_thread, tasks={"iact-dummy": ()}, events=CHILD_WF_EVENTS)
    h.run()
    h.post("parent-interrupt")
    assert h.thread(0).status == "HALTED"
    assert (h.thread(1).status, h.thread(1).halts) == ("HALTED", ["parent:0"])
    assert h.thread(2).type == "INTERRUPT"
    assert h.statuses(1)[1] == "HALTED"
    assert h.statuses(0)[2] == "HALTED"
    h.succeed()
    h.post("complete-child")
    assert h.thread(1).status == "COMPLETED"
    h.post("complete-parent")
    assert h.status == "COMPLETED"


def test_both_interrupted_child_first() -> None:
    """Mirrors InterruptOnChildThreadTest.shouldCompleteWhenBothInterruptedChildInterruptedFirst."""
    h = Harness(interrupt_and_child_thread, tasks={"iact-dummy": ()}, events=CHILD_WF_EVENTS)
    h.run()
    h.post("child-interrupt")
    h.post("parent-interrupt")
    assert (h.thread(0).status, h.thread(1).status) == ("HALTED", "HALTED")
    assert [r.split(":")[0] for r in h.thread(1).halts] == ["interrupt", "parent"]
    assert (h.thread(2).parent, h.thread(3).parent) == (1, 0)
    assert h.thread(2).status in ("HALTING", "HALTED")
    parent_handler = next(
        t
        for t in h.all_in_flight()
        if t.scheduled_task["source"]["taskNode"]["nodeRunId"]["threadRunNumber"] == 3
    )
    h.succeed(guid=parent_handler.task_guid)
    assert h.thread(3).status == "COMPLETED"
    assert h.thread(0).status == "RUNNING"
    assert h.thread(2).status != "HALTED"
    while h.state is not None and h.state.task_runs:
        h.succeed(guid=h.all_in_flight()[0].task_guid)
    h.post("complete-child", "asdf")
    h.post("complete-parent", "asdf")
    assert h.status == "COMPLETED"


def test_a_failed_interrupt_on_a_child_is_handled_by_the_parent() -> None:
    """Mirrors InterruptOnChildThreadTest.shouldHandleFailureOnInterruptThreads."""

    def wf_fn(wf: WorkflowThread) -> None:
        def child(t: WorkflowThread) -> None:
            t.sleep(1)
            t.add_interrupt_handler("child-interrupt", lambda h: h.fail("i-fail", "failed"))

        waited = wf.wait_for_threads(SpawnedThreads.from_list(wf.spawn_thread(child, "c", {})))
        wf.handle_any_failure(waited, lambda h: h.complete())

    h = Harness(wf_fn, events={"child-interrupt"})
    h.run()
    h.post("child-interrupt")
    assert h.status == "COMPLETED"
    assert h.state is not None and len(h.state.threads) == 4
    assert h.thread(1).status == "EXCEPTION"
    assert h.thread(1).error_message == "Interrupt thread with id 2 failed!"
    assert h.thread(2).status == "EXCEPTION"
