"""Casts (``VariableAssignment.targetType``): LittleHorse's TypeCastingTest in the Python SDK."""

from typing import Any

import pytest
from canter_engine.model.validate import SpecError
from littlehorse.model import VariableType
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

TASKS = {
    "prefix-string": ("STR",),
    "int-times-two": ("INT",),
    "double-times-one-point-five": ("DOUBLE",),
    "invert-boolean": ("BOOL",),
}


def automatic(wf: WorkflowThread) -> None:
    int_var = wf.declare_int("int-var", 42)
    double_var = wf.declare_double("double-var", 3.14)
    bool_var = wf.declare_bool("bool-var", True)
    wf.execute("prefix-string", int_var)
    wf.execute("double-times-one-point-five", int_var)
    wf.execute("prefix-string", double_var)
    wf.execute("prefix-string", bool_var)


def test_automatic_casts_to_str_and_double() -> None:
    """Mirrors TypeCastingTest shouldPerformAutomaticCastingIntToStr, ...IntToDouble,
    ...DoubleToStr and ...BoolToStr."""
    h = Harness(automatic, tasks=TASKS)
    h.run(**{"int-var": 4})
    seen = []
    for output in ("processed-4", 6.0, "processed-3.14", "processed-true"):
        seen.append(h.task_input()[0])
        h.succeed(output)
    assert seen == ["4", 4.0, "3.14", "true"]
    assert type(seen[1]) is float
    assert h.status == "COMPLETED"


def manual(wf: WorkflowThread) -> None:
    str_int = wf.declare_str("str-var", "3")
    str_double = wf.declare_str("str-double-var", "3.14")
    double_var = wf.declare_double("double-var", 123.67)
    wf.execute("int-times-two", str_int.cast_to_int())
    wf.execute("double-times-one-point-five", str_double.cast_to_double())
    bool_str = wf.declare_str("bool-str-var", "true")
    wf.execute("invert-boolean", bool_str.cast_to_bool())
    wf.execute("int-times-two", double_var.cast_to_int())


def test_manual_casts_from_str_and_double() -> None:
    """Mirrors TypeCastingTest shouldPerformManualCastingStrToInt, ...StrToDouble, ...StrToBool
    and ...DoubleToInt."""
    h = Harness(manual, tasks=TASKS)
    h.run(**{"str-var": "123", "str-double-var": "4.4", "bool-str-var": "false", "double-var": 4.4})
    seen = []
    for output in (246, 6.6, True, 8):
        seen.append(h.task_input()[0])
        h.succeed(output)
    assert seen == [123, 4.4, False, 4]
    assert h.status == "COMPLETED"


@pytest.mark.parametrize(
    ("given", "tasks_before", "message"),
    [
        ({"str-var": "12a"}, 0, "Failed to cast value to INT: Cannot parse '12a' as INT."),
        ({"bool-str-var": "yes"}, 2, "Failed to cast value to BOOL: Cannot parse 'yes' as BOOL."),
    ],
)
def test_a_cast_that_cannot_parse_fails_the_node(
    given: dict[str, Any], tasks_before: int, message: str
) -> None:
    """VariableAssignmentModel.applyCast's messages, as a VAR_SUB_ERROR of the node."""
    h = Harness(manual, tasks=TASKS)
    h.run(**given)
    for _ in range(tasks_before):
        h.succeed(1)
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert message in h.failure()["message"]


def test_a_cast_in_a_variable_assignment_and_a_chain_of_casts() -> None:
    """Mirrors TypeCastingTest shouldPerformVariableAssignmentWithCasting and
    shouldHandleComplexCastingChains."""

    def wf_fn(wf: WorkflowThread) -> None:
        input_str = wf.declare_str("input-str", "456")
        result_int = wf.declare_int("result-int")
        result_int.assign(input_str.cast_to_int())
        initial = wf.declare_str("initial-str", "100")
        step1 = wf.execute("int-times-two", initial.cast_to_int())
        step2 = wf.execute("double-times-one-point-five", step1)
        step3 = wf.execute("int-times-two", step2.cast_to_int())
        wf.execute("prefix-string", step3)

    h = Harness(wf_fn, tasks=TASKS)
    h.run()
    assert h.variables["result-int"] == 456
    inputs = []
    for output in (200, 300.0, 600, "processed-600"):
        inputs.append(h.task_input()[0])
        h.succeed(output)
    assert inputs == [100, 200.0, 300, "600"]
    assert h.status == "COMPLETED"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda wf: wf.declare_bool("bool-var").assign(
                wf.declare_double("double-var").cast_to(VariableType.BOOL)
            ),
            "Cannot cast from DOUBLE to BOOL. This conversion is not supported.",
        ),
        (
            lambda wf: wf.execute("invert-boolean", wf.declare_int("int-var").cast_to_bool()),
            "Cannot cast from INT to BOOL. This conversion is not supported.",
        ),
        (
            lambda wf: wf.execute("int-times-two", wf.declare_str("str-var")),
            "Cannot assign STR to INT without explicit casting",
        ),
        (
            lambda wf: wf.declare_int("int-var").assign(wf.declare_str("str-var")),
            "Cannot assign STR to INT",
        ),
    ],
)
def test_casts_that_cannot_work_are_refused_at_put_wf_spec(build: Any, message: str) -> None:
    """Mirrors TypeCastingTest shouldFailUnsupportedCast,
    shouldFailWorkflowRegistrationForUnsupportedIntToBoolCast,
    shouldFailWorkflowRegistrationForMissingManualCast and
    shouldFailVariableAssignmentWithoutExplicitCast."""
    with pytest.raises(SpecError) as caught:
        Harness(build, tasks=TASKS)
    assert message in str(caught.value)
