"""Struct variables in the core: checked against their StructDef when a thread starts,
when mutated and when a task returns one; fields read with lhPath (``WfRunVariable.get``).

Workflows are compiled by the official SDK; StructDefs are given pinned, as
PutWfSpec pins them. Messages are LittleHorse's (StructValidationsTest,
LHPathTest, TaskRunModel's output check).
"""

from __future__ import annotations

from typing import Any

import canter
import pytest
from canter_engine.core.operations import (
    VarSubError,
    cast,
    compare,
    format_value,
    get_path,
    json_set,
    operate,
)
from canter_engine.model import values
from canter_engine.model.spec import NameId, TaskDef, VariableDef
from canter_engine.model.values import ArrayValue, StructValue
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

STRUCT_DEFS: dict[tuple[str, int], dict[str, Any]] = {
    ("car", 0): {
        "fields": {
            "make": {"fieldType": {"primitiveType": "STR"}},
            "year": {"fieldType": {"primitiveType": "INT"}, "defaultValue": {"int": "1970"}},
            "owner": {"fieldType": {"structDefId": {"name": "person"}}, "isNullable": True},
        }
    },
    ("person", 0): {"fields": {"name": {"fieldType": {"primitiveType": "STR", "masked": True}}}},
}


@canter.struct_def(name="boat")
class Boat:
    make: str


def _car(**fields: Any) -> StructValue:
    return StructValue("car", -1, fields)


def _struct_task(name: str, returns: bool = False) -> TaskDef:
    car = {"structDefId": {"name": "car"}}
    return TaskDef.model_validate(
        {
            "id": NameId(name=name).to_json(),
            "inputVars": [VariableDef.model_validate({"name": "car", "typeDef": car}).to_json()],
            **({"returnType": {"returnType": car}} if returns else {}),
            "taskQueue": name,
        }
    )


def fields_workflow(wf: WorkflowThread) -> None:
    car = wf.declare_struct("car", "car", 0).required()
    year = wf.declare_int("year")
    verdict = wf.declare_str("verdict")
    owner = wf.declare_str("owner")
    year.assign(car.get("year"))
    owner.assign(car.get("owner").get("name"))
    wf.do_if(
        car.get("year").is_less_than(2000),
        lambda t: verdict.assign("classic"),
        lambda t: verdict.assign("modern"),
    )
    wf.execute("greet", car.get("year").cast_to_str())


def test_fields_are_read_in_mutations_conditions_and_casts() -> None:
    """Mirrors LHPathTest.shouldPerformGetOnStruct; the stored struct carries the pinned
    StructDef version and its masked fields."""
    h = Harness(fields_workflow, tasks={"greet": ("STR",)}, struct_defs=STRUCT_DEFS)
    owner = StructValue("person", -1, {"name": "Ada"})
    h.run(car=_car(make="VW", year=1968, owner=owner))
    assert h.task_input() == ["1968"]
    h.succeed()
    assert h.status == "COMPLETED"
    assert (h.variables["year"], h.variables["verdict"], h.variables["owner"]) == (
        1968,
        "classic",
        "Ada",
    )
    stored = values.encode(h.variables["car"])
    assert stored["struct"]["structDefId"] == {"name": "car"}
    assert stored["struct"]["struct"]["fields"]["owner"]["value"]["struct"]["struct"] == {
        "fields": {"name": {"value": {"str": "Ada"}, "masked": True}}
    }


def test_an_optional_field_left_out_is_empty_and_has_no_fields() -> None:
    """``car.get("owner")`` of a car without an owner is the empty value, so
    ``.get("name")`` on it fails the node (LittleHorse fails it too)."""
    h = Harness(fields_workflow, tasks={"greet": ("STR",)}, struct_defs=STRUCT_DEFS)
    h.run(car=_car(make="VW", year=2010))
    assert h.status == "ERROR"
    assert h.variables["year"] is None
    assert h.failure()["message"].endswith(
        "Mutating variable owner with operation ASSIGN: Cannot 'get' on VALUE_NOT_SET "
        "(variable 'car')"
    )


def test_a_struct_missing_a_required_field_fails_the_thread_as_var_sub_error() -> None:
    """What RunWf refuses with a 400 (StructValidationsTest) fails here if it gets this far."""
    h = Harness(fields_workflow, tasks={"greet": ("STR",)}, struct_defs=STRUCT_DEFS)
    h.run(car=_car(year=1999))
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert h.failure()["message"] == (
        "Variable car invalid: Struct incompatible with StructDef car/00000: "
        "Missing required field make"
    )


def test_a_field_of_the_wrong_type_names_the_field() -> None:
    h = Harness(fields_workflow, tasks={"greet": ("STR",)}, struct_defs=STRUCT_DEFS)
    h.run(car=_car(make="VW", owner="Ada"))
    assert h.failure()["message"] == (
        "Variable car invalid: Struct incompatible with StructDef car/00000: Field 'owner' is "
        "invalid: StructFieldDef validation failed: Value of type STR is not compatible with "
        "expected type Struct<person,v0>"
    )


def assign_boat(wf: WorkflowThread) -> None:
    car = wf.declare_struct("car", "car", 0)
    car.assign(Boat(make="Riva"))


