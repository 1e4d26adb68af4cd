"""VariableAssignment: literal, variable with JSONPath, node output, format string, expression."""

from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def test_every_assignment_form_reaches_the_task() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        user = wf.declare_json_obj("user").required()
        n = wf.declare_int("n", 20)
        profile = wf.execute("load")
        wf.execute(
            "send",
            "literal",
            user.with_json_path("$.name"),
            profile.with_json_path("$.tags[1]"),
            wf.format("Hi {0}, you are {1}", user.with_json_path("$.name"), n),
            n.add(22),
        )

    h = Harness(wf_fn, tasks={"load": (), "send": ("STR", "STR", "STR", "STR", "INT")})
    h.run(user={"name": "Ada"})
    h.succeed({"tags": ["a", "b"]})
    assert h.task_input() == ["literal", "Ada", "b", "Hi Ada, you are 20", 42]


def test_a_json_path_that_finds_nothing_fails_with_var_sub_error() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        user = wf.declare_json_obj("user")
        wf.execute("send", user.with_json_path("$.missing"))

    h = Harness(wf_fn, tasks={"send": ("STR",)})
    h.run(user={"name": "Ada"})
    assert h.status == "ERROR"
    assert h.failure() == {
        "failureName": "VAR_SUB_ERROR",
        "message": "JSONPath $.missing found nothing in variable 'user'",
    }
