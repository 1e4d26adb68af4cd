"""Struct values: their JSON, the check against a StructDef, and the types an lhPath reaches.

The check's rules and messages are LittleHorse's ``TypeDefinitionModel.
validateCompatibility`` and ``InlineStructDefModel.validateAgainstSuperset``.
"""

from __future__ import annotations

from typing import Any

import pytest
from canter_engine.model import structs, values
from canter_engine.model.spec import PutWfSpecRequest, TaskDef
from canter_engine.model.validate import SpecError, validate_wf_spec
from canter_engine.model.values import StructValue
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import VariableValue
from littlehorse.workflow import Workflow, WorkflowThread

DEFS: dict[tuple[str, int], dict[str, Any]] = {
    ("car", 3): {
        "fields": {
            "make": {"fieldType": {"primitiveType": "STR"}},
            "price": {"fieldType": {"primitiveType": "DOUBLE"}, "isNullable": True},
            "year": {"fieldType": {"primitiveType": "INT"}, "defaultValue": {"int": "1970"}},
            "owner": {"fieldType": {"structDefId": {"name": "person"}}, "isNullable": True},
        }
    },
    ("person", 0): {"fields": {"name": {"fieldType": {"primitiveType": "STR", "masked": True}}}},
}
CAR = {"structDefId": {"name": "car", "version": 3}}


def test_a_struct_value_round_trips_as_the_official_variable_value() -> None:
    raw = MessageToDict(
        ParseDict(
            {
                "struct": {
                    "structDefId": {"name": "car", "version": -1},
                    "struct": {
                        "fields": {
                            "make": {"value": {"str": "VW"}},
                            "owner": {
                                "value": {
                                    "struct": {
                                        "structDefId": {"name": "person"},
                                        "struct": {"fields": {"name": {"value": {"str": "Ada"}}}},
                                    }
                                }
                            },
                        }
                    },
                }
            },
            VariableValue(),
        )
    )
    decoded = values.decode(raw)
    assert decoded == StructValue(
        "car", -1, {"make": "VW", "owner": StructValue("person", 0, {"name": "Ada"})}
    )
    assert values.type_of(decoded) == "STRUCT"
    assert values.encode(decoded) == raw
    assert values.decode(values.encode(decoded)) == decoded


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"struct": "x"}, "v.struct: expected a Struct object, got a string"),
        ({"struct": {"struct": {}}}, "v.struct: structDefId is required"),
        (
            {"struct": {"structDefId": {"name": "car"}, "struct": {"fields": {"a": {"v": 1}}}}},
            "v.struct: field 'a' must be a StructField",
        ),
        (
            {
                "struct": {
                    "structDefId": {"name": "car"},
                    "struct": {"fields": {"year": {"value": {"int": "x"}}}},
                }
            },
            "v.struct.struct.fields.year.value.int: invalid literal",
        ),
    ],
)
def test_malformed_struct_json_is_refused_naming_the_field(raw: Any, message: str) -> None:
    with pytest.raises(values.ValueError_) as refused:
        values.decode(raw, "v")
    assert str(refused.value).startswith(message)


def _check(value: Any) -> Any:
    return structs.check(value, CAR, DEFS)


def test_a_matching_struct_is_pinned_and_its_masked_fields_marked() -> None:
    owner = StructValue("person", -1, {"name": "Ada"})
    checked = _check(StructValue("car", -1, {"make": "VW", "owner": owner, "extra": 1}))
    assert checked.version == 3
    assert checked.fields["owner"] == StructValue("person", 0, {"name": "Ada"})
    assert checked.fields["owner"].masked == frozenset({"name"})
    assert checked.fields["extra"] == 1  # a superset is accepted, as from a newer client


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("VW", "Value of type STR is not compatible with expected type Struct<car,v3>"),
        (
            StructValue("boat", 0, {}),
            "Value of type Struct<boat,v0> is not compatible with expected type Struct<car,v3>",
        ),
        (StructValue("car", 0, {}), "Missing required field make"),
        (
            StructValue("car", 0, {"make": None}),
            "Field 'make' is invalid: Field is not nullable but received null value",
        ),
        (
            StructValue("car", 0, {"make": "VW", "year": "old"}),
            "Field 'year' is invalid: StructFieldDef validation failed: Value of type STR is "
            "not compatible with expected type INT",
        ),
        (
            StructValue("car", 0, {"make": "VW", "owner": StructValue("person", 0, {})}),
            "Field 'owner' is invalid: StructFieldDef validation failed: Struct incompatible "
            "with StructDef person/00000: Missing required field name",
        ),
    ],
)
def test_a_struct_that_does_not_match_says_which_field_and_why(value: Any, message: str) -> None:
    with pytest.raises(structs.StructError) as refused:
        _check(value)
    shown = str(refused.value)
    assert shown == message or shown == f"Struct incompatible with StructDef car/00003: {message}"


def test_canbetype_rules_apply_inside_a_struct() -> None:
    """An INT in a DOUBLE or STR field is compatible, as LittleHorse's canBeType; a nullable
    field may be null, a field with a default may be left out."""
    checked = _check(StructValue("car", 0, {"make": 5, "price": 3, "owner": None}))
    assert checked.fields == {"make": 5, "price": 3, "owner": None}


