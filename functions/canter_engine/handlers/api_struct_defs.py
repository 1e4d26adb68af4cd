"""PutStructDef, GetStructDef, DeleteStructDef, SearchStructDef, ValidateStructDefEvolution.

A StructDef is a named, versioned record type (LittleHorse's ``StructDef``):
fields with a type, an optional default and ``isNullable``. As in
LittleHorse (PutStructDefRequestModel, InlineStructDefUtil):

- field names are camelCase (a lowercase letter first, letters and digits);
- a field is a primitive other than JSON_OBJ/JSON_ARR (use a StructDef or an
  array instead), another StructDef (which must exist; its version is pinned
  to the latest when not given) or an array of those; a default must be of
  the field's type, and a non-nullable field cannot default to null;
- putting the latest version again returns it; a changed description or
  schema makes the next version, if ``allowedUpdates`` allows the schema
  change: NO_SCHEMA_UPDATES (the default) refuses any changed or added field,
  FULLY_COMPATIBLE_SCHEMA_UPDATES refuses only removing or retyping a
  required field (one without a default) or adding a required field.

Struct-typed variables and task inputs are not served yet: PutWfSpec and
PutTaskDef still refuse a ``structDefId`` type with a clear message.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.handlers.api_errors import invalid, not_found
from canter_engine.handlers.api_parse import (
    field,
    key_part,
    lh_name,
    only,
    optional_int,
    page,
    value,
)
from canter_engine.handlers.api_search import paging
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store import aws
from canter_engine.store.struct_defs import StructDefStore, VersionTaken, parse_index_sort

NO_SCHEMA_UPDATES = "NO_SCHEMA_UPDATES"
FULLY_COMPATIBLE = "FULLY_COMPATIBLE_SCHEMA_UPDATES"
_COMPATIBILITY = (NO_SCHEMA_UPDATES, FULLY_COMPATIBLE)
_FORBIDDEN = ("JSON_OBJ", "JSON_ARR")
_FIELD_KEYS = frozenset({"fieldType", "defaultValue", "isNullable", "description"})
_TYPE_KEYS = frozenset({"primitiveType", "structDefId", "inlineArrayDef", "masked"})
_MAX_DEPTH = 16


def store(rt: Runtime) -> StructDefStore:
    return StructDefStore(aws.dynamodb(), rt.settings.metadata_table)


def put_struct_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "PutStructDef"
    only(body, rpc, {"name", "description", "structDef", "allowedUpdates"})
    name = lh_name(body.get("name"), f"{rpc}: name")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise invalid(f"{rpc}: description must be a string")
    allowed = _compatibility(body.get("allowedUpdates"), f"{rpc}: allowedUpdates")
    structs = store(rt)
    schema = _schema(structs, body.get("structDef"), f"{rpc}: structDef")
    for _ in range(5):
        latest = structs.get(name)
        if latest is not None:
            same_schema = latest.get("structDef", {}) == schema
            if same_schema and latest.get("description", "") == description:
                return latest
            if not same_schema:
                broken = incompatible_fields(allowed, schema, latest.get("structDef", {}))
                if broken:
                    raise invalid(
                        f"{rpc}: Incompatible StructDef evolution on field(s): "
                        f"{sorted(broken)} using {allowed} compatibility type"
                    )
        version = 0 if latest is None else int(latest["id"].get("version", 0)) + 1
        created: dict[str, Any] = {
            "id": {"name": name, **({"version": version} if version else {})},
            "createdAt": values.format_timestamp(int(time.time() * 1000)),
            "structDef": schema,
        }
        if description:
            created["description"] = description
        try:
            structs.put(created)
        except VersionTaken:
            continue
        return created
    raise invalid(f"{rpc}: StructDef {name!r} is being changed by others; retry")


def get_struct_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "GetStructDef"
    only(body, rpc, {"name", "version"})
    name, version = _id(body, rpc)
    found = store(rt).get(name, version)
    if found is None:
        raise not_found(f"{rpc}: StructDef {name!r} version {version} does not exist")
    return found


def delete_struct_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "DeleteStructDef"
    only(body, rpc, {"id"})
    ident = body.get("id")
    if not isinstance(ident, dict):
        raise invalid(f'{rpc}: id is required ({{"name": ..., "version": ...}})')
    only(ident, f"{rpc}: id", {"name", "version"})
    name, version = _id(ident, f"{rpc}: id")
    if not store(rt).delete(name, version):
        raise not_found(f"{rpc}: StructDef {name!r} version {version} does not exist")
    return {}


def search_struct_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """StructDef versions by exact ``name`` or name ``prefix``, in name and version order."""
    rpc = "SearchStructDef"
    only(body, rpc, {"name", "prefix", "limit", "bookmark"})
    if "name" in body and "prefix" in body:
        raise invalid(f"{rpc}: name and prefix are one oneof; give at most one")
    prefix = ""
    if "name" in body:
        prefix = _text(body, "name", rpc) + "#"
    elif "prefix" in body:
        prefix = _text(body, "prefix", rpc)
    limit, given = paging(body, rpc)
    try:
        sorts, bookmark = store(rt).catalog().search("StructDef", prefix, limit, given)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    results = []
    for sort in sorts:
        name, version = parse_index_sort(sort)
        results.append({"name": name, **({"version": version} if version else {})})
    return page(results, bookmark)


def validate_struct_def_evolution(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Whether ``structDef`` may follow the given version (-1: the latest) under
    ``compatibilityType``; a StructDef that does not exist yet is always valid."""
    rpc = "ValidateStructDefEvolution"
    only(body, rpc, {"structDefId", "structDef", "compatibilityType"})
    ident = body.get("structDefId")
    if not isinstance(ident, dict):
        raise invalid(f'{rpc}: structDefId is required ({{"name": ..., "version": ...}})')
    name = lh_name(ident.get("name"), f"{rpc}: structDefId.name")
    version = optional_int(ident, "version") or 0
    if version < -1:
        raise invalid(f"{rpc}: structDefId.version must be -1 (the latest) or a version")
    compatibility = _compatibility(body.get("compatibilityType"), f"{rpc}: compatibilityType")
    structs = store(rt)
    schema = _schema(structs, body.get("structDef"), f"{rpc}: structDef")
    existing = structs.get(name, None if version == -1 else version)
    if existing is None:
        return {"isValid": True}
    broken = incompatible_fields(compatibility, schema, existing.get("structDef", {}))
    return {} if broken else {"isValid": True}


