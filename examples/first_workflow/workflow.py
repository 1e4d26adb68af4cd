import canter
from tasks import greet, shout


def hello(wf: canter.WorkflowThread) -> None:
    name = wf.declare_str("name").required()
    greeting = wf.declare_str("greeting")
    greeting.assign(wf.execute(greet, name))
    greeting.assign(wf.execute(shout, greeting))


WORKFLOW = canter.Workflow("hello", hello)