def test_assigning_a_struct_of_another_struct_def_is_a_var_sub_error() -> None:
    h = Harness(assign_boat, struct_defs=STRUCT_DEFS)
    h.run()
    assert h.status == "ERROR"
    assert h.failure()["message"].endswith(
        "Mutating variable car with operation ASSIGN: Variable car invalid: Value of type "
        "Struct<boat,v-1> is not compatible with expected type Struct<car,v0>"
    )


def through_a_task(wf: WorkflowThread) -> None:
    car = wf.declare_struct("car", "car", 0).required()
    car.assign(wf.execute("restore", car))


def test_a_struct_returned_by_a_task_is_checked_against_the_return_type() -> None:
    """As LittleHorse's TaskRunModel: TASK_OUTPUT_SERDE_ERROR, VAR_SUB_ERROR, not retried."""
    h = Harness(
        through_a_task,
        task_defs={"restore": _struct_task("restore", returns=True)},
        struct_defs=STRUCT_DEFS,
    )
    h.run(car=_car(make="VW"))
    sent = h.task_input()[0]
    assert isinstance(sent, StructValue) and sent.version == 0
    h.succeed(_car(make="VW", year=1955))
    assert h.status == "COMPLETED"
    assert h.variables["car"] == StructValue("car", 0, {"make": "VW", "year": 1955})

    bad = Harness(
        through_a_task,
        task_defs={"restore": _struct_task("restore", returns=True)},
        struct_defs=STRUCT_DEFS,
    )
    bad.run(car=_car(make="VW"))
    bad.succeed({"make": "VW"})
    assert bad.status == "ERROR"
    assert bad.failure()["failureName"] == "VAR_SUB_ERROR"
    assert (
        "TASK_OUTPUT_SERDE_ERROR: Task output incompatible with declared return type: Value of "
        "type JSON_OBJ is not compatible with expected type Struct<car,v0>"
    ) in bad.failure()["message"]


def test_get_reads_struct_fields_then_json_and_refuses_other_values() -> None:
    """``VariableValueModel.get(LHPath)``: fields of a struct, JSONPath once inside JSON."""
    path = {"path": [{"key": "owner"}, {"key": "tags"}, {"index": 1}]}
    car = _car(make="VW", owner={"tags": ["a", "b"]})
    assert get_path(car, path, "variable 'car'") == "b"
    assert get_path(car, {"path": [{"key": "year"}]}, "variable 'car'") is None
    with pytest.raises(VarSubError, match="Cannot 'get' on STR"):
        get_path(car, {"path": [{"key": "make"}, {"key": "first"}]}, "variable 'car'")
    with pytest.raises(VarSubError, match="a Struct's fields are selected by key"):
        get_path(car, {"path": [{"index": 0}]}, "variable 'car'")
    with pytest.raises(VarSubError, match="Casting from STRUCT to STR is not supported"):
        cast(car, "STR")


def test_get_selects_array_elements_by_index() -> None:
    """LHPathTest's ``person.get("friends").get(0)``, and the errors around it."""
    person = StructValue("person", 0, {"friends": ArrayValue(("Yoda", "Anakin"))})
    assert get_path(person, {"path": [{"key": "friends"}, {"index": 1}]}, "p") == "Anakin"
    with pytest.raises(VarSubError, match="Array index cannot be negative: -1"):
        get_path(person, {"path": [{"key": "friends"}, {"index": -1}]}, "p")
    with pytest.raises(VarSubError, match="Index 2 out of bounds for length 2"):
        get_path(person, {"path": [{"key": "friends"}, {"index": 2}]}, "p")
    assert compare("Yoda", "IN", person.fields["friends"])


def struct_equals(wf: WorkflowThread) -> None:
    a = wf.declare_struct("struct-a", "car", 0)
    b = wf.declare_struct("struct-b", "car", 0)
    wf.execute("one")
    wf.do_if(a.is_equal_to(b), lambda t: t.execute("one"), lambda t: t.execute("two"))


@pytest.mark.parametrize(
    ("a", "b", "branch"),
    [
        (_car(make="Honda", year=2000), _car(make="Honda", year=2000), "one"),
        (_car(make="Tesla", year=2015), _car(make="Honda", year=2000), "two"),
    ],
)
def test_structs_compare_equal_field_by_field(a: StructValue, b: StructValue, branch: str) -> None:
    """Mirrors ConditionalsTest.Equals.shouldCompleteStructEqualsWorkflowWithConditionals."""
    h = Harness(struct_equals, tasks={"one": (), "two": ()}, struct_defs=STRUCT_DEFS)
    h.run(**{"struct-a": a, "struct-b": b})
    h.succeed()
    assert h.in_flight().task_def_name == branch
    h.succeed()
    assert h.status == "COMPLETED"


def test_a_struct_is_text_in_a_format_string_and_stays_out_of_json_values() -> None:
    """A struct reads as its VariableValue JSON inside a STR; adding one to a JSON_ARR or
    setting one inside a JSON_OBJ fails the node, since JSON values hold JSON only."""
    car = StructValue("car", 0, {"make": "VW"})
    assert (
        format_value(car) == '{"struct":{"structDefId":{"name":"car"},"struct":{"fields":'
        '{"make":{"value":{"str":"VW"}}}}}}'
    )
    with pytest.raises(VarSubError, match="Cannot put a STRUCT into a JSON_ARR"):
        operate([], "ADD", car, "JSON_ARR")
    with pytest.raises(VarSubError, match=r"Cannot put a STRUCT into variable 'o' at \$\.car"):
        json_set({}, "$.car", car, "variable 'o'")
