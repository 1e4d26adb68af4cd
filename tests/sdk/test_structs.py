"""``@canter.struct_def`` classes against the official SDK's ``lh_struct`` module.

The PutStructDefRequest, the Struct a value becomes and the value a task
receives are the official SDK's for the same class (``MessageToDict`` of
``class_to_put_struct_def_request`` / ``serialize_to_struct``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import canter
import pytest
from canter.client import from_value, to_value
from canter.structs import from_struct, is_struct, to_struct
from canter.task_def import create_task_def
from canter.worker.binding import Binding
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.lh_struct import (
    LHStructField,
    class_to_put_struct_def_request,
    deserialize_struct,
    lh_struct_def,
    serialize_to_struct,
)
from littlehorse.model import StructDefCompatibilityType
from littlehorse.model.type_definition_pb2 import Struct


@canter.struct_def(name="address", description="Where someone lives")
class Address:
    street: str
    zip_code: Annotated[str, canter.StructField(masked=True, description="postal code")]
    floor: int = 0


@canter.struct_def(name="person")
class Person:
    full_name: str
    home: Address
    born: datetime
    nickname: Annotated[str, canter.StructField(name="alias")] = "none"
    cache: Annotated[str, canter.StructIgnore()] = ""


@lh_struct_def(name="address", description="Where someone lives")
class LHAddress:
    street: str
    zip_code: Annotated[str, LHStructField(masked=True, description="postal code")]
    floor: int = 0


def test_put_struct_def_request_is_the_official_sdks() -> None:
    assert canter.put_struct_def_request(Address) == MessageToDict(
        class_to_put_struct_def_request(LHAddress)
    )
    fully = canter.put_struct_def_request(Address, "FULLY_COMPATIBLE_SCHEMA_UPDATES")
    assert fully == MessageToDict(
        class_to_put_struct_def_request(
            LHAddress, StructDefCompatibilityType.FULLY_COMPATIBLE_SCHEMA_UPDATES
        )
    )
    person = canter.put_struct_def_request(Person)["structDef"]["fields"]
    assert sorted(person) == ["alias", "born", "fullName", "home"]
    assert person["home"] == {"fieldType": {"structDefId": {"name": "address", "version": -1}}}
    assert person["born"] == {"fieldType": {"primitiveType": "TIMESTAMP"}}


def test_a_json_field_is_refused_as_the_official_sdk_refuses_it() -> None:
    @canter.struct_def(name="bag")
    class Bag:
        items: list[str]

    with pytest.raises(TypeError, match="Forbidden JSON type: JSON_ARR"):
        canter.put_struct_def_request(Bag)


def test_an_instance_is_the_struct_the_official_sdk_sends_and_comes_back() -> None:
    home = Address(street="Main St", zip_code="12345")
    ada = Person(full_name="Ada", home=home, born=datetime(1815, 12, 10, tzinfo=UTC), nickname="A")
    assert to_struct(home) == MessageToDict(
        serialize_to_struct(LHAddress(street="Main St", zip_code="12345"))
    )
    sent = to_value(ada)
    assert set(sent) == {"struct"}
    received = from_value(sent)
    assert received["home"] == {"street": "Main St", "zipCode": "12345", "floor": 0}
    back = from_struct(received, Person)
    assert (back.full_name, back.nickname, back.home.zip_code) == ("Ada", "A", "12345")
    official = deserialize_struct(ParseDict(to_struct(home), Struct()), LHAddress)
    assert (official.street, official.zip_code, official.floor) == ("Main St", "12345", 0)


def test_the_official_sdks_classes_are_structs_to_canter_too() -> None:
    """A class decorated by the official SDK, its LHStructField markers included, reads as
    Canter's class does: the same request, the same Struct."""
    assert is_struct(LHAddress) and is_struct(Address) and not is_struct(dict)
    assert canter.put_struct_def_request(LHAddress) == canter.put_struct_def_request(Address)
    official = LHAddress(street="a", zip_code="b")
    assert to_value(official) == {"struct": MessageToDict(serialize_to_struct(official))}


def test_a_task_takes_and_returns_its_struct_class() -> None:
    def move(person: Person, street: str) -> Address:
        return Address(street=street, zip_code=person.home.zip_code, floor=1)

    request = create_task_def(move, name="move")
    assert request["inputVars"][0] == {
        "name": "person",
        "typeDef": {"structDefId": {"name": "person", "version": -1}},
    }
    assert request["returnType"] == {
        "returnType": {"structDefId": {"name": "address", "version": -1}}
    }
    person = from_value(
        to_value(
            Person(full_name="Ada", home=Address(street="a", zip_code="9"), born=datetime.now(UTC))
        )
    )
    moved = Binding.of(move).call([("person", person), ("street", "Elm St")], None)
    assert isinstance(moved, Address) and moved.zip_code == "9"
    assert to_value(moved)["struct"]["struct"]["fields"]["street"] == {"value": {"str": "Elm St"}}


def test_a_required_field_must_be_given() -> None:
    with pytest.raises(TypeError, match="missing required keyword argument: 'street'"):
        Address(zip_code="1")


def test_the_builder_checks_a_struct_input_of_a_registered_task() -> None:
    @canter.task(name="relocate")
    def relocate(address: Address) -> Address:
        return address

    def body(wf: canter.WorkflowThread) -> None:
        home = wf.declare_struct("home", Address)
        moved = wf.declare_struct("moved", Address)
        moved.assign(wf.execute(relocate, home))
        wf.execute(relocate, Address(street="Elm St", zip_code="2"))

    compiled = canter.Workflow("moves", body).compile()
    nodes = compiled["threadSpecs"]["entrypoint"]["nodes"]
    literal = nodes["2-relocate-TASK"]["task"]["variables"][0]["literalValue"]
    assert literal["struct"]["structDefId"] == {"name": "address", "version": -1}

    def wrong(wf: canter.WorkflowThread) -> None:
        wf.execute(relocate, wf.declare_str("street"))

    with pytest.raises(
        canter.WorkflowDefinitionError,
        match="argument 'address' of task 'relocate' must be Struct<address>, not STR variable",
    ):
        canter.Workflow("moves", wrong).compile()
