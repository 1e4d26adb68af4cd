from canter import Workflow, WorkflowThread


def countdown(wf: WorkflowThread) -> None:
    n = wf.declare_int("n").required()
    size = wf.declare_str("size")
    seen = wf.declare_json_arr("seen", [])
    wf.do_if(n.is_greater_than(100), lambda big: size.assign("big")).do_else_if(
        n.is_greater_than(10), lambda medium: size.assign("medium")
    ).do_else(lambda small: size.assign("small"))

    def step(body: WorkflowThread) -> None:
        body.mutate(seen, "ADD", n)
        body.mutate(n, "SUBTRACT", 1)

    wf.do_while(n.is_greater_than(0), step)


WORKFLOW = Workflow("countdown", countdown)
