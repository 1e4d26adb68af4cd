"""Struct values checked against StructDefs, as LittleHorse's server checks them.

A StructDef version never changes once written, so a WfSpec carries the
StructDefs it refers to (pinned when it is put, with every StructDef those
refer to): the engine checks a value against them without reading anything.

The messages are LittleHorse's (``TypeDefinitionModel.validateCompatibility``,
``StructModel.validateAgainstStructDefId``, ``InlineStructDefModel.
validateAgainstSuperset``, ``StructFieldDefModel.validateAgainst``): a value may
carry fields its StructDef does not know (a newer client), but every required
field must be there and every known field must have its declared type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from canter_engine.model import values
from canter_engine.model.values import ArrayValue, StructValue, can_be_type

# (name, version) -> the StructDef's InlineStructDef JSON ({"fields": {...}}).
StructDefs = Mapping[tuple[str, int], Mapping[str, Any]]


class StructError(ValueError):
    """A value that does not match its declared type; the message is LittleHorse's."""


def struct_ref(type_def: Mapping[str, Any] | None) -> tuple[str, int] | None:
    """The (name, version) a TypeDefinition JSON names in ``structDefId``, or None."""
    if not type_def or not isinstance(type_def.get("structDefId"), Mapping):
        return None
    ref = type_def["structDefId"]
    return str(ref.get("name", "")), int(ref.get("version", 0))


def type_name(type_def: Mapping[str, Any]) -> str:
    """LittleHorse's ``TypeDefinitionModel.toString``."""
    ref = struct_ref(type_def)
    if ref is not None:
        shown = values.struct_type_name(*ref)
    elif "inlineArrayDef" in type_def:
        shown = f"Array<{type_name(type_def['inlineArrayDef'].get('arrayType') or {})}>"
    else:
        shown = str(type_def.get("primitiveType", "JSON_OBJ"))
    return shown + (" MASKED" if type_def.get("masked") else "")


def def_id(name: str, version: int) -> str:
    """A StructDefId as LittleHorse prints it in messages (``car/00000``)."""
    return f"{name}/{version:05d}"


# A struct is stored as its fields, not as one JSON text: only its long strings go
# to the payload bucket, so the rest must stay small enough for a DynamoDB item.
MAX_INLINE_BYTES = 16 * 1024


def check(value: Any, type_def: Mapping[str, Any], defs: StructDefs) -> Any:
    """``value`` as stored under ``type_def``, or :class:`StructError` saying why it cannot be.

    The empty value passes. A struct comes back carrying the pinned StructDef
    id and its masked fields; any other value comes back as it was.
    """
    checked = _check(value, type_def, defs)
    if isinstance(checked, StructValue | ArrayValue):
        size = values.inline_size(checked)
        if size > MAX_INLINE_BYTES:
            raise StructError(
                f"a {value_type_name(checked)} value keeps at most {MAX_INLINE_BYTES} bytes "
                f"inline (all but its strings over {values.LONG_STRING_BYTES} bytes), this one "
                f"{size}; keep bulk data in a STR, BYTES or JSON_OBJ value (a Canter limit)"
            )
    return checked


def _check(value: Any, type_def: Mapping[str, Any], defs: StructDefs) -> Any:
    if value is None:
        return None
    ref = struct_ref(type_def)
    if ref is None:
        if "inlineArrayDef" in type_def:
            return _check_array(value, type_def, defs)
        if "inlineMapDef" in type_def:
            raise StructError(f"Values of type {type_name(type_def)} are not supported by Canter")
        expected = str(type_def.get("primitiveType", "JSON_OBJ"))
        actual = values.type_of(value)
        if actual == "STRUCT" or not can_be_type(actual, expected):
            raise _incompatible(value, type_def)
        return value
    if not isinstance(value, StructValue) or value.name != ref[0]:
        raise _incompatible(value, type_def)
    schema = defs.get(ref)
    if schema is None:
        raise StructError(f"StructDef {def_id(*ref)} does not exist.")
    try:
        checked = _against(value, schema, defs)
    except StructError as exc:
        raise StructError(f"Struct incompatible with StructDef {def_id(*ref)}: {exc}") from None
    return replace(value, version=ref[1], fields=checked.fields, masked=checked.masked)


