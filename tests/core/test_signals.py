"""THROW_EVENT, WAIT_FOR_CONDITION and child workflows (RUN_CHILD_WF / WAIT_FOR_CHILD_WF)."""

import pytest
from canter_engine.core.effects import NotifyParent, RunChildWf
from canter_engine.core.events import ChildWfEnded, RunRequested, from_journal, to_journal
from canter_engine.model.validate import SpecError
from littlehorse.workflow import SpawnedThreads, WorkflowThread

from tests.core.harness import Harness


def test_throw_event_publishes_a_workflow_event_with_its_content() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        total = wf.declare_int("total", 7)
        wf.throw_event("order-done", total)
        wf.throw_event("order-done", "again")

    h = Harness(wf_fn)
    h.run()
    assert h.status == "COMPLETED"
    first = h.records["wfevent#order-done#00000000"]
    assert first["content"] == {"int": "7"}
    assert first["id"]["workflowEventDefId"] == {"name": "order-done"}
    assert h.records["wfevent#order-done#00000001"]["id"]["number"] == 1


def test_wait_for_condition_is_released_by_another_threads_mutation() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        ready = wf.declare_bool("ready", False)

        def worker(t: WorkflowThread) -> None:
            t.execute("prepare")
            ready.assign(True)

        spawned = wf.spawn_thread(worker, "worker", {})
        wf.wait_for_condition(ready.is_equal_to(True))
        wf.execute("go")
        wf.wait_for_threads(SpawnedThreads.from_list(spawned))

    h = Harness(wf_fn, tasks={"prepare": (), "go": ()})
    h.run()
    assert h.node_runs()[-1]["nodeName"] == "2-wait-for-condition-WAIT_FOR_CONDITION"
    h.succeed()
    assert h.in_flight().task_def_name == "go"
    h.succeed()
    assert h.status == "COMPLETED"


def parent(wf: WorkflowThread) -> None:
    result = wf.declare_json_obj("result")
    child = wf.run_wf("invoice", {"amount": 12})
    result.assign(wf.wait_for_child_wf(child))


def test_a_child_workflow_is_started_by_effect_and_its_end_is_an_event() -> None:
    h = Harness(parent)
    h.run()
    (effect,) = h.last.effects  # type: ignore[union-attr]
    assert isinstance(effect, RunChildWf)
    assert (effect.child_wf_run_id, effect.wf_spec_name, effect.variables) == (
        "wf-1_0-1",
        "invoice",
        {"amount": 12},
    )
    assert effect.major_version is None
    h.apply(ChildWfEnded("wf-1_0-1", "COMPLETED", h.tick(), {"paid": True}))
    assert h.status == "COMPLETED"
    assert h.variables["result"] == {"paid": True}


def test_a_child_that_fails_fails_the_wait_and_a_late_result_is_kept() -> None:
    failing = Harness(parent)
    failing.run()
    failing.apply(ChildWfEnded("wf-1_0-1", "ERROR", failing.tick()))
    assert failing.status == "ERROR"
    failure = failing.failure()
    assert (failure["failureName"], failure["message"]) == (
        "CHILD_FAILURE",
        "Child WfRun wf-1_0-1 failed",
    )


def test_a_child_wfrun_notifies_its_parent_when_it_ends() -> None:
    h = Harness(lambda wf: wf.complete("done"))
    t = h.apply(RunRequested("p_0-1", "wf", 0, 0, {}, h.tick(), parent_wf_run_id="p"))
    (effect,) = t.effects
    assert effect == NotifyParent("p", "p_0-1", "COMPLETED", "done")


def test_a_child_workflows_business_exception_reaches_the_parent_under_its_own_name() -> None:
    """Mirrors RunChildWfTest.childWorkflowBusinessExceptionsPropagateToParent
    (WaitForChildWfNodeRunModel): the parent's WAIT_FOR_CHILD_WF fails with the
    child's failure name and content, its message prefixed."""
    child = Harness(lambda wf: wf.fail("out-of-stock", "no more widgets", {"sku": 7}))
    t = child.apply(RunRequested("p_0-1", "wf", 0, 0, {}, child.tick(), parent_wf_run_id="p"))
    (notify,) = t.effects
    assert isinstance(notify, NotifyParent) and notify.status == "EXCEPTION"
    journal = from_journal(
        to_journal(ChildWfEnded("wf-1_0-1", "EXCEPTION", 5, None, notify.failure))
    )
    assert isinstance(journal, ChildWfEnded)

    def wf_fn(wf: WorkflowThread) -> None:
        waited = wf.wait_for_child_wf(wf.run_wf("invoice", {}))
        wf.handle_exception(waited, lambda h: h.execute("restock"), "out-of-stock")

    h = Harness(wf_fn, tasks={"restock": ()})
    h.run()
    h.apply(journal)
    failure = h.failure()
    assert failure["failureName"] == "out-of-stock"
    assert failure["message"] == "Child WfRun failed: no more widgets"
    assert failure["content"] == {"jsonObj": '{"sku":7}'}
    assert h.in_flight().task_def_name == "restock"
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.node_runs()[2]["status"] == "EXCEPTION"


def test_an_unhandled_child_workflow_exception_fails_the_parent_with_its_name() -> None:
    h = Harness(parent)
    h.run()
    failure = {"failureName": "declined", "message": "m", "content": None}
    h.apply(ChildWfEnded("wf-1_0-1", "EXCEPTION", h.tick(), None, failure))
    assert h.status == "EXCEPTION"
    assert h.failure()["failureName"] == "declined"


def wait_for_condition_wf(wf: WorkflowThread) -> None:
    """WaitForConditionTest's wait-for-condition: an interrupt handler counts down."""
    counter = wf.declare_int("counter", 2)
    wf.wait_for_condition(counter.is_equal_to(0))
    wf.add_interrupt_handler("decrement", lambda h: counter.assign(counter.subtract(1)))


def test_wait_for_condition_completes_when_an_interrupt_mutates_the_variable() -> None:
    """Mirrors WaitForConditionTest.waitForConditionCompletesWhenChildMutatesParentVar."""
    h = Harness(wait_for_condition_wf, events={"decrement"})
    h.run()
    assert h.status == "RUNNING"
    h.post("decrement")
    assert h.status == "RUNNING"
    h.post("decrement")
    assert h.status == "COMPLETED"


def test_wait_for_condition_passes_if_already_met() -> None:
    """Mirrors WaitForConditionTest.waitForConditionShouldPassIfAlreadymet."""
    h = Harness(wait_for_condition_wf, events={"decrement"})
    h.run(counter=0)
    assert h.status == "COMPLETED"


def test_a_handler_reading_a_childs_variable_is_refused_at_put_wf_spec() -> None:
    """OutOfScopeVarAccessTest, deliberately different: LittleHorse accepts the
    WfSpec and fails the WfRun with VAR_SUB_ERROR; Canter refuses it at PutWfSpec."""

    def wf_fn(wf: WorkflowThread) -> None:
        found: list[object] = []

        def child(t: WorkflowThread) -> None:
            found.append(t.declare_bool("out-of-scope-var"))
            t.fail("some-failure", "some failure message")

        waited = wf.wait_for_threads(SpawnedThreads.from_list(wf.spawn_thread(child, "c", {})))
        wf.handle_exception(waited, lambda h: h.mutate(found[0], "ASSIGN", True))  # type: ignore[arg-type]

    with pytest.raises(SpecError, match="out-of-scope-var"):
        Harness(wf_fn)
