"""StructDefs from Python classes, as the official SDK's ``lh_struct`` module makes them.

``@canter.struct_def(name="car")`` marks a class with type-annotated fields
as a StructDef, exactly as ``littlehorse.lh_struct.lh_struct_def`` does: a field
without a default is required, a snake_case attribute is a camelCase field,
``Annotated[str, StructField(masked=True)]`` masks one and
``Annotated[int, StructIgnore()]`` leaves one out. The mark is the official
SDK's attribute, so a class decorated by either SDK works with both: Canter's
worker hands a task a struct argument as an instance of the parameter's
class, the client and worker send an instance as a ``Struct`` value, and
``put_struct_def_request(cls)`` is the ``PutStructDefRequest`` to register.
"""

from __future__ import annotations

import base64
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

# The official SDK's mark (littlehorse.lh_struct._LH_STRUCT_DEF_ATTR): an object
# with ``name`` and ``description``.
_MARK = "__lh_struct_def__"

C = TypeVar("C", bound=type)

_SCALARS: dict[Any, str] = {
    str: "STR",
    int: "INT",
    float: "DOUBLE",
    bool: "BOOL",
    bytes: "BYTES",
    datetime: "TIMESTAMP",
}


@dataclass(frozen=True, slots=True)
class _StructDefInfo:
    name: str
    description: str = ""


class StructField:
    """``Annotated`` metadata for one field (``LHStructField``): its name, masking, description."""

    __slots__ = ("description", "masked", "name")

    def __init__(self, name: str = "", masked: bool = False, description: str = "") -> None:
        self.name = name
        self.masked = masked
        self.description = description


class StructIgnore:
    """``Annotated`` metadata for an attribute that is not a field (``LHStructIgnore``)."""


_MISSING = object()


def struct_def(name: str, description: str = "") -> typing.Callable[[C], C]:
    """Mark a class as the StructDef ``name`` (``lh_struct_def``).

    A class without its own ``__init__`` gets a keyword-only one: required
    fields must be given, the others take their defaults.
    """

    def mark(cls: C) -> C:
        setattr(cls, _MARK, _StructDefInfo(name, description))
        if "__init__" not in cls.__dict__:
            _add_init(cls)
        return cls

    return mark


def is_struct(cls: object) -> bool:
    """Whether ``cls`` is a class marked as a StructDef (by this SDK or the official one)."""
    mark = getattr(cls, _MARK, None) if isinstance(cls, type) else None
    return isinstance(getattr(mark, "name", None), str)


def struct_name(cls: type) -> str:
    """The StructDef name a marked class stands for."""
    info = getattr(cls, _MARK, None)
    if info is None or not isinstance(getattr(info, "name", None), str):
        raise TypeError(f"{cls.__name__} is not decorated with @struct_def")
    return str(info.name)


@dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    name: str
    hint: Any
    default: Any
    masked: bool
    description: str


def _snake_to_camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def _fields(cls: type) -> tuple[_Field, ...]:
    """A marked class's fields, read once (its annotations do not change)."""
    known = _FIELDS.get(cls)
    if known is None:
        known = _FIELDS[cls] = _read_fields(cls)
    return known


