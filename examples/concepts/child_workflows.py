from canter import Workflow, WorkflowThread


def make_label(wf: WorkflowThread) -> None:
    order = wf.declare_str("order").required()
    wf.complete(wf.format("LABEL-{0}", order))


def fulfil(wf: WorkflowThread) -> None:
    order = wf.declare_str("order").required()
    label = wf.declare_str("label")
    child = wf.run_wf("make-label", {"order": order})
    label.assign(wf.wait_for_child_wf(child))


LABEL = Workflow("make-label", make_label)
WORKFLOW = Workflow("fulfil", fulfil)
