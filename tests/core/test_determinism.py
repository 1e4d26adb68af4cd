"""Properties of the core: replay gives the same run; duplicates change nothing."""

from typing import Any

from canter_engine.core import apply, timer_pending
from canter_engine.core.events import (
    Event,
    ExternalEventPosted,
    ResumeRequested,
    StopRequested,
    TaskReported,
    Timer,
    TimerFired,
)
from canter_engine.core.state import WfRunState
from canter_engine.model import values
from hypothesis import given, settings
from hypothesis import strategies as st
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def workflow(wf: WorkflowThread) -> None:
    n = wf.declare_int("n", 0)
    out = wf.execute("work", n, retries=2, timeout_seconds=5)
    n.assign(out)
    wf.wait_for_event("go", timeout=30)
    wf.sleep(2)
    wf.execute("work", n, retries=1)


def harness() -> Harness:
    h = Harness(workflow, tasks={"work": ("INT",)}, events={"go"})
    h.run()
    return h


STATUSES = [
    "TASK_SUCCESS",
    "TASK_FAILED",
    "TASK_EXCEPTION",
    "TASK_TIMEOUT",
    "TASK_OUTPUT_SERDE_ERROR",
    "TASK_RUNNING",
]
guids = st.sampled_from(["0-1", "0-4", "0-7", "9-9"])
attempts = st.integers(min_value=0, max_value=3)
times = st.integers(min_value=1, max_value=10**9)

report = st.builds(
    lambda guid, attempt, status, time, out: TaskReported(
        guid, attempt, status, time, output=out, exception_name="biz", error_message="e"
    ),
    guids,
    attempts,
    st.sampled_from(STATUSES),
    times,
    st.integers(-5, 5),
)
timer = st.builds(
    lambda kind, position, attempt, time: TimerFired(Timer(kind, time, 0, position, attempt), time),
    st.sampled_from(["TASK_RETRY", "SLEEP", "EVENT_TIMEOUT"]),
    st.integers(0, 8),
    attempts,
    times,
)
posted = st.builds(ExternalEventPosted, st.just("go"), st.sampled_from("abc"), st.none(), times)
events = st.lists(st.one_of(report, timer, posted), max_size=25)


def replay(events_: list[Event]) -> tuple[Any, list[Any], list[Any]]:
    h = harness()
    for event in events_:
        h.apply(event)
    assert h.state is not None
    return h.state.to_item(), list(h.records.items()), h.sent + h.timers


@settings(max_examples=150, deadline=None)
@given(events)
def test_the_same_events_in_the_same_order_give_the_same_run(events_: list[Event]) -> None:
    assert replay(events_) == replay(events_)


@settings(max_examples=150, deadline=None)
@given(events, st.one_of(report, timer))
def test_a_duplicated_report_or_timer_changes_nothing(
    events_: list[Event], duplicate: Event
) -> None:
    h = harness()
    for event in events_:
        h.apply(event)
    first = apply(h.bp, h.state, duplicate)
    second = apply(h.bp, first.state, duplicate)
    assert not second.applied
    assert second.effects == [] and second.records == []
    assert second.state is first.state


@settings(max_examples=100, deadline=None)
@given(events)
def test_apply_never_changes_the_state_it_was_given(events_: list[Event]) -> None:
    h = harness()
    for event in events_:
        assert h.state is not None
        before = h.state.to_item()
        state = h.state
        h.apply(event)
        assert state.to_item() == before


def test_values_round_trip_through_the_state_item() -> None:
    h = harness()
    h.succeed(7)
    assert h.state is not None
    item = h.state.to_item()
    assert WfRunState.from_item(item).to_item() == item
    assert values.decode(item["va"]["0"]["n"]) == 7


def threaded(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items", [1, 2, 3])
    note = wf.declare_str("note", "")

    def each(t: WorkflowThread) -> None:
        t.execute("work", t.declare_int("INPUT"), retries=1, timeout_seconds=5)

    def on_cancel(h: WorkflowThread) -> None:
        note.assign("cancelled")

    wf.add_interrupt_handler("go", on_cancel)
    waited = wf.wait_for_threads(wf.spawn_thread_for_each(items, each, "each"))
    waited.handle_any_failure_on_child(lambda h: h.execute("work", 0))
    wf.execute("work", 9)


thread_events = st.lists(
    st.one_of(
        st.builds(
            lambda guid, attempt, status, time: TaskReported(
                guid, attempt, status, time, output=1, exception_name="biz"
            ),
            st.sampled_from(["1-1", "2-1", "3-1", "4-1", "0-3", "5-1"]),
            st.integers(0, 1),
            st.sampled_from(["TASK_SUCCESS", "TASK_FAILED", "TASK_TIMEOUT", "TASK_EXCEPTION"]),
            times,
        ),
        st.builds(
            lambda thread, time: StopRequested(time, thread),
            st.sampled_from([None, 0, 1, 2]),
            times,
        ),
        st.builds(
            lambda thread, time: ResumeRequested(time, thread),
            st.sampled_from([None, 0, 1, 2]),
            times,
        ),
        st.builds(
            lambda thread, pos, attempt, time: TimerFired(
                Timer("TASK_RETRY", time, thread, pos, attempt), time
            ),
            st.integers(0, 4),
            st.sampled_from([1, 3]),
            st.integers(0, 1),
            times,
        ),
        posted,
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(thread_events)
def test_threads_halts_and_interrupts_never_change_the_state_they_were_given(
    events_: list[Event],
) -> None:
    h = Harness(threaded, tasks={"work": ("INT",)}, events={"go"})
    h.run()
    for event in events_:
        assert h.state is not None
        state = h.state
        before = state.to_item()
        first = h.apply(event)
        assert state.to_item() == before
        if isinstance(event, TaskReported | TimerFired):
            assert not apply(h.bp, first.state, event).applied


@settings(max_examples=150, deadline=None)
@given(events, timer)
def test_a_timer_applies_exactly_when_the_state_still_waits_for_it(
    events_: list[Event], fired: TimerFired
) -> None:
    h = harness()
    for event in events_:
        h.apply(event)
    assert h.state is not None
    for pending in [*h.timers, fired.timer]:
        expected = timer_pending(h.state, pending)
        assert apply(h.bp, h.state, TimerFired(pending, pending.due)).applied == expected
