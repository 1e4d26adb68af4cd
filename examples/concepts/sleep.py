from canter import Workflow, WorkflowThread


def reminder(wf: WorkflowThread) -> None:
    delay = wf.declare_int("delay-seconds", 1)
    state = wf.declare_str("state", "waiting")
    wf.sleep_seconds(delay)
    state.assign("reminded")


WORKFLOW = Workflow("reminder", reminder)