def incompatible_fields(compatibility: str, new: dict[str, Any], old: dict[str, Any]) -> set[str]:
    """The fields that break the evolution from ``old`` to ``new`` (InlineStructDefUtil)."""
    new_fields, old_fields = new.get("fields", {}), old.get("fields", {})
    if compatibility == NO_SCHEMA_UPDATES:
        return {k for k, v in new_fields.items() if old_fields.get(k) != v}
    new_required = {k: v for k, v in new_fields.items() if "defaultValue" not in v}
    old_required = {k: v for k, v in old_fields.items() if "defaultValue" not in v}
    broken = {
        k
        for k, v in old_required.items()
        if k not in new_required or new_required[k].get("fieldType") != v.get("fieldType")
    }
    broken |= {k for k in new_required if k not in old_required}
    return broken


def _schema(structs: StructDefStore, raw: Any, where: str) -> dict[str, Any]:
    """An InlineStructDef, checked, with each referenced StructDef's version pinned."""
    if not isinstance(raw, dict):
        raise invalid(f'{where} is required ({{"fields": {{"<name>": {{"fieldType": ...}}}}}})')
    only(raw, where, {"fields"})
    fields = raw.get("fields", {})
    if not isinstance(fields, dict):
        raise invalid(f"{where}.fields must map field names to StructFieldDefs")
    checked: dict[str, Any] = {}
    for name, spec in fields.items():
        at = f"{where}.fields.{str(name)[:40]}"
        _field_name(name, at)
        if not isinstance(spec, dict):
            raise invalid(f"{at} must be a StructFieldDef")
        only(spec, at, _FIELD_KEYS)
        field_type = _type(structs, spec.get("fieldType"), f"{at}.fieldType", 0)
        entry: dict[str, Any] = {"fieldType": field_type}
        nullable = spec.get("isNullable", False)
        if not isinstance(nullable, bool):
            raise invalid(f"{at}.isNullable must be true or false")
        if nullable:
            entry["isNullable"] = True
        if "defaultValue" in spec:
            default = value(spec["defaultValue"], f"{at}.defaultValue")
            if default is None and not nullable:
                raise invalid(f"{at}: a non-nullable field cannot have a null default value")
            expected = field_type.get("primitiveType")
            if default is not None and (
                expected is None or not values.fits(default, str(expected))
            ):
                raise invalid(
                    f"{at}.defaultValue is {values.type_of(default)}, but the field is "
                    f"{expected or 'not a primitive type'}"
                )
            entry["defaultValue"] = values.encode(default)
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise invalid(f"{at}.description must be a string")
        if description:
            entry["description"] = description
        checked[name] = entry
    return {"fields": checked} if checked else {}


