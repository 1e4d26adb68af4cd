"""Threads parked at a WAIT_FOR_CONDITION (or a SLEEP until a variable's
timestamp) are looked at again only when an event writes their own or an
ancestor's variables (core/engine.py, ``_WATCHING``): a task report of one
child of a fan-out no longer re-evaluates every other child's condition.
Nothing else may change: each run below is compared, event by event, with
the same run looking at every parked thread on every event, as the engine did
before.
"""

from dataclasses import replace
from typing import Any

import pytest
from canter_engine.core import apply, engine
from canter_engine.core.events import Event, ExternalEventPosted, TaskReported
from canter_engine.core.state import WfRunState
from hypothesis import given, settings
from hypothesis import strategies as st
from littlehorse.workflow import SpawnedThreads, WorkflowThread

from tests.core.harness import Harness


def fan_out(wf: WorkflowThread) -> None:
    """Children start a grandchild that waits until the parent's ``limit`` is
    over 2, run a task, then wait until their INPUT is below ``limit``. A task
    output of 7 raises ``limit`` from inside a child (a write to an ancestor's
    scope, which the grandchildren read), and the ``raise`` interrupt's
    handler raises it from the parent's side."""
    limit = wf.declare_int("limit", 0)
    items = wf.declare_json_arr("items")

    def grandchild(g: WorkflowThread) -> None:
        g.wait_for_condition(g.condition(2, "LESS_THAN", limit))

    def child(c: WorkflowThread) -> None:
        n = c.declare_int("INPUT")
        got = c.declare_int("got")
        waiting = c.spawn_thread(grandchild, "grandchild")
        got.assign(c.execute("work"))
        c.do_if(c.condition(got, "EQUALS", 7), lambda b: b.mutate(limit, "ADD", 1))
        c.wait_for_condition(c.condition(n, "LESS_THAN", limit))
        c.wait_for_threads(SpawnedThreads.from_list(waiting))
        c.wait_for_condition(c.condition(got, "GREATER_THAN", n))

    wf.add_interrupt_handler("raise", lambda h: h.mutate(limit, "ADD", 2))
    wf.wait_for_threads(wf.spawn_thread_for_each(items, child, "child"))


def looking_at_everything(state: WfRunState) -> WfRunState:
    """The same state, but with its derived sets unknown: the engine then looks
    at every parked thread, as on the first event after a load."""
    return replace(state, polled=None, watching=None)


actions = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.integers(0, 50), st.sampled_from([0, 3, 7, 9])),
        st.tuples(st.just("raise"), st.just(0), st.just(0)),
    ),
    min_size=1,
    max_size=40,
)


@pytest.mark.parametrize("share", [0, 4, 10**6], ids=["walk-up", "default", "walk-down"])
@settings(max_examples=40, deadline=None)
@given(steps=actions)
def test_parked_threads_move_exactly_as_when_every_one_is_looked_at(
    share: int, steps: list[tuple[str, int, int]]
) -> None:
    """Each way of finding the watching threads (engine.WALK_DOWN_SHARE) gives the same runs."""
    default, engine.WALK_DOWN_SHARE = engine.WALK_DOWN_SHARE, share
    try:
        compare_with_looking_at_everything(steps)
    finally:
        engine.WALK_DOWN_SHARE = default


def compare_with_looking_at_everything(steps: list[tuple[str, int, int]]) -> None:
    h = Harness(fan_out, tasks={"work": ()}, events={"raise"})
    h.run(items=list(range(6)))
    watched = full = h.state
    assert watched is not None
    for time, (kind, pick, output) in enumerate(steps, start=10):
        event: Event
        if kind == "raise":
            event = ExternalEventPosted("raise", f"raise-{time}", None, time)
        else:
            in_flight = list(watched.task_runs)
            if not in_flight:
                continue
            guid = in_flight[pick % len(in_flight)]
            event = TaskReported(guid, 0, "TASK_SUCCESS", time, output=output)
        assert full is not None and watched is not None
        by_watching = apply(h.bp, watched, event)
        by_looking = apply(h.bp, looking_at_everything(full), event)
        assert by_watching.applied == by_looking.applied
        assert by_watching.state is not None and by_looking.state is not None
        assert by_watching.state.to_item() == by_looking.state.to_item()
        assert by_watching.effects == by_looking.effects
        watched, full = by_watching.state, by_looking.state


def parked_children(width: int) -> Harness:
    h = Harness(fan_out, tasks={"work": ()}, events={"raise"})
    h.run(items=list(range(width)))
    return h


def test_a_write_to_the_parents_variable_releases_every_waiting_child() -> None:
    h = parked_children(5)
    state = h.state
    assert state is not None
    for time, guid in enumerate(list(state.task_runs), start=10):
        state = apply(h.bp, state, TaskReported(guid, 0, "TASK_SUCCESS", time, output=3)).state
        assert state is not None
    # limit is 0: every child and grandchild waits at its condition.
    assert len(state.watching or ()) == 10
    raised = apply(h.bp, state, ExternalEventPosted("raise", "r", None, 99)).state
    assert raised is not None
    # limit 2: children with INPUT 0 and 1 pass on to wait for their
    # grandchildren, which wait while limit is not over 2.
    at = [(t.spec_name, t.current.kind if t.current else "") for t in raised.threads.values()]
    assert at.count(("child", "wait_for_threads")) == 2
    assert at.count(("grandchild", "wait_for_condition")) == 5


def reported(h: Harness, outputs: list[Any]) -> WfRunState:
    state = h.state
    assert state is not None
    for time, (guid, output) in enumerate(zip(list(state.task_runs), outputs, strict=True)):
        report = TaskReported(guid, 0, "TASK_SUCCESS", 10 + time, output=output)
        state = apply(h.bp, state, report).state
        assert state is not None
    return state


def test_children_raising_the_parents_limit_release_siblings_and_grandchildren() -> None:
    h = parked_children(3)
    state = reported(h, [7, 7, 7])
    # Three outputs of 7 raised limit to 3: every child passed its condition,
    # and every grandchild (2 < 3) completed.
    assert state.variables[0]["limit"] == 3
    grandchildren = [t for t in state.threads.values() if t.spec_name == "grandchild"]
    assert len(grandchildren) == 3 and all(t.status == "COMPLETED" for t in grandchildren)
