"""All mutations, applied on the edge after a node completes, computed as LittleHorse does."""

from typing import Any

import pytest
from littlehorse.model import VariableMutationType
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def mutation(var_type: str, initial: Any, op: str, rhs: Any):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        declare = getattr(wf, f"declare_{var_type}")
        var = declare("v", initial)
        wf.mutate(var, VariableMutationType.Value(op), rhs)

    return wf_fn


CASES = [
    ("int", 5, "ASSIGN", 7, 7),
    ("int", 5, "ADD", 3, 8),
    ("double", 1.5, "ADD", 1, 2.5),
    ("str", "ab", "ADD", "cd", "abcd"),
    ("str", "n=", "ADD", 5, "n=5"),
    ("json_arr", [1], "ADD", 2, [1, 2]),
    ("int", 5, "SUBTRACT", 7, -2),
    ("int", 6, "MULTIPLY", 7, 42),
    ("int", 7, "DIVIDE", 2, 3),
    ("int", -7, "DIVIDE", 2, -3),
    ("double", 7.0, "DIVIDE", 2, 3.5),
    # An INT variable stays INT: a DOUBLE operand is truncated (ADD) or the result is.
    ("int", 5, "ADD", 2.7, 7),
    ("int", 5, "SUBTRACT", 2.7, 2),
    ("int", 5, "MULTIPLY", 2.5, 12),
    ("int", 5, "DIVIDE", 2.0, 2),
    # Java long arithmetic wraps.
    ("int", 2**63 - 1, "ADD", 1, -(2**63)),
    ("int", 2, "POW", 10, 1024),
    ("double", 2.0, "POW", 0.5, 2**0.5),
    ("json_arr", [1, 2], "EXTEND", [3, 4], [1, 2, 3, 4]),
    ("str", "ab", "EXTEND", "c", "abc"),
    # LittleHorse removes every equal item, and 1.0 is not equal to 1.
    ("json_arr", [1, 2, 1, 1.0], "REMOVE_IF_PRESENT", 1, [2, 1.0]),
    ("json_arr", ["x", "y", "z"], "REMOVE_INDEX", 1, ["x", "z"]),
    ("json_obj", {"a": 1, "b": 2}, "REMOVE_KEY", "b", {"a": 1}),
    ("bool", True, "AND", False, False),
    ("bool", False, "OR", True, True),
]


@pytest.mark.parametrize(("var_type", "initial", "op", "rhs", "expected"), CASES)
def test_mutation(var_type: str, initial: Any, op: str, rhs: Any, expected: Any) -> None:
    """Mirrors LittleHorse's VarMutationListsTest/VarMutationsNumbersTest and VariableValueModel."""
    h = Harness(mutation(var_type, initial, op, rhs))
    h.run()
    assert h.status == "COMPLETED"
    assert h.variables["v"] == expected
    assert type(h.variables["v"]) is type(expected)


@pytest.mark.parametrize(
    ("var_type", "initial", "op", "rhs", "message"),
    [
        ("int", 5, "DIVIDE", 0, "Cannot divide by zero"),
        ("json_arr", [1], "REMOVE_INDEX", 3, "Index 3 out of bounds for length 1"),
        ("json_arr", [1], "REMOVE_INDEX", -1, "Index -1 out of bounds for length 1"),
        ("bool", True, "ADD", 1, "Cannot add to var of type BOOL"),
        ("json_obj", {"a": 1}, "REMOVE_IF_PRESENT", "a", "Cannot removeIfPresent on var"),
        ("int", 2, "POW", 64, "out of range for INT"),
    ],
)
def test_a_bad_mutation_fails_the_node_with_var_sub_error(
    var_type: str, initial: Any, op: str, rhs: Any, message: str
) -> None:
    """Mirrors LittleHorse's ExpressionTest dividingByZeroThrowsVarSubError: edge failures are
    VAR_SUB_ERROR, with NodeRunModel's "Failed evaluating edge" message."""
    h = Harness(mutation(var_type, initial, op, rhs))
    h.run()
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "VAR_SUB_ERROR"
    assert failure["message"].startswith(
        "Failed evaluating edge with sink node 1-exit-EXIT: "
        f"Mutating variable v with operation {op}: "
    )
    assert message in failure["message"]
    assert h.variables["v"] == initial


