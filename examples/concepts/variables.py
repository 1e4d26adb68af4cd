from canter import Workflow, WorkflowThread


def signup(wf: WorkflowThread) -> None:
    wf.declare_str("email").required().searchable()
    wf.declare_str("password").required().masked()
    age = wf.declare_int("age", 18)
    profile = wf.declare_json_obj("profile", {"plan": "free"})
    plan = wf.declare_str("plan")
    adult = wf.declare_bool("adult", False)
    plan.assign(profile.with_json_path("$.plan"))
    wf.do_if(age.is_greater_than_eq(18), lambda then: adult.assign(True))


WORKFLOW = Workflow("signup", signup)
