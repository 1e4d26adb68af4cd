from canter import Workflow, WorkflowThread


def subscription(wf: WorkflowThread) -> None:
    pauses = wf.declare_int("pauses", 0)
    wf.add_interrupt_handler("pause-requested", lambda handler: handler.mutate(pauses, "ADD", 1))
    wf.wait_for_event("cancel-requested")


WORKFLOW = Workflow("subscription", subscription)