def numbers_workflow(wf: WorkflowThread) -> None:
    """LittleHorse's VarMutationsNumbersTest workflow, in the Python SDK."""
    my_int = wf.declare_int("my-int")
    my_double = wf.declare_double("my-double")
    my_other_int = wf.declare_int("my-other-int")
    output = wf.execute("ad-simple")
    wf.mutate(my_int, VariableMutationType.ADD, output)
    wf.mutate(my_int, VariableMutationType.SUBTRACT, 2)
    wf.mutate(my_other_int, VariableMutationType.ASSIGN, my_double.cast_to_int())
    wf.mutate(my_other_int, VariableMutationType.DIVIDE, my_int)


def test_math_mutations_over_number_variables() -> None:
    """Mirrors VarMutationsNumbersTest shouldApplyMathMutationsOverNumberVariables."""
    h = Harness(numbers_workflow, tasks={"ad-simple": ()})
    h.run(**{"my-int": 5, "my-double": 24.2})
    h.succeed(10)
    assert h.status == "COMPLETED"
    assert h.variables == {"my-int": 13, "my-double": 24.2, "my-other-int": 24 // 13}


def test_a_failed_mutation_rolls_back_every_mutation_of_its_edge() -> None:
    """Mirrors VarMutationsNumbersTest shouldRollbackVariablesWhenMutationsFailed."""
    h = Harness(numbers_workflow, tasks={"ad-simple": ()})
    h.run(**{"my-int": -8, "my-double": 10.0})
    h.succeed(10)
    assert h.status == "ERROR"
    assert h.variables == {"my-int": -8, "my-double": 10.0, "my-other-int": None}
    failure = h.failure()
    assert failure["failureName"] == "VAR_SUB_ERROR"
    assert failure["message"] == (
        "Failed evaluating edge with sink node 2-exit-EXIT: Mutating variable my-other-int "
        "with operation DIVIDE: Cannot divide by zero"
    )


def test_later_mutations_of_an_edge_see_the_earlier_ones() -> None:
    """LittleHorse's write-ahead buffer: a mutation reads what the ones before it wrote."""

    def wf_fn(wf: WorkflowThread) -> None:
        a = wf.declare_int("a", 1)
        b = wf.declare_int("b", 0)
        a.assign(a.add(10))
        b.assign(a.multiply(2))

    h = Harness(wf_fn)
    h.run()
    assert h.variables == {"a": 11, "b": 22}


def test_a_double_assigned_to_an_int_variable_is_truncated() -> None:
    """Mirrors ExpressionTest shouldCastDoubleToIntWhenAssigningToInt (VariableValueModel.asInt)."""

    def wf_fn(wf: WorkflowThread) -> None:
        data = wf.declare_json_obj("data")
        n = wf.declare_int("n")
        n.assign(data.with_json_path("$.x"))

    h = Harness(wf_fn)
    h.run(data={"x": -2.9})
    assert h.status == "COMPLETED"
    assert h.variables["n"] == -2


def test_a_mutation_can_write_inside_a_json_variable_and_read_a_node_output() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        order = wf.declare_json_obj("order", {"items": [], "total": 0})
        out = wf.execute("price")
        order.with_json_path("$.total").assign(out.with_json_path("$.amount"))

    h = Harness(wf_fn, tasks={"price": ()})
    h.run()
    h.succeed({"amount": 42})
    assert h.variables["order"] == {"items": [], "total": 42}


def json_field_workflow(wf: WorkflowThread) -> None:
    """ExpressionTest's JSON part: ``$.foo`` and ``$.foo.bar`` assigned."""
    json = wf.declare_json_obj("json")
    nested = wf.declare_json_obj("nested-json")
    wf.do_if(json.is_not_equal_to(None), lambda t: json.with_json_path("$.foo").assign("bar"))
    wf.do_if(
        nested.is_not_equal_to(None),
        lambda t: nested.with_json_path("$.foo.bar").assign("baz"),
    )


@pytest.mark.parametrize("initial", [{"foo": "baz"}, {}])
def test_assigning_a_json_field_overwrites_or_adds_it(initial: dict[str, Any]) -> None:
    """Mirrors ExpressionTest shouldOverwriteJsonValueWhenMutating and shouldAddKeyIfNotExists."""
    h = Harness(json_field_workflow)
    h.run(json=initial)
    assert h.status == "COMPLETED"
    assert h.variables["json"] == {"foo": "bar"}


def test_assigning_below_a_missing_json_field_fails() -> None:
    """Mirrors ExpressionTest shouldThrowOnSecondLayerNullNestedField."""
    h = Harness(json_field_workflow)
    h.run(**{"nested-json": {}})
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert "missing property" in h.failure()["message"].lower()
    assert h.variables["nested-json"] == {}


def test_assigning_below_a_present_json_field_sets_it() -> None:
    """Mirrors ExpressionTest shouldSetNullNestedFieldWhenFirstLayerProvided."""
    h = Harness(json_field_workflow)
    h.run(**{"nested-json": {"foo": {}}})
    assert h.status == "COMPLETED"
    assert h.variables["nested-json"] == {"foo": {"bar": "baz"}}


def lists_workflow(wf: WorkflowThread) -> None:
    """LittleHorse's VarMutationListsTest workflow."""
    list_one = wf.declare_json_arr("list-one")
    wf.execute("af-simple")
    wf.mutate(list_one, VariableMutationType.REMOVE_IF_PRESENT, 5)
    wf.mutate(list_one, VariableMutationType.REMOVE_IF_PRESENT, "hello")
    wf.mutate(list_one, VariableMutationType.REMOVE_INDEX, 3)


def test_list_removals() -> None:
    """Mirrors VarMutationListsTest shouldCompleteRemoveListVariableMutations."""
    h = Harness(lists_workflow, tasks={"af-simple": ()})
    h.run(**{"list-one": ["asdf", "asdf", 3, 4, 9]})
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.variables["list-one"] == ["asdf", "asdf", 3, 9]


def test_an_index_out_of_range_rolls_the_list_back() -> None:
    """Mirrors VarMutationListsTest shouldThrowOutOfIndexException."""
    h = Harness(lists_workflow, tasks={"af-simple": ()})
    h.run(**{"list-one": [5, "hello", 3, 4]})
    h.succeed()
    assert h.status == "ERROR"
    assert h.variables["list-one"] == [5, "hello", 3, 4]
    assert "Index 3 out of bounds for length 2" in h.failure()["message"]


@pytest.mark.parametrize(
    ("initial", "expected"), [({"foo": "bar", "baz": 2}, {"baz": 2}), ({"baz": 2}, {"baz": 2})]
)
def test_remove_key_from_a_json_variable(initial: dict[str, Any], expected: Any) -> None:
    """Mirrors JsonMutationTest shouldRemoveKeyFromJsonVar and
    shouldIgnoreJsonKeyToRemoveWhenIsNotPresent."""

    def wf_fn(wf: WorkflowThread) -> None:
        my_obj = wf.declare_json_obj("my-obj")
        wf.execute("ae-simple")
        wf.mutate(my_obj, VariableMutationType.REMOVE_KEY, "foo")

    h = Harness(wf_fn, tasks={"ae-simple": ()})
    h.run(**{"my-obj": initial})
    h.succeed("hello there")
    assert h.status == "COMPLETED"
    assert h.variables["my-obj"] == expected
