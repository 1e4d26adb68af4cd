"""USER_TASK with the rest of the model: child threads, interrupts, stop and resume,
reminders a worker reports, and a redelivery after a crash.

Workflows are compiled by the official LittleHorse SDK.
"""

from __future__ import annotations

from typing import Any

from canter_engine.core import outstanding_effects
from canter_engine.core.effects import ScheduleTask, StartTimer
from canter_engine.core.events import (
    ResumeRequested,
    StopRequested,
    TaskReported,
    UserTaskRequested,
)
from canter_engine.core.user_tasks import ACTION_TIMER
from google.protobuf.json_format import ParseDict
from littlehorse.model import TaskRun
from littlehorse.workflow import SpawnedThreads, WorkflowThread

from tests.core.harness import Harness


def ask(h: Harness, op: str, guid: str, **request: Any) -> bool:
    return h.apply(UserTaskRequested(op, guid, request, h.tick())).applied


def test_a_user_task_in_a_child_thread_is_its_own_run_and_the_parent_waits() -> None:
    def wf(t: WorkflowThread) -> None:
        def child(c: WorkflowThread) -> None:
            c.assign_user_task("review", user_group="reviewers")

        t.wait_for_threads(SpawnedThreads.from_list(t.spawn_thread(child, "review-thread")))
        t.execute("after")

    h = Harness(wf, tasks={"after": ()})
    h.run()
    run = h.records["usertask#1-1"]
    assert run["nodeRunId"]["threadRunNumber"] == 1
    assert h.status == "RUNNING"
    assert ask(h, "CompleteUserTaskRun", "1-1", results={"done": {"bool": True}})
    assert h.thread(1).status == "COMPLETED"
    h.succeed()
    assert h.status == "COMPLETED"


def test_an_interrupt_runs_beside_a_waiting_user_task_which_is_kept() -> None:
    """A deliberate difference: LittleHorse cancels a UserTaskRun whose thread halts
    (UserTaskNodeRunModel.maybeHalt); here the person's work is kept."""

    def wf(t: WorkflowThread) -> None:
        t.add_interrupt_handler("ping", lambda h: h.execute("pong"))
        t.assign_user_task("approve", user_id="alice")

    h = Harness(wf, tasks={"pong": ()}, events={"ping"})
    h.run()
    h.post("ping")
    assert h.thread(0).status == "HALTED"
    assert ask(h, "CompleteUserTaskRun", "0-1", results={"ok": {"bool": True}})
    assert h.status == "RUNNING"  # the interrupt handler still runs
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.records["usertask#0-1"]["status"] == "DONE"


def test_a_completion_while_stopped_is_kept_and_applied_on_resume() -> None:
    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_id="alice")

    h = Harness(wf)
    h.run()
    h.apply(StopRequested(h.tick()))
    assert h.status == "HALTED"
    assert ask(h, "CompleteUserTaskRun", "0-1", results={"ok": {"bool": True}})
    assert h.status == "HALTED"
    assert h.records["usertask#0-1"]["status"] == "DONE"
    h.apply(ResumeRequested(h.tick()))
    assert h.status == "COMPLETED"


def test_a_cancellation_while_stopped_fails_the_node_on_resume() -> None:
    def wf(t: WorkflowThread) -> None:
        t.assign_user_task("approve", user_id="alice")

    h = Harness(wf)
    h.run()
    h.apply(StopRequested(h.tick()))
    assert ask(h, "CancelUserTaskRun", "0-1")
    assert h.status == "HALTED"
    h.apply(ResumeRequested(h.tick()))
    assert h.status == "ERROR"


def test_a_reminder_task_records_its_worker_report_and_is_redelivered_after_a_crash() -> None:
    def wf(t: WorkflowThread) -> None:
        form = t.assign_user_task("approve", user_id="alice")
        t.schedule_reminder_task(form, 5, "remind", "alice")

    h = Harness(wf, tasks={"remind": ("STR",)})
    h.run()
    assert h.state is not None
    (timer,) = [e for e in outstanding_effects(h.bp, h.state) if isinstance(e, StartTimer)]
    assert timer.timer.kind == ACTION_TIMER
    h.fire(ACTION_TIMER)
    (sent,) = h.sent
    assert [e for e in outstanding_effects(h.bp, h.state) if isinstance(e, ScheduleTask)] == [sent]
    report = TaskReported(sent.task_guid, 0, "TASK_SUCCESS", h.tick(), output=None)
    assert h.apply(report).applied
    assert not h.apply(report).applied  # a repeated report changes nothing
    task_run = h.task_run(sent.task_guid)
    ParseDict(task_run, TaskRun())
    assert task_run["status"] == "TASK_SUCCESS"
    assert h.status == "RUNNING"
    assert outstanding_effects(h.bp, h.state) == []


def test_an_open_user_task_is_cancelled_when_its_wf_run_ends_without_it() -> None:
    """Its thread halted for good when the entrypoint failed: nobody waits for the work."""

    def wf(t: WorkflowThread) -> None:
        t.spawn_thread(lambda c: c.assign_user_task("review", user_group="ops"), "side")
        t.execute("boom")

    h = Harness(wf, tasks={"boom": ()})
    h.run()
    assert "status" not in h.records["usertask#1-1"]
    h.fail()
    assert h.status == "ERROR"
    run = h.records["usertask#1-1"]
    assert run["status"] == "CANCELLED"
    assert run["events"][-1]["cancelled"]["message"].startswith("the WfRun ended ERROR")
    assert not ask(h, "CompleteUserTaskRun", "1-1", results={})


def test_the_assignee_may_come_from_an_earlier_node_output() -> None:
    def wf(t: WorkflowThread) -> None:
        who = t.execute("pick")
        t.assign_user_task("approve", user_id=who)  # type: ignore[arg-type]

    h = Harness(wf, tasks={"pick": ()})
    h.run()
    h.succeed("zoe")
    assert h.records["usertask#0-2"]["userId"] == "zoe"
