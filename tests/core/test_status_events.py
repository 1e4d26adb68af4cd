"""Status events in the core: the output-topic records of LittleHorse's ALL_ENTITY_EVENTS
level that one transition gives (core/status_events.py)."""

from typing import Any

from canter_engine.core.effects import EntityChanged
from canter_engine.core.events import StopRequested, TaskReported
from canter_engine.core.state import WfRunState
from canter_engine.core.status_events import entity_changes
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def retried(wf: WorkflowThread) -> None:
    n = wf.declare_int("n", 1).with_access_level("PUBLIC_VAR")
    wf.mutate(n, "ASSIGN", wf.execute("work", retries=1))


def step(h: Harness, apply: Any) -> tuple[WfRunState | None, list[EntityChanged]]:
    before = h.state
    transition = apply()
    assert transition.state is not None
    changes = entity_changes(h.bp, before, transition.state, transition.records, h.now)
    return before, changes


def kinds(changes: list[EntityChanged]) -> list[tuple[str, str]]:
    out = []
    for change in changes:
        field = next(k for k in change.record if k != "timestamp")
        body = change.record[field]
        out.append((field, body.get("status", "TASK_SCHEDULED") if field == "taskRun" else ""))
    return out


def test_each_task_run_change_is_one_record() -> None:
    h = Harness(retried, tasks={"work": ()})
    _, started = step(h, h.run)
    assert kinds(started) == [("taskRun", "TASK_SCHEDULED"), ("variable", "")]
    _, failed = step(h, lambda: h.fail("boom"))
    assert [k for k, _ in kinds(failed)] == ["taskRun"], "the retry is the same TaskRun, changed"
    _, done = step(h, lambda: h.succeed(5))
    assert kinds(done) == [("taskRun", "TASK_SUCCESS"), ("variable", "")]
    assert done[1].record["variable"]["value"] == {"int": "5"}
    assert all(c.wf_spec_name == "wf" for c in started + failed + done)


def test_the_same_transition_gives_the_same_records() -> None:
    """A repeat (a crash before the commit) publishes byte-identical records."""
    h = Harness(retried, tasks={"work": ()})
    h.run()
    before = h.state
    report = TaskReported(h.in_flight().task_guid, 0, "TASK_SUCCESS", h.tick(), output=3)
    first = h.apply(report)
    assert first.state is not None
    once = entity_changes(h.bp, before, first.state, first.records, report.time)
    again = entity_changes(h.bp, before, first.state, first.records, report.time)
    assert once == again and once


def test_a_transition_that_touches_no_entity_publishes_none() -> None:
    h = Harness(lambda wf: wf.sleep(10) and None)
    h.run()
    before = h.state
    stopped = h.apply(StopRequested(h.tick()))
    assert stopped.state is not None
    assert entity_changes(h.bp, before, stopped.state, stopped.records, h.now) == []
