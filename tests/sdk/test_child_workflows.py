"""Child workflows: ``run_wf`` starts a WfRun of another WfSpec, ``wait_for_child_wf`` joins it."""

from __future__ import annotations

from canter import WorkflowThread

from .helpers import compile_wf, entrypoint_spec, raises_at


def test_run_and_wait_for_a_child_workflow() -> None:
    def wf(t: WorkflowThread) -> None:
        order = t.declare_json_obj("order")
        child = t.run_wf("shipping", {"order": order}, child_id=t.format("ship-{0}", 1))
        t.execute("use", t.wait_for_child_wf(child))

    nodes = entrypoint_spec(wf)["nodes"]
    assert nodes["1-run-shipping-RUN_CHILD_WF"]["runChildWf"] == {
        "wfSpecName": "shipping",
        "majorVersion": -1,
        "inputs": {"order": {"variableName": "order"}},
        "childId": {
            "formatString": {
                "format": {"literalValue": {"str": "ship-{0}"}},
                "args": [{"literalValue": {"int": "1"}}],
            }
        },
    }
    assert nodes["2-wait-WAIT_FOR_CHILD_WF"]["waitForChildWf"] == {
        "childWfRunId": {"nodeOutput": {"nodeName": "1-run-shipping-RUN_CHILD_WF"}},
        "childWfRunSourceNode": "1-run-shipping-RUN_CHILD_WF",
    }
    assert nodes["3-use-TASK"]["task"]["variables"] == [
        {"nodeOutput": {"nodeName": "2-wait-WAIT_FOR_CHILD_WF"}}
    ]


def test_waiting_for_a_child_started_in_another_thread_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        child = t.run_wf("shipping")
        t.spawn_thread(lambda c: c.wait_for_child_wf(child), "waiter")  # other-thread

    with raises_at("other-thread", "takes what run_wf\\(\\) returned in this same thread"):
        compile_wf(wf)