def _read_fields(cls: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    found = []
    for attribute, hint in hints.items():
        if attribute.startswith("_"):
            continue
        name, masked, description = _snake_to_camel(attribute), False, ""
        if typing.get_origin(hint) is Annotated:
            hint, *extras = typing.get_args(hint)
            if any(_is_marker(extra, StructIgnore) for extra in extras):
                continue
            for extra in extras:
                if _is_marker(extra, StructField):
                    masked, description = extra.masked, extra.description
                    name = extra.name or name
        default = getattr(cls, attribute, _MISSING)
        found.append(_Field(attribute, name, hint, default, masked, description))
    return tuple(found)


def _is_marker(extra: object, marker: type) -> bool:
    """``extra`` is ``marker`` or the official SDK's marker of the same job
    (``LHStructField``, ``LHStructIgnore``), so its classes read alike here."""
    return isinstance(extra, marker) or type(extra).__name__ == f"LH{marker.__name__}"


def _add_init(cls: type) -> None:
    """A keyword-only ``__init__``; the fields are read at the first call, so a field
    may name a StructDef class defined further down the module."""

    def __init__(self: Any, **given: Any) -> None:
        fields = _fields(cls)
        unknown = sorted(set(given) - {f.attribute for f in fields})
        if unknown:
            raise TypeError(f"{cls.__name__}() got unexpected keyword argument(s) {unknown}")
        for f in fields:
            if f.attribute in given:
                setattr(self, f.attribute, given[f.attribute])
            elif f.default is not _MISSING:
                setattr(self, f.attribute, f.default)
            else:
                raise TypeError(
                    f"{cls.__name__}() missing required keyword argument: '{f.attribute}'"
                )

    cls.__init__ = __init__  # type: ignore[misc]


def _type_definition(hint: Any, masked: bool) -> dict[str, Any]:
    flag = {"masked": True} if masked else {}
    if is_struct(hint):
        return {"structDefId": {"name": struct_name(hint), "version": -1}, **flag}
    if hint in _SCALARS:
        return {"primitiveType": _SCALARS[hint], **flag}
    origin = typing.get_origin(hint) or hint
    if origin in (dict, list):
        kind = "JSON_OBJ" if origin is dict else "JSON_ARR"
        raise TypeError(
            f"Forbidden JSON type: {kind}. Within StructDefs, use @struct_def classes for "
            "nested object types."
        )
    raise TypeError(f"Unsupported type {hint} for LittleHorse StructDef field")


def put_struct_def_request(cls: type, allowed_updates: str = "NO_SCHEMA_UPDATES") -> dict[str, Any]:
    """The ``PutStructDefRequest`` (proto JSON) for a marked class
    (``class_to_put_struct_def_request``); nested StructDefs are registered first, separately."""
    info = getattr(cls, _MARK)
    fields: dict[str, Any] = {}
    for f in _fields(cls):
        entry: dict[str, Any] = {"fieldType": _type_definition(f.hint, f.masked)}
        if f.default is not _MISSING:
            entry["defaultValue"] = to_variable_value(f.default)
        if f.description:
            entry["description"] = f.description
        fields[f.name] = entry
    request: dict[str, Any] = {"name": info.name, "structDef": {"fields": fields}}
    if getattr(info, "description", ""):
        request["description"] = info.description
    if allowed_updates != "NO_SCHEMA_UPDATES":
        request["allowedUpdates"] = allowed_updates
    return request


def to_struct(obj: Any) -> dict[str, Any]:
    """An instance of a marked class as ``Struct`` JSON (``serialize_to_struct``)."""
    cls = type(obj)
    fields = {
        f.name: {"value": to_variable_value(getattr(obj, f.attribute, None))} for f in _fields(cls)
    }
    return {
        "structDefId": {"name": struct_name(cls), "version": -1},
        "struct": {"fields": fields},
    }


def from_struct(fields: Mapping[str, Any], cls: type[Any]) -> Any:
    """An instance of ``cls`` from a struct's fields by name (``deserialize_struct``):
    nested structs of marked field types become instances too; a missing field
    takes its default (or None)."""
    instance = object.__new__(cls)
    for f in _fields(cls):
        value = fields.get(f.name, _MISSING)
        if value is _MISSING:
            value = None if f.default is _MISSING else f.default
        elif isinstance(value, Mapping) and is_struct(f.hint):
            value = from_struct(value, f.hint)
        setattr(instance, f.attribute, value)
    return instance


def to_variable_value(value: Any) -> dict[str, Any]:
    """A struct field's value as a VariableValue (proto JSON)."""
    found = value_of_primitive(value)
    if found is None:
        raise TypeError(f"{type(value).__name__} cannot be a StructDef field value")
    return found


def value_of_primitive(value: Any) -> dict[str, Any] | None:
    """None, a primitive or a struct as a VariableValue; None for anything else.

    The client's ``to_value`` adds the JSON kinds on top, which a StructDef
    field cannot hold.
    """
    if value is None:
        return {}
    if is_struct(type(value)):
        return {"struct": to_struct(value)}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"double": value}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return {"utcTimestamp": stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")}
    return None
