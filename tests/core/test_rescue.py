"""RescueThreadRun in the pure core: a failed thread runs its node again or skips it.

Mirrors LittleHorse's e2e ``RescueThreadRunTest``.
"""

from canter_engine.core.events import RescueRequested, StopRequested
from canter_engine.core.rescue import refusal
from littlehorse.model import VariableMutationType
from littlehorse.workflow import SpawnedThreads, WorkflowThread

from tests.core.harness import Harness


def simple(wf: WorkflowThread) -> None:
    times = wf.declare_int("times-to-fail", 1)
    mutated = wf.declare_bool("did-mutation-happen", False)
    wf.execute("throw-error-x-times", times)
    wf.mutate(mutated, VariableMutationType.ASSIGN, True)
    wf.execute("no-rescue-needed")


def multi_thread(wf: WorkflowThread) -> None:
    def child(t: WorkflowThread) -> None:
        t.execute("throw-error-x-times", 0)
        t.wait_for_event("rescue-complete-child")

    spawned = wf.spawn_thread(child, "child", {})
    wf.execute("throw-error-x-times", 0)
    wf.wait_for_event("rescue-complete-parent")
    wf.wait_for_threads(SpawnedThreads.from_list(spawned))


TASKS = {"throw-error-x-times": ("INT",), "no-rescue-needed": ()}
EVENTS = {"rescue-complete-child", "rescue-complete-parent"}


def failed_simple() -> Harness:
    h = Harness(simple, tasks=TASKS)
    h.run()
    h.fail("hahaha")
    assert h.status == "ERROR"
    return h


def test_the_failed_node_runs_again() -> None:
    """shouldExecuteFailedNodeAgainOnRescue: a new NodeRun of the same node, then on."""
    h = failed_simple()
    assert h.apply(RescueRequested(h.tick(), 0)).applied
    assert h.status == "RUNNING"
    assert h.thread(0).end is None
    h.succeed()
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.path() == [
        "0-entrypoint-ENTRYPOINT",
        "1-throw-error-x-times-TASK",
        "1-throw-error-x-times-TASK",
        "2-no-rescue-needed-TASK",
        "3-exit-EXIT",
    ]
    assert h.statuses()[1:3] == ["ERROR", "COMPLETED"]
    assert h.variables["did-mutation-happen"] is True


def test_skipping_the_failed_node_takes_its_edge_without_mutations() -> None:
    """shouldSkipFailedNodeRunOnRescue: the failed node's edge mutates nothing."""
    h = failed_simple()
    h.apply(RescueRequested(h.tick(), 0, skip_current_node=True))
    assert h.in_flight().task_guid.startswith("0-2")
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.statuses()[1] == "ERROR", "the skipped NodeRun stays as it failed"
    assert h.variables["did-mutation-happen"] is False


def test_a_thread_not_in_error_is_refused() -> None:
    """cantRescueIfThreadIsntError: FAILED_PRECONDITION, and the core changes nothing."""
    h = Harness(simple, tasks=TASKS)
    h.run()
    assert h.state is not None
    refused = refusal(h.state, 0)
    assert refused is not None and refused.code == "FAILED_PRECONDITION"
    assert "RUNNING, not ERROR" in refused.message
    assert not h.apply(RescueRequested(h.tick(), 0)).applied
    missing = refusal(h.state, 7)
    assert missing is not None and missing.code == "INVALID_ARGUMENT"


def test_an_exception_is_not_rescued() -> None:
    """Only ERROR: a business EXCEPTION is the workflow's own to handle."""
    h = Harness(simple, tasks=TASKS)
    h.run()
    h.throw("out-of-stock")
    assert h.status == "EXCEPTION"
    assert not h.apply(RescueRequested(h.tick(), 0)).applied