def test_the_type_an_lh_path_reaches() -> None:
    assert structs.field_type(CAR, [{"key": "owner"}, {"key": "name"}], DEFS) == {
        "primitiveType": "STR",
        "masked": True,
    }
    with pytest.raises(structs.StructError, match="could not find field 'age' on type Struct"):
        structs.field_type(CAR, [{"key": "age"}], DEFS)
    with pytest.raises(structs.StructError, match=r"Failed fetching LHPath to '\$.make.x'"):
        structs.field_type(CAR, [{"key": "make"}, {"key": "x"}], DEFS)
    assert structs.field_type({"primitiveType": "JSON_OBJ"}, [{"key": "a"}], DEFS) is None


def _spec(fn: Any) -> PutWfSpecRequest:
    return PutWfSpecRequest.model_validate(MessageToDict(Workflow("wf", fn).compile()))


def test_put_wf_spec_checks_paths_defaults_and_casts_of_struct_variables() -> None:
    def body(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", "car", 3)
        wf.declare_str("make").assign(car.get("make"))
        wf.declare_int("n").assign(car.get("colour"))
        wf.declare_str("s").assign(car.cast_to_str())
        wf.declare_bool("b").assign(car.get("owner").get("name"))

    with pytest.raises(SpecError) as refused:
        validate_wf_spec(_spec(body), {}, set(), None, DEFS)
    problems = refused.value.problems
    assert len(problems) == 3, problems
    assert "could not find field 'colour' on type Struct<car,v3>" in problems[0]
    assert "Cannot cast from STRUCT to STR. This conversion is not supported." in problems[1]
    assert "cannot ASSIGN STR to BOOL variable 'b'" in problems[2]


PERSON = {"structDefId": {"name": "person", "version": 1}}
WITH_FRIENDS: dict[tuple[str, int], dict[str, Any]] = {
    ("person", 1): {
        "fields": {
            "name": {"fieldType": {"primitiveType": "STR"}},
            "friends": {"fieldType": {"inlineArrayDef": {"arrayType": {"primitiveType": "STR"}}}},
        }
    }
}


def test_an_array_field_holds_an_array_of_its_element_type() -> None:
    """A StructDef field of ``inlineArrayDef`` (LHPathTest's ``friends``): the value is
    LittleHorse's Array, each element checked, the declared element type pinned on it."""
    raw = {
        "struct": {
            "structDefId": {"name": "person"},
            "struct": {
                "fields": {
                    "name": {"value": {"str": "Obi-Wan"}},
                    "friends": {"value": {"array": {"items": [{"str": "Yoda"}, {"str": "Ani"}]}}},
                }
            },
        }
    }
    ParseDict(raw, VariableValue())
    checked = structs.check(values.decode(raw), PERSON, WITH_FRIENDS)
    friends = checked.fields["friends"]
    assert friends == values.ArrayValue(("Yoda", "Ani"))
    assert friends.element_type == {"primitiveType": "STR"}
    items = [{"str": "Yoda"}, {"str": "Ani"}]
    assert values.encode(friends) == {
        "array": {"items": items, "elementType": {"primitiveType": "STR"}}
    }
    wrong = StructValue("person", 0, {"name": "x", "friends": values.ArrayValue(("a", {"x": 1}))})
    with pytest.raises(structs.StructError) as refused:
        structs.check(wrong, PERSON, WITH_FRIENDS)
    assert str(refused.value).endswith(
        "Field 'friends' is invalid: StructFieldDef validation failed: Array element type JSON_OBJ "
        "incompatible with expected element type STR: Value of type JSON_OBJ is not compatible "
        "with expected type STR"
    )
    not_array = StructValue("person", 0, {"name": "x", "friends": ["a"]})
    with pytest.raises(structs.StructError, match="Value of type JSON_ARR is not compatible"):
        structs.check(not_array, PERSON, WITH_FRIENDS)


def test_a_struct_of_another_struct_def_is_refused_where_the_types_say_so() -> None:
    """``isCompatibleWith``: two struct types are compatible when they name one StructDef."""
    defs = {**DEFS, **WITH_FRIENDS}

    def body(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", "car", 3)
        person = wf.declare_struct("person", "person", 1)
        car.assign(person)
        wf.execute("park", person)

    park = TaskDef.model_validate(
        {
            "id": {"name": "park"},
            "inputVars": [{"name": "car", "typeDef": CAR}],
            "taskQueue": "park",
        }
    )
    with pytest.raises(SpecError) as refused:
        validate_wf_spec(_spec(body), {"park": park}, set(), None, defs)
    assert sorted(p.split(": ", 1)[1] for p in refused.value.problems) == [
        "cannot ASSIGN Struct<person,v1> to Struct<car,v3> variable 'car'",
        "input 'car' of TaskDef 'park' is Struct<car,v3>, given Struct<person,v1>",
    ]


def test_a_struct_keeps_little_inline_but_may_carry_long_strings() -> None:
    """A Canter limit: a struct is stored field by field, so all but its long strings stay
    in the DynamoDB item; those are bounded, the long strings go to the payload bucket."""
    long_text = StructValue("car", 0, {"make": "x" * 200_000})
    assert structs.check(long_text, CAR, DEFS).fields["make"] == "x" * 200_000
    many_fields = StructValue("car", 0, {"make": "VW", **{f"f{i}": i for i in range(3000)}})
    with pytest.raises(structs.StructError, match="keeps at most 16384 bytes inline"):
        structs.check(many_fields, CAR, DEFS)