def _type(structs: StructDefStore, raw: Any, at: str, depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH:
        raise invalid(f"{at}: nested more than {_MAX_DEPTH} deep")
    if not isinstance(raw, dict):
        raise invalid(f"{at} is required (a TypeDefinition)")
    unsupported = sorted(set(raw) - _TYPE_KEYS)
    if unsupported:
        raise invalid(f"{at}: {', '.join(unsupported)} is not supported in a StructDef field")
    kinds = [k for k in ("primitiveType", "structDefId", "inlineArrayDef") if k in raw]
    masked = raw.get("masked", False)
    if not isinstance(masked, bool):
        raise invalid(f"{at}.masked must be true or false")
    typed: dict[str, Any] = {"masked": True} if masked else {}
    if len(kinds) > 1:
        raise invalid(f"{at}: give one of primitiveType, structDefId or inlineArrayDef")
    if not kinds or kinds == ["primitiveType"]:
        primitive = raw.get("primitiveType", "JSON_OBJ")
        if primitive not in values.VARIABLE_TYPES:
            raise invalid(f"{at}.primitiveType {str(primitive)[:40]!r} is not a VariableType")
        if primitive in _FORBIDDEN:
            raise invalid(
                f"{at}: {primitive} is not allowed in a StructDef; use a StructDef for "
                "nested objects and inlineArrayDef for arrays"
            )
        return {"primitiveType": primitive, **typed}
    if kinds == ["structDefId"]:
        ref = raw["structDefId"]
        if not isinstance(ref, dict):
            raise invalid(f"{at}.structDefId must be a StructDefId")
        ref_name = lh_name(ref.get("name"), f"{at}.structDefId.name")
        ref_version = optional_int(ref, "version")
        # -1 is the latest version, as LittleHorse's validateStructDefExistsAndPinVersion.
        found = structs.get(ref_name, None if ref_version == -1 else ref_version)
        if found is None:
            raise invalid(f"{at}.structDefId: StructDef {ref_name!r} does not exist")
        pinned = int(found["id"].get("version", 0))
        return {"structDefId": {"name": ref_name, **({"version": pinned} if pinned else {})}}
    array = raw["inlineArrayDef"]
    if not isinstance(array, dict):
        raise invalid(f"{at}.inlineArrayDef must be an InlineArrayDef")
    element = _type(structs, array.get("arrayType"), f"{at}.inlineArrayDef.arrayType", depth + 1)
    return {"inlineArrayDef": {"arrayType": element}, **typed}


def _field_name(name: Any, at: str) -> None:
    """LittleHorse's StructDef field names: camelCase, letters and digits."""
    if not isinstance(name, str) or not name:
        raise invalid(f"{at}: field names must be non-empty strings")
    if not (name[0].isalpha() and name[0].islower() and name.isascii() and name.isalnum()):
        raise invalid(
            f"{at}: field name must be camelCase: a lowercase letter first, then letters "
            "and digits (no underscores or special characters)"
        )


def _compatibility(raw: Any, where: str) -> str:
    if raw is None:
        return NO_SCHEMA_UPDATES
    if raw not in _COMPATIBILITY:
        raise invalid(f"{where} must be one of {', '.join(_COMPATIBILITY)}")
    return str(raw)


def _id(body: dict[str, Any], where: str) -> tuple[str, int]:
    name = lh_name(field(body, "name"), f"{where}: name")
    version = optional_int(body, "version") or 0
    if version < 0:
        raise invalid(f"{where}: version must be 0 or more")
    return name, version


def _text(body: dict[str, Any], key: str, rpc: str) -> str:
    found = body.get(key)
    if not isinstance(found, str):
        raise invalid(f"{rpc}: {key} must be a string")
    return key_part(found, f"{rpc}: {key}")
