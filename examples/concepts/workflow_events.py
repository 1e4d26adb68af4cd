from canter import Workflow, WorkflowThread


def shipment(wf: WorkflowThread) -> None:
    tracking = wf.declare_str("tracking").required()
    wf.throw_event("shipped", wf.format("parcel {0} is on its way", tracking))


WORKFLOW = Workflow("shipment", shipment)
