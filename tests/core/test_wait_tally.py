"""WAIT_FOR_THREADS counts its children as they end (core/threads.py, WaitTally):
an event that ends one child of thousands looks at that child only, and the
outcome is the one a full look at every child gives."""

from __future__ import annotations

import random

import pytest
from canter_engine.core import apply
from canter_engine.core import threads as threads_module
from canter_engine.core.events import TaskReported
from canter_engine.core.state import WfRunState
from littlehorse.workflow import WorkflowThread

from .harness import Harness, compile_lh

STRATEGIES = ["WAIT_FOR_ALL", "WAIT_FOR_ANY", "WAIT_FOR_FIRST"]


def fan_out(strategy: str) -> Harness:
    """Each child runs ``work``; a ``bad`` exception is handled per thread by ``fix``."""

    def wf(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items")
        waited = t.wait_for_threads(
            t.spawn_thread_for_each(
                items, lambda c: c.execute("work", c.declare_int("INPUT")), "child"
            )
        )
        waited.handle_exception_on_child(lambda h: h.execute("fix"), "bad")

    spec = compile_lh("fan-out", wf)
    node = spec["threadSpecs"]["entrypoint"]["nodes"]["2-threads-WAIT_FOR_THREADS"]
    node["waitForThreads"]["strategy"] = strategy
    return Harness(spec, tasks={"work": ("INT",), "fix": ()})


def stored(state: WfRunState) -> WfRunState:
    """The state as the store gives it back: no tally, so every child is looked at."""
    return WfRunState.from_item(state.to_item())


def report(task_guid: str, attempt: int, outcome: str, now: int) -> TaskReported:
    if outcome == "ok":
        return TaskReported(task_guid, attempt, "TASK_SUCCESS", now, 1)
    if outcome == "bad":
        return TaskReported(task_guid, attempt, "TASK_EXCEPTION", now, exception_name="bad")
    return TaskReported(
        task_guid, attempt, "TASK_FAILED", now, error_type="TASK_FAILURE", error_message="x"
    )


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("seed", range(6))
def test_counted_waits_end_as_a_full_look_at_every_child_does(strategy: str, seed: int) -> None:
    """Children succeed, throw a handled exception (whose handler then succeeds
    or fails) or fail, in a random order: after every report the WfRun is the
    same whether the wait counted as it went or looked at every child again."""
    rng = random.Random(seed)
    h = fan_out(strategy)
    h.run(items=list(range(12)))
    outcomes = ["ok"] * 6 + ["bad"] * 3 + ["error"] * (1 if strategy != "WAIT_FOR_ALL" else 0)
    while h.state is not None and not h.state.ended and h.state.task_runs:
        task = rng.choice(h.all_in_flight())
        event = report(task.task_guid, task.attempt_number, rng.choice(outcomes), h.tick())
        expected = apply(h.bp, stored(h.state), event)
        got = h.apply(event)
        assert got.state == expected.state
        assert got.effects == expected.effects
        assert [r.to_json() for r in got.records] == [r.to_json() for r in expected.records]


def test_a_report_from_one_child_of_thousands_looks_at_that_child_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = fan_out("WAIT_FOR_ALL")
    h.run(items=list(range(1000)))
    tasks = h.all_in_flight()

    def succeed(number: int) -> None:
        task = tasks[number]
        h.apply(report(task.task_guid, task.attempt_number, "ok", h.tick()))

    succeed(0)  # the wait counts every child once
    looked: list[int] = []
    classify = threads_module._classify

    def counting(*args: object) -> object:
        looked.append(args[-1])  # type: ignore[arg-type]
        return classify(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(threads_module, "_classify", counting)
    succeed(1)
    assert looked == [2]
    for number in range(2, 1000):
        succeed(number)
    assert h.status == "COMPLETED"
    assert len(looked) == 999 + 1000, "each child once as it ended, then all once at the end"
