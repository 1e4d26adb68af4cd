"""VariableAssignment: literal, variable with JSONPath, node output, format string, expression."""

import pytest
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


def test_a_json_path_that_finds_nothing_gives_the_empty_value() -> None:
    """Mirrors VarSubErrorTest shouldBeAbleToPassNullAsIntIntoTaskRunAndTaskRunShouldFail:
    LittleHorse's jsonPath() answers VALUE_NOT_SET for a path that leads nowhere, and the
    task is dispatched with it (the worker decides)."""

    def wf_fn(wf: WorkflowThread) -> None:
        user = wf.declare_json_obj("user")
        wf.execute("send", user.with_json_path("$.missing"), user.with_json_path("$.age"))

    h = Harness(wf_fn, tasks={"send": ("STR", "INT")})
    h.run(user={"name": "Ada", "age": None})
    assert h.status == "RUNNING"
    assert h.task_input() == [None, None]


def var_type_validations(wf: WorkflowThread) -> None:
    """VarSubErrorTest's ``var-type-validations`` workflow."""
    input_int = wf.declare_int("input-int").required()
    input_json = wf.declare_json_obj("input-json")
    wf.execute("takes-in-int", input_json.with_json_path("$.int"))
    wf.execute("takes-in-int", input_int)
    wf.execute("takes-in-string", input_json.with_json_path("$.string"))


TASKS = {"takes-in-int": ("INT",), "takes-in-string": ("STR",)}


def test_a_primitive_passed_to_a_str_input_becomes_its_text() -> None:
    """Mirrors VarSubErrorTest shouldAllowPrimitiveToString."""
    h = Harness(var_type_validations, tasks=TASKS)
    h.run(**{"input-int": 123, "input-json": {"int": 1234, "string": 5432}})
    assert h.task_input() == [1234]
    h.succeed(1235)
    h.succeed(124)
    assert h.task_input() == ["5432"]
    h.succeed("5432!")
    assert h.status == "COMPLETED"


@pytest.mark.parametrize(
    ("given", "shown"), [(12.3, "DOUBLE"), ("notanint", "STR"), ({"a": 1}, "JSON_OBJ")]
)
def test_a_value_that_is_not_the_inputs_type_fails_the_node(given: object, shown: str) -> None:
    """Mirrors VarSubErrorTest shouldNotCastDoubleToInt and shouldFindVarSubErrorOnFirstNodeRun."""
    h = Harness(var_type_validations, tasks=TASKS)
    h.run(**{"input-int": 123, "input-json": {"int": given}})
    assert h.status == "ERROR"
    assert h.thread(0).current.position == 1
    failure = h.failure()
    assert failure["failureName"] == "VAR_SUB_ERROR"
    assert f"Value of type {shown} is not compatible with expected type INT" in failure["message"]


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (2.0, "2.0"), (1e21, "1.0E21")])
def test_primitives_read_as_java_prints_them(value: object, text: str) -> None:
    """LittleHorse's asStr() is Java's toString: a DOUBLE keeps its ``.0``."""

    def wf_fn(wf: WorkflowThread) -> None:
        data = wf.declare_json_obj("data")
        wf.execute("takes-in-string", data.with_json_path("$.v"))

    h = Harness(wf_fn, tasks=TASKS)
    h.run(data={"v": value})
    assert h.task_input() == [text]
