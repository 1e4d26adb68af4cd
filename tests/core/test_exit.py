"""ENTRYPOINT, NOP and EXIT: complete with an output, or fail with a FailureDef."""

from canter_engine.core import wf_run_json
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def test_an_empty_workflow_completes_at_once() -> None:
    h = Harness(lambda wf: None)
    h.run()
    assert h.status == "COMPLETED"
    assert h.path() == ["0-entrypoint-ENTRYPOINT", "1-exit-EXIT"]


def test_complete_returns_a_value_as_the_wfrun_output() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        total = wf.declare_int("total", 41)
        total.assign(total.add(1))
        wf.complete(total)

    h = Harness(wf_fn)
    h.run()
    assert h.status == "COMPLETED"
    assert h.state is not None
    wf_run = wf_run_json(h.state)
    assert wf_run["status"] == "COMPLETED"
    assert wf_run["threadRuns"][0]["output"] == {"int": "42"}


def test_fail_ends_the_workflow_in_exception_with_name_message_and_content() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        reason = wf.declare_str("reason", "no stock")
        wf.fail("order-rejected", "cannot fulfil", reason)

    h = Harness(wf_fn)
    h.run()
    assert h.status == "EXCEPTION"
    assert h.failure() == {
        "failureName": "order-rejected",
        "message": "cannot fulfil",
        "content": {"str": "no stock"},
    }
    assert h.state is not None
    assert h.state.threads[0].error_message == "cannot fulfil"


def test_exit_with_a_failed_child_nobody_waited_for_fails_with_child_failure() -> None:
    """Mirrors LittleHorse's ExitRunModel: a thread that reaches its EXIT with a
    child that failed, unwaited and unhandled, fails with CHILD_FAILURE."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.spawn_thread(lambda t: t.execute("work"), "child", {})
        wf.execute("main")

    h = Harness(wf_fn, tasks={"work": (), "main": ()})
    h.run()
    work = next(t for t in h.all_in_flight() if t.task_def_name == "work")
    h.throw("broken", guid=work.task_guid)
    assert h.thread(1).status == "EXCEPTION"
    assert h.status == "RUNNING", "nothing waits for the child: the parent goes on"
    h.succeed()
    assert h.status == "ERROR"
    exit_run = h.node_runs()[-1]
    assert exit_run["nodeName"].endswith("-EXIT")
    assert exit_run["status"] == "ERROR"
    failure = exit_run["failures"][0]
    assert (failure["failureName"], failure["message"]) == (
        "CHILD_FAILURE",
        "Child thread (or threads) failed: 1",
    )


def test_exit_waits_for_a_running_child_then_completes() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        wf.spawn_thread(lambda t: t.execute("work"), "child", {})

    h = Harness(wf_fn, tasks={"work": ()})
    h.run()
    assert h.status == "RUNNING"
    h.succeed()
    assert h.status == "COMPLETED"
