"""StructDefs through the local stack: versions, evolution rules, search and delete.

Mirrors LittleHorse's StructDefLifecycleTest; requests are built with the official
SDK's messages (``MessageToDict``), answers parsed strictly into them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from canter import Client
from canter.client import CanterError, NotFound
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import (
    InlineStructDef,
    PutStructDefRequest,
    StructDef,
    StructDefCompatibilityType,
    StructDefIdList,
    StructFieldDef,
    TypeDefinition,
    ValidateStructDefEvolutionRequest,
    ValidateStructDefEvolutionResponse,
    VariableType,
    VariableValue,
)

pytestmark = pytest.mark.e2e


def _field(primitive: int, default: VariableValue | None = None) -> StructFieldDef:
    spec = StructFieldDef(field_type=TypeDefinition(primitive_type=primitive))
    if default is not None:
        spec.default_value.CopyFrom(default)
    return spec


def _put(
    client: Client,
    name: str,
    fields: dict[str, StructFieldDef],
    description: str = "",
    allowed: int = StructDefCompatibilityType.NO_SCHEMA_UPDATES,
) -> dict[str, Any]:
    request = PutStructDefRequest(
        name=name,
        struct_def=InlineStructDef(fields=fields),
        description=description,
        allowed_updates=allowed,
    )
    answer = client.put_struct_def(MessageToDict(request))
    ParseDict(answer, StructDef())
    return answer


def _name() -> str:
    return f"car-{uuid.uuid4().hex[:10]}"


MODEL = {"model": _field(VariableType.STR)}


def test_put_stores_the_description_and_putting_it_again_changes_nothing(
    client: Client,
) -> None:
    """Mirrors StructDefLifecycleTest.shouldStoreStructDefDescription."""
    name = _name()
    first = _put(client, name, MODEL, "This StructDef describes a car")
    assert first["id"] == {"name": name}
    assert first["structDef"]["fields"]["model"]["fieldType"] == {"primitiveType": "STR"}
    assert _put(client, name, MODEL, "This StructDef describes a car") == first
    assert client.get_struct_def(name)["description"] == "This StructDef describes a car"


def test_a_new_description_is_a_new_version(client: Client) -> None:
    """Mirrors StructDefLifecycleTest.shouldUpdateDescriptionByBumpingVersion."""
    name = _name()
    _put(client, name, MODEL, "Original description")
    second = _put(client, name, MODEL, "Updated description")
    assert second["id"] == {"name": name, "version": 1}
    assert client.get_struct_def(name, 0)["description"] == "Original description"
    assert client.get_struct_def(name, 1)["description"] == "Updated description"


def test_compatible_changes_bump_the_version_and_incompatible_ones_are_refused(
    client: Client,
) -> None:
    """Mirrors StructDefLifecycleTest.shouldBumpVersionWhenPuttingCompatibleStructDefChanges
    and shouldNotBumpVersionWhenPuttingIncompatibleStructDefChanges."""
    name = _name()
    _put(client, name, MODEL)
    fully = StructDefCompatibilityType.FULLY_COMPATIBLE_SCHEMA_UPDATES
    with_year = {**MODEL, "year": _field(VariableType.INT, VariableValue(int=1970))}
    with pytest.raises(CanterError, match="NO_SCHEMA_UPDATES"):
        _put(client, name, with_year)
    assert _put(client, name, with_year, allowed=fully)["id"] == {"name": name, "version": 1}
    required_year = {**MODEL, "year": _field(VariableType.INT)}
    with pytest.raises(CanterError, match=r"\['year'\]"):
        _put(client, name, required_year, allowed=fully)
    with pytest.raises(CanterError, match=r"\['model'\]"):
        _put(client, name, {"model": _field(VariableType.INT)}, allowed=fully)
    with pytest.raises(NotFound):
        client.get_struct_def(name, 2)


def test_validate_evolution_answers_without_storing(client: Client) -> None:
    name = _name()
    _put(client, name, MODEL)

    def valid(fields: dict[str, StructFieldDef], version: int = -1) -> bool:
        request = ValidateStructDefEvolutionRequest(
            struct_def_id={"name": name, "version": version},
            struct_def=InlineStructDef(fields=fields),
            compatibility_type=StructDefCompatibilityType.FULLY_COMPATIBLE_SCHEMA_UPDATES,
        )
        answer = client.call("ValidateStructDefEvolution", MessageToDict(request))
        return ParseDict(answer, ValidateStructDefEvolutionResponse()).is_valid

    assert valid({**MODEL, "color": _field(VariableType.STR, VariableValue(str="red"))})
    assert not valid({"color": _field(VariableType.STR)})
    assert valid({"model": _field(VariableType.STR)}, version=0)
    assert client.search_struct_def(name=name) == [{"name": name}]


def test_fields_referencing_struct_defs_are_pinned_and_bad_fields_refused(
    client: Client,
) -> None:
    address, person = _name(), _name()
    _put(client, address, {"street": _field(VariableType.STR)})
    nested = StructFieldDef(field_type=TypeDefinition(struct_def_id={"name": address}))
    listed = StructFieldDef(
        field_type=TypeDefinition(inline_array_def={"array_type": {"primitive_type": "INT"}})
    )
    made = _put(client, person, {"home": nested, "scores": listed})
    assert made["structDef"]["fields"]["home"]["fieldType"] == {"structDefId": {"name": address}}
    with pytest.raises(CanterError, match="camelCase"):
        _put(client, _name(), {"first_name": _field(VariableType.STR)})
    with pytest.raises(CanterError, match="JSON_OBJ is not allowed"):
        _put(client, _name(), {"blob": _field(VariableType.JSON_OBJ)})
    with pytest.raises(CanterError, match="does not exist"):
        missing = StructFieldDef(field_type=TypeDefinition(struct_def_id={"name": _name()}))
        _put(client, _name(), {"other": missing})
    with pytest.raises(CanterError, match="defaultValue is STR"):
        _put(client, _name(), {"year": _field(VariableType.INT, VariableValue(str="x"))})


def test_search_lists_versions_and_delete_removes_one(client: Client) -> None:
    name = _name()
    _put(client, name, MODEL, "v0")
    _put(client, name, MODEL, "v1")
    page = client.call("SearchStructDef", {"prefix": name})
    ParseDict(page, StructDefIdList())
    assert page["results"] == [{"name": name}, {"name": name, "version": 1}]
    client.delete_struct_def(name, 0)
    with pytest.raises(NotFound):
        client.get_struct_def(name, 0)
    assert client.search_struct_def(prefix=name) == [{"name": name, "version": 1}]
    with pytest.raises(NotFound):
        client.delete_struct_def(name, 0)


def test_struct_types_naming_no_stored_struct_def_and_inline_types_are_refused(
    client: Client,
) -> None:
    """A structDefId that names no StructDef is a 400 naming the variable or input (as
    LittleHorse's PutWfSpec and PutTaskDef); inline array and map types are not served yet."""
    missing = _name()
    struct_var = {
        "varDef": {"name": "car", "typeDef": {"structDefId": {"name": missing}}},
        "accessLevel": "PRIVATE_VAR",
    }
    inline_var = {
        "varDef": {
            "name": "cars",
            "typeDef": {"inlineArrayDef": {"arrayType": {"primitiveType": "STR"}}},
        },
        "accessLevel": "PRIVATE_VAR",
    }

    def spec(variable: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": _name(),
            "entrypointThreadName": "entrypoint",
            "threadSpecs": {
                "entrypoint": {
                    "variableDefs": [variable],
                    "nodes": {
                        "0-entrypoint-ENTRYPOINT": {
                            "entrypoint": {},
                            "outgoingEdges": [{"sinkNodeName": "1-exit-EXIT"}],
                        },
                        "1-exit-EXIT": {"exit": {}},
                    },
                }
            },
        }

    with pytest.raises(
        CanterError,
        match=f"Var name car defined in thread entrypoint refers to non-existent StructDef: "
        f"Refers to non-existent StructDef {missing} with version 0",
    ):
        client.put_wf_spec(spec(struct_var))
    with pytest.raises(CanterError, match=r"typeDef.inlineArrayDef: inline array, struct and map"):
        client.put_wf_spec(spec(inline_var))
    struct_input = {"name": "car", "typeDef": {"structDefId": {"name": missing, "version": -1}}}
    task = {"name": _name(), "inputVars": [struct_input]}
    with pytest.raises(
        CanterError, match=rf"inputVars\[0\] \('car'\): Refers to non-existent StructDef {missing}$"
    ):
        client.put_task_def(task)
