from canter import Workflow, WorkflowThread


def approval(wf: WorkflowThread) -> None:
    wf.declare_str("request").required()
    wait_seconds = wf.declare_int("wait-seconds", 3600)
    decision = wf.declare_json_obj("decision")
    decision.assign(wf.wait_for_event("manager-decision", timeout=wait_seconds))


WORKFLOW = Workflow("approval", approval)