def test_a_rescue_applied_twice_changes_nothing_the_second_time() -> None:
    h = failed_simple()
    event = RescueRequested(h.tick(), 0)
    assert h.apply(event).applied
    assert not h.apply(event).applied
    assert len(h.all_in_flight()) == 1


def test_children_halted_by_the_failure_run_again() -> None:
    """childThreadRestartsIfParentIsRescued."""
    h = Harness(multi_thread, tasks=TASKS, events=EVENTS)
    h.run()
    child_task, parent_task = sorted(h.all_in_flight(), key=lambda t: t.task_guid.startswith("0"))
    h.fail(guid=parent_task.task_guid)
    assert h.thread(0).status == "ERROR"
    h.succeed(guid=child_task.task_guid)
    assert h.thread(1).status == "HALTED"
    h.apply(RescueRequested(h.tick(), 0))
    assert h.thread(1).status == "RUNNING"
    h.succeed()
    h.post("rescue-complete-parent")
    h.post("rescue-complete-child")
    assert h.status == "COMPLETED"
    assert h.thread(1).status == "COMPLETED"


def test_a_rescued_child_reopens_the_parents_failed_wait() -> None:
    """parentThreadRestartsFromWaitForThreadsNodeIfChildIsRescued: a second WAIT_FOR_THREADS."""
    h = Harness(multi_thread, tasks=TASKS, events=EVENTS)
    h.run()
    child_task, parent_task = sorted(h.all_in_flight(), key=lambda t: t.task_guid.startswith("0"))
    h.succeed(guid=parent_task.task_guid)
    h.post("rescue-complete-parent")
    h.fail(guid=child_task.task_guid)
    assert h.thread(1).status == "ERROR"
    assert h.thread(0).status == "ERROR"
    assert h.node_runs(0)[4]["status"] == "ERROR"
    h.apply(RescueRequested(h.tick(), 1))
    assert h.status == "RUNNING"
    assert h.thread(0).status == "RUNNING"
    h.succeed()
    h.post("rescue-complete-child")
    assert h.status == "COMPLETED"
    assert h.path(0)[4:6] == ["4-threads-WAIT_FOR_THREADS", "4-threads-WAIT_FOR_THREADS"]


def test_a_parent_at_another_node_is_not_affected() -> None:
    """parentThreadOnExternalEventNodeNotAffectedByChildRescue: one WAIT_FOR_THREADS only."""
    h = Harness(multi_thread, tasks=TASKS, events=EVENTS)
    h.run()
    child_task, parent_task = sorted(h.all_in_flight(), key=lambda t: t.task_guid.startswith("0"))
    h.succeed(guid=parent_task.task_guid)
    h.fail(guid=child_task.task_guid)
    assert h.thread(0).status == "RUNNING"
    assert h.thread(1).status == "ERROR"
    h.apply(RescueRequested(h.tick(), 1))
    h.succeed()
    h.post("rescue-complete-child")
    h.post("rescue-complete-parent")
    assert h.status == "COMPLETED"
    assert [n["nodeName"].split("-")[-1] for n in h.node_runs(0)][4:] == [
        "WAIT_FOR_THREADS",
        "EXIT",
    ]


def test_a_child_whose_failure_a_parent_handled_is_refused() -> None:
    def handled(wf: WorkflowThread) -> None:
        spawned = wf.spawn_thread(lambda t: t.execute("no-rescue-needed"), "child", {})
        waited = wf.wait_for_threads(SpawnedThreads.from_list(spawned))
        wf.handle_error(waited, lambda h: h.execute("no-rescue-needed"))

    h = Harness(handled, tasks=TASKS)
    h.run()
    h.fail()
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.state is not None
    refused = refusal(h.state, 1)
    assert refused is not None and "already handled" in refused.message


def test_a_stopped_thread_is_not_rescued() -> None:
    h = Harness(simple, tasks=TASKS)
    h.run()
    h.apply(StopRequested(h.tick()))
    assert not h.apply(RescueRequested(h.tick(), 0)).applied
