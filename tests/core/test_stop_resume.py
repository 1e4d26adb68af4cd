"""StopWfRun and ResumeWfRun: for the whole WfRun or one thread, with halting rules."""

from canter_engine.core.events import ResumeRequested, StopRequested
from canter_engine.core.state import FINAL_STATUSES
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def parent_with_children(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items", [1, 2])

    def each(t: WorkflowThread) -> None:
        t.execute("work", t.declare_int("INPUT"))
        t.execute("work", 0)

    wf.wait_for_threads(wf.spawn_thread_for_each(items, each, "each"))


def test_stop_while_children_run_then_resume() -> None:
    h = Harness(parent_with_children, tasks={"work": ("INT",)})
    h.run()
    h.apply(StopRequested(h.tick()))
    assert [h.thread(n).status for n in (0, 1, 2)] == ["HALTING", "HALTING", "HALTING"]
    first, second = h.all_in_flight()
    h.succeed(guid=first.task_guid)
    assert h.thread(1).status == "HALTED"
    assert h.thread(0).status == "HALTING", "a parent halts only after its children"
    h.succeed(guid=second.task_guid)
    assert h.status == "HALTED"
    assert h.all_in_flight() == [], "a halted thread starts no new task"
    h.apply(ResumeRequested(h.tick()))
    assert h.status == "RUNNING"
    assert len(h.all_in_flight()) == 2
    for task in h.all_in_flight():
        h.succeed(guid=task.task_guid)
    assert h.status == "COMPLETED"


def test_stopping_one_thread_leaves_the_others_running() -> None:
    h = Harness(parent_with_children, tasks={"work": ("INT",)})
    h.run()
    h.apply(StopRequested(h.tick(), thread_run_number=1))
    first, second = h.all_in_flight()
    h.succeed(guid=first.task_guid)
    h.succeed(guid=second.task_guid)
    assert h.thread(1).status == "HALTED"
    assert h.thread(0).status == "RUNNING"
    h.succeed(guid=next(iter(h.all_in_flight())).task_guid)
    assert h.thread(2).status == "COMPLETED"
    assert not h.apply(StopRequested(h.tick(), thread_run_number=2)).applied
    h.apply(ResumeRequested(h.tick(), thread_run_number=1))
    h.succeed()
    assert h.status == "COMPLETED"
    assert all(t.status in FINAL_STATUSES for t in h.state.threads.values())  # type: ignore[union-attr]


def test_resume_without_stop_changes_nothing() -> None:
    h = Harness(parent_with_children, tasks={"work": ("INT",)})
    h.run()
    assert not h.apply(ResumeRequested(h.tick())).applied
