from canter import Workflow, WorkflowThread


def purchase_v1(wf: WorkflowThread) -> None:
    wf.declare_str("request").required()
    decision = wf.declare_json_obj("decision")
    decision.assign(wf.wait_for_event("manager-decision"))


def purchase_v2(wf: WorkflowThread) -> None:
    """Version 0.1: finance signs off after the manager."""
    wf.declare_str("request").required()
    decision = wf.declare_json_obj("decision")
    decision.assign(wf.wait_for_event("manager-decision"))
    wf.wait_for_event("finance-decision")


V1 = Workflow("purchase", purchase_v1)
V2 = Workflow("purchase", purchase_v2)