def _against(value: StructValue, schema: Mapping[str, Any], defs: StructDefs) -> StructValue:
    fields = dict(value.fields)
    masked = set(value.masked)
    for name, field_def in schema.get("fields", {}).items():
        field_type = field_def.get("fieldType") or {}
        nullable = bool(field_def.get("isNullable", False))
        if name not in value.fields:
            if "defaultValue" not in field_def and not nullable:
                raise StructError(f"Missing required field {name}")
            continue
        if field_type.get("masked"):
            masked.add(name)
        present = value.fields[name]
        if present is None:
            if not nullable:
                raise StructError(
                    f"Field '{name}' is invalid: Field is not nullable but received null value"
                )
            continue
        try:
            fields[name] = _check(present, field_type, defs)
        except StructError as exc:
            raise StructError(
                f"Field '{name}' is invalid: StructFieldDef validation failed: {exc}"
            ) from None
    return StructValue(value.name, value.version, fields, frozenset(masked))


def _check_array(value: Any, type_def: Mapping[str, Any], defs: StructDefs) -> ArrayValue:
    """An Array of the declared element type, each element checked; the value carries
    the declared element type (LittleHorse's ``IngressTypeUtils`` pins it)."""
    element = type_def["inlineArrayDef"].get("arrayType") or {}
    if not isinstance(value, ArrayValue):
        raise _incompatible(value, type_def)
    if value.element_type and type_name(value.element_type) != type_name(element):
        raise _incompatible(value, type_def)
    checked = []
    for item in value.items:
        try:
            checked.append(_check(item, element, defs))
        except StructError as exc:
            raise StructError(
                f"Array element type {value_type_name(item)} incompatible with expected element "
                f"type {type_name(element)}: {exc}"
            ) from None
    return ArrayValue(tuple(checked), element)


def value_type_name(value: Any) -> str:
    """What LittleHorse calls a value's type in messages (``Struct<car,v0>``, ``STR``)."""
    if isinstance(value, StructValue):
        return value.type_name
    if isinstance(value, ArrayValue):
        shown = type_name(value.element_type) if value.element_type else "DEFINEDTYPE_NOT_SET"
        return f"Array<{shown}>"
    return str(values.type_of(value))


def _incompatible(value: Any, type_def: Mapping[str, Any]) -> StructError:
    actual = value_type_name(value)
    return StructError(
        f"Value of type {actual} is not compatible with expected type {type_name(type_def)}"
    )


def field_type(
    type_def: Mapping[str, Any], path: list[Mapping[str, Any]], defs: StructDefs
) -> Mapping[str, Any] | None:
    """The type an lhPath reaches inside ``type_def`` (``TypeDefinitionModel.getNestedType``).

    None where the type is only known at run time (inside a JSON value);
    :class:`StructError` with LittleHorse's message where the path cannot exist.
    """
    current = type_def
    for selector in path:
        ref = struct_ref(current)
        if ref is None:
            primitive = current.get("primitiveType", "JSON_OBJ")
            if "inlineArrayDef" in current:
                if "index" not in selector:
                    raise StructError(
                        "Expected numeric index selector for Array type, got key selector "
                        f"'{selector.get('key')}'"
                    )
                current = current["inlineArrayDef"].get("arrayType") or {}
                continue
            if primitive in ("JSON_OBJ", "JSON_ARR"):
                return None
            raise StructError(
                f"Failed fetching LHPath to '{path_text(path)}' on Type '{type_name(current)}'"
            )
        schema = defs.get(ref)
        if schema is None:
            raise StructError(f"StructDef not found: {type_name(current)}")
        key = selector.get("key")
        found = schema.get("fields", {}).get(key) if isinstance(key, str) else None
        if found is None:
            raise StructError(f"could not find field '{key}' on type {type_name(current)}")
        current = found.get("fieldType") or {}
    return current


def path_text(path: list[Mapping[str, Any]]) -> str:
    """An lhPath as JSONPath text (``LHPathModel.toJsonPathStr``): ``$.a[0].b``."""
    parts = ["$"]
    for selector in path:
        if "index" in selector:
            parts.append(f"[{int(selector['index'])}]")
        else:
            parts.append(f".{selector.get('key')}")
    return "".join(parts)


def referenced(type_def: Mapping[str, Any] | None) -> Iterator[tuple[str, int]]:
    """The StructDefs a TypeDefinition JSON names directly (inside arrays too)."""
    if not type_def:
        return
    ref = struct_ref(type_def)
    if ref is not None:
        yield ref
    array = type_def.get("inlineArrayDef")
    if isinstance(array, Mapping):
        yield from referenced(array.get("arrayType"))
