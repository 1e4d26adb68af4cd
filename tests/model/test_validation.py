"""Refusals at registration and at RunWf: each names the thread, node and field."""

import copy
from typing import Any

import pytest
from canter_engine.model.spec import (
    PutWfSpecRequest,
    ReturnType,
    TaskDef,
    TypeDefinition,
    WfSpec,
    WfSpecId,
)
from canter_engine.model.validate import (
    SpecError,
    parse_request,
    validate_run_wf,
    validate_wf_spec,
)
from littlehorse.workflow import WorkflowThread

from tests.core.harness import compile_lh, task_def

TASKS = {"greet": task_def("greet", "STR"), "count": task_def("count", "INT")}


def greeter(wf: WorkflowThread) -> None:
    name = wf.declare_str("name").required()
    wf.declare_int("times", 1)
    wf.execute("greet", name)
    wf.wait_for_event("done")


BASE = compile_lh("greeter", greeter)
NODES = ("threadSpecs", "entrypoint", "nodes")


def problems(spec: dict[str, Any], events: frozenset[str] = frozenset({"done"})) -> str:
    with pytest.raises(SpecError) as caught:
        validate_wf_spec(parse_request(PutWfSpecRequest, spec), TASKS, events)
    return str(caught.value)


def edited(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    spec = copy.deepcopy(BASE)
    target = spec
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return spec


def test_the_base_spec_is_valid() -> None:
    validate_wf_spec(parse_request(PutWfSpecRequest, BASE), TASKS, {"done"})


def test_missing_or_unknown_entrypoint_thread() -> None:
    assert "entrypointThreadName: missing" in problems(edited(("entrypointThreadName",), ""))
    message = problems(edited(("entrypointThreadName",), "main"))
    assert "thread 'main' is not in threadSpecs" in message


def test_edge_to_a_node_that_does_not_exist() -> None:
    spec = edited((*NODES, "1-greet-TASK", "outgoingEdges"), [{"sinkNodeName": "nowhere"}])
    assert (
        "thread 'entrypoint', node '1-greet-TASK', outgoingEdges[0]: sinkNodeName 'nowhere'"
        in problems(spec)
    )


def test_a_user_task_for_nobody_is_named() -> None:
    """Every node type runs now; a USER_TASK must name a user or a group (UserTaskNodeModel)."""
    spec = edited((*NODES, "2-done-EXTERNAL_EVENT"), {"userTask": {"userTaskDefName": "x"}})
    assert "node '2-done-EXTERNAL_EVENT', userTask: Must specify userGroup or userId" in problems(
        spec
    )


def test_unknown_fields_are_refused_not_ignored() -> None:
    spec = edited((*NODES, "1-greet-TASK", "task", "priority"), 5)
    message = problems(spec)
    assert "task.priority: unknown field" in message


def test_variable_used_but_not_declared() -> None:
    spec = edited((*NODES, "1-greet-TASK", "task", "variables"), [{"variableName": "nme"}])
    message = problems(spec)
    assert "task.variables[0].variableName: variable 'nme' is not declared" in message
    assert "(in scope: name, times)" in message


def test_literal_of_the_wrong_type() -> None:
    spec = edited(
        ("threadSpecs", "entrypoint", "variableDefs", 1, "varDef", "defaultValue"), {"str": "one"}
    )
    assert "variableDefs[1] ('times').defaultValue: literal is STR, the variable is INT" in (
        problems(spec)
    )


def test_task_inputs_that_do_not_match_the_taskdef() -> None:
    too_many = edited(
        (*NODES, "1-greet-TASK", "task", "variables"),
        [{"variableName": "name"}, {"variableName": "name"}],
    )
    assert "TaskDef 'greet' takes 1 inputs (arg0: STR), the node gives 2" in problems(too_many)
    wrong_type = edited(
        (*NODES, "1-greet-TASK", "task", "variables"), [{"literalValue": {"jsonObj": "{}"}}]
    )
    assert "input 'arg0' of TaskDef 'greet' is STR, given JSON_OBJ" in problems(wrong_type)
    # LittleHorse's canBeType: any primitive may feed a STR input.
    int_to_str = edited((*NODES, "1-greet-TASK", "task", "variables"), [{"variableName": "times"}])
    validate_wf_spec(parse_request(PutWfSpecRequest, int_to_str), TASKS, {"done"})


def test_unknown_taskdef_and_external_event_def() -> None:
    spec = edited((*NODES, "1-greet-TASK", "task", "taskDefId"), {"name": "wave"})
    message = problems(spec, frozenset())
    assert "TaskDef 'wave' is not registered (PutTaskDef first)" in message
    assert "ExternalEventDef 'done' is not registered" in message


def test_every_problem_is_listed_at_once() -> None:
    spec = edited((*NODES, "1-greet-TASK", "task", "taskDefId"), {"name": "wave"})
    spec["entrypointThreadName"] = "nope"
    with pytest.raises(SpecError) as caught:
        validate_wf_spec(parse_request(PutWfSpecRequest, spec), TASKS, set())
    assert len(caught.value.problems) == 3


SPEC = WfSpec(
    id=WfSpecId(name="greeter"),
    thread_specs=parse_request(PutWfSpecRequest, BASE).thread_specs,
    entrypoint_thread_name="entrypoint",
)


def test_run_wf_inputs_are_decoded_and_checked() -> None:
    assert validate_run_wf(SPEC, {"name": {"str": "Ada"}, "times": {"int": "3"}}) == {
        "name": "Ada",
        "times": 3,
    }
    with pytest.raises(SpecError) as caught:
        validate_run_wf(SPEC, {"times": {"str": "3"}, "extra": {"int": "1"}})
    assert caught.value.problems == [
        "variables.times: is INT, given STR",
        "variables.extra: WfSpec 'greeter' declares no such input (inputs: name, times)",
        "variables.name: required input of WfSpec 'greeter' is missing",
    ]


def test_a_malformed_variable_value_is_named() -> None:
    with pytest.raises(SpecError) as caught:
        validate_run_wf(SPEC, {"name": {"string": "Ada"}})
    assert "variables.name: unknown VariableValue field 'string'" in str(caught.value)


def test_a_jsonpath_beyond_the_supported_subset_is_refused_naming_the_node() -> None:
    """Issue 11's reproducer: jsonpath-ng's ``sub(/regex/, x)`` hung the scheduler; Canter's own
    JSONPath refuses it (and every other code-like construct) when the WfSpec is registered."""

    def wf_fn(wf: WorkflowThread) -> None:
        data = wf.declare_json_obj("data")
        out = wf.execute("greet", "x")
        data.with_json_path("$.a.`sub(/(a+)+b/, x)`").assign(out)
        wf.execute("greet", data.with_json_path("$..name"))

    message = problems(compile_lh("hostile", wf_fn))
    assert (
        "node '1-greet-TASK', outgoingEdges[0].variableMutations[0].lhsJsonPath: "
        "JSONPath '$.a.`sub(/(a+)+b/, x)`' at character 8: expected . or [" in message
    )
    assert (
        "node '2-greet-TASK', task.variables[0].jsonPath: "
        "JSONPath '$..name' at character 2: recursive descent (..) is not supported" in message
    )


def returning(name: str, returns: str, *inputs: str) -> TaskDef:
    base = task_def(name, *inputs)
    return base.model_copy(
        update={"return_type": ReturnType(return_type=TypeDefinition(primitive_type=returns))}  # type: ignore[arg-type]
    )


VALIDATION_TASKS = {
    "validations-return-int": returning("validations-return-int", "INT", "STR"),
    "validations-return-double": returning("validations-return-double", "DOUBLE", "STR"),
    "validations-return-string": returning("validations-return-string", "STR"),
    "validations-accept-int": returning("validations-accept-int", "STR", "INT"),
    "validations-accept-double": returning("validations-accept-double", "STR", "DOUBLE"),
    "validations-accept-string": returning("validations-accept-string", "STR", "STR"),
}


def validation_problems(fn: Any) -> str | None:
    try:
        validate_wf_spec(
            parse_request(PutWfSpecRequest, compile_lh("v", fn)), VALIDATION_TASKS, set()
        )
    except SpecError as exc:
        return str(exc)
    return None


def test_task_outputs_are_typed_by_their_taskdef() -> None:
    """Mirrors TypeValidationsTest cannotPassStringOutputIntoTaskNeedingDouble,
    cannotPassDoubleOutputIntoTaskNeedingString (now allowed) and
    canPassIntOutputIntoTaskNeedingInt."""

    def str_to_double(wf: WorkflowThread) -> None:
        wf.execute("validations-accept-double", wf.execute("validations-return-string"))

    def double_to_str(wf: WorkflowThread) -> None:
        wf.execute("validations-accept-string", wf.execute("validations-return-double", "in"))

    def int_to_int(wf: WorkflowThread) -> None:
        wf.execute("validations-accept-int", wf.execute("validations-return-int", "in"))

    refused = validation_problems(str_to_double)
    assert refused is not None
    assert "Cannot assign STR to DOUBLE without explicit casting." in refused
    assert validation_problems(double_to_str) is None
    assert validation_problems(int_to_int) is None


def test_arithmetic_on_a_str_is_refused() -> None:
    """Mirrors TypeValidationsTest cannotMultiplyAStr and cannotAssignAStrToInt."""

    def multiply(wf: WorkflowThread) -> None:
        wf.execute("validations-return-int", wf.declare_str("foo").multiply(5))

    def assign(wf: WorkflowThread) -> None:
        wf.declare_int("my-int").assign(wf.declare_str("foo"))

    assert "cannot multiply to a str" in (validation_problems(multiply) or "").lower()
    assert (
        "cannot assign str to int without explicit casting"
        in (validation_problems(assign) or "").lower()
    )


def test_a_node_output_of_a_missing_node_is_refused() -> None:
    """Mirrors TypeValidationsTest shouldThrowInvalidArgumentWhenReferringToMissingNode."""
    spec = edited(
        (*NODES, "1-greet-TASK", "task", "variables"),
        [{"nodeOutput": {"nodeName": "not-a-real-node"}}],
    )
    assert "not-a-real-node" in problems(spec)
