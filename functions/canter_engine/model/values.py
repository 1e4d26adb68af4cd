"""Variable values: LittleHorse ``VariableValue`` JSON <-> Python values.

The core works on plain Python values so that an assignment or a comparison
costs no wrapper objects. Each LittleHorse type maps to exactly one Python
type, so a value's type is never ambiguous:

====================  ===============================
``INT``               ``int`` (never ``bool``)
``DOUBLE``            ``float``
``BOOL``              ``bool``
``STR``               ``str``
``BYTES``             ``bytes``
``JSON_OBJ``          ``dict``
``JSON_ARR``          ``list``
``WF_RUN_ID``         :class:`WfRunIdValue` (a ``str``)
``TIMESTAMP``         :class:`TimestampValue` (epoch millis, an ``int``)
a Struct              :class:`StructValue` (its StructDef's id and fields)
an Array              :class:`ArrayValue` (LittleHorse's typed array, in structs)
empty                 ``None``
====================  ===============================

Values are treated as immutable: code that changes a JSON value copies it
first, so states that share a value never see each other's changes.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

VARIABLE_TYPES = (
    "JSON_OBJ",
    "JSON_ARR",
    "DOUBLE",
    "BOOL",
    "STR",
    "INT",
    "BYTES",
    "WF_RUN_ID",
    "TIMESTAMP",
)


# INT is a protobuf int64, DOUBLE a double that JSON can carry (no NaN or Infinity).
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


class WfRunIdValue(str):
    """A WfRun id held in a ``WF_RUN_ID`` variable."""

    __slots__ = ()


class TimestampValue(int):
    """A ``TIMESTAMP`` value: milliseconds since the epoch, UTC."""

    __slots__ = ()

    def isoformat(self) -> str:
        return format_timestamp(int(self))


@dataclass(frozen=True, slots=True)
class StructValue:
    """A ``Struct``: the StructDef it claims to be and its fields by name.

    ``version`` is what the value says (-1 for "latest" from a client); once
    the value is checked against a variable's or task's StructDef it carries
    that pinned version, as LittleHorse's ``StructModel.validateAgainstStructDefId``.
    ``masked`` names the fields whose StructDef field type is masked.
    """

    name: str
    version: int
    fields: Mapping[str, Any]
    masked: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def type_name(self) -> str:
        """LittleHorse's ``TypeDefinitionModel.toString`` of a struct type."""
        return struct_type_name(self.name, self.version)


@dataclass(frozen=True, slots=True)
class ArrayValue:
    """An ``Array``: LittleHorse's typed array (a StructDef field of ``inlineArrayDef``).

    ``element_type`` is the TypeDefinition JSON the value was checked against,
    or what the client said; it does not take part in equality.
    """

    items: tuple[Any, ...]
    element_type: Mapping[str, Any] | None = field(default=None, compare=False)


def unpinned(value: Any) -> Any:
    """``value`` with what a checked struct gains left out (its pinned StructDef
    version, masked flags, an Array's element type), so that a value a client
    writes compares with the one stored."""
    if isinstance(value, StructValue):
        return StructValue(value.name, 0, {k: unpinned(v) for k, v in value.fields.items()})
    if isinstance(value, ArrayValue):
        return ArrayValue(tuple(unpinned(item) for item in value.items))
    return value


def struct_type_name(name: str, version: int) -> str:
    return f"Struct<{name},v{version}>"


# LittleHorse's "primitive" types (TypeCastingUtils.isPrimitive): any of them reads as a STR.
PRIMITIVES = ("STR", "INT", "DOUBLE", "BOOL", "BYTES", "WF_RUN_ID")


def can_be_type(source: str | None, target: str) -> bool:
    """``TypeCastingUtils.canBeType``: assignable without an explicit cast."""
    return (
        source is None
        or source == target
        or (target == "STR" and source in PRIMITIVES)
        or (source == "INT" and target == "DOUBLE")
    )


class ValueError_(ValueError):
    """A VariableValue that cannot be read, with the reason."""


# Exact Python types, looked up before the isinstance chain (this runs on every value).
_BY_TYPE: dict[type, str | None] = {
    type(None): None,
    bool: "BOOL",
    int: "INT",
    float: "DOUBLE",
    str: "STR",
    dict: "JSON_OBJ",
    list: "JSON_ARR",
    bytes: "BYTES",
}


def type_of(value: Any) -> str | None:
    """The LittleHorse type of a Python value; ``None`` for the empty value."""
    kind = type(value)
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, TimestampValue):
        return "TIMESTAMP"
    if isinstance(value, int):
        return "INT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, WfRunIdValue):
        return "WF_RUN_ID"
    if isinstance(value, str):
        return "STR"
    if isinstance(value, bytes):
        return "BYTES"
    if isinstance(value, dict):
        return "JSON_OBJ"
    if isinstance(value, list):
        return "JSON_ARR"
    if isinstance(value, StructValue):
        return "STRUCT"
    if isinstance(value, ArrayValue):
        return "ARRAY"
    raise ValueError_(f"{type(value).__name__} is not a workflow value type")


def fits(value: Any, var_type: str) -> bool:
    """Whether ``value`` may be stored in a variable of ``var_type``.

    The empty value fits every type, and an INT widens to a DOUBLE; nothing
    else is coerced.
    """
    actual = type_of(value)
    return actual is None or actual == var_type or (actual == "INT" and var_type == "DOUBLE")


def coerce(value: Any, var_type: str) -> Any:
    """``value`` as stored in a ``var_type`` variable (after :func:`fits`)."""
    if var_type == "DOUBLE" and type_of(value) == "INT":
        return float(value)
    return value


def decode(raw: Any, where: str = "value") -> Any:
    """A VariableValue JSON object as a Python value."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError_(f"{where}: a VariableValue is a JSON object, got {_kind(raw)}")
    if not raw:
        return None
    if len(raw) != 1:
        raise ValueError_(f"{where}: a VariableValue holds one of its fields, got {sorted(raw)}")
    ((key, val),) = raw.items()
    try:
        return _DECODERS[key](val)
    except KeyError:
        raise ValueError_(
            f"{where}: unknown VariableValue field {key!r}; expected one of {sorted(_DECODERS)}"
        ) from None
    except ValueError_ as exc:
        raise ValueError_(f"{where}.{key}.{exc}") from None
    except (TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ValueError_(f"{where}.{key}: {exc}") from None


def encode(value: Any) -> dict[str, Any]:
    """A Python value as VariableValue JSON (proto3 JSON mapping)."""
    kind = type_of(value)
    if kind is None:
        return {}
    if kind == "BOOL":
        return {"bool": value}
    if kind == "INT":
        return {"int": str(value)}
    if kind == "DOUBLE":
        return {"double": value}
    if kind == "STR":
        return {"str": str(value)}
    if kind == "BYTES":
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if kind == "JSON_OBJ":
        return {"jsonObj": json.dumps(value, separators=(",", ":"))}
    if kind == "JSON_ARR":
        return {"jsonArr": json.dumps(value, separators=(",", ":"))}
    if kind == "WF_RUN_ID":
        return {"wfRunId": {"id": str(value)}}
    if kind == "STRUCT":
        return {"struct": _encode_struct(value)}
    if kind == "ARRAY":
        array: dict[str, Any] = {"items": [encode(item) for item in value.items]}
        if value.element_type is not None:
            array["elementType"] = dict(value.element_type)
        return {"array": array}
    return {"utcTimestamp": format_timestamp(int(value))}


# The largest value one variable may hold: Lambda's 6 MB request and response
# limit, less room for the envelope. Values over a few kilobytes are stored in
# the payload bucket, not in DynamoDB (store/payloads.py).
MAX_VALUE_BYTES = 5 * 1024 * 1024


def size_of(value: Any) -> int:
    """Bytes ``value`` takes when stored, close enough to enforce limits."""
    if isinstance(value, str):
        return len(value) if len(value) < MAX_VALUE_BYTES // 4 else len(value.encode())
    if isinstance(value, bytes):
        return (len(value) + 2) // 3 * 4
    if isinstance(value, dict | list):
        return len(json.dumps(value, separators=(",", ":")))
    if isinstance(value, StructValue | ArrayValue):
        return len(json.dumps(encode(value), separators=(",", ":")))
    return 8


# Strings longer than this are stored in the payload bucket when an item grows
# (store/payloads.py SPILL_BYTES), leaving a reference of about this size.
LONG_STRING_BYTES = 1024


def inline_size(value: Any) -> int:
    """Bytes a value's VariableValue JSON keeps inside a stored item: all of it but
    the strings long enough to be moved to the payload bucket."""
    encoded = encode(value)
    total = len(json.dumps(encoded, separators=(",", ":")))
    stack: list[Any] = [encoded]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if len(node) > LONG_STRING_BYTES:
                total -= len(node) - LONG_STRING_BYTES // 4
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return total


def from_python(value: Any) -> Any:
    """A value a user handed over in Python (SDK, worker output) as a workflow value.

    Tuples become arrays and ``datetime`` a TIMESTAMP; anything JSON cannot
    hold is refused here rather than deep inside the engine.
    """
    if isinstance(value, datetime):
        return TimestampValue(int(value.timestamp() * 1000))
    if isinstance(value, tuple):
        return [from_python(v) for v in value]
    if isinstance(value, list):
        return [from_python(v) for v in value]
    if isinstance(value, dict):
        return {str(k): from_python(v) for k, v in value.items()}
    kind = type_of(value)
    if kind == "INT" and not INT64_MIN <= value <= INT64_MAX:
        raise ValueError_(f"{value} is outside the int64 range of an INT")
    if kind == "DOUBLE" and not math.isfinite(value):
        raise ValueError_(f"{value} is not a finite number (NaN and Infinity are not JSON)")
    return value


def format_timestamp(millis: int) -> str:
    stamp = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def parse_timestamp(text: str) -> int:
    """RFC 3339 text as epoch millis."""
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return round(stamp.timestamp() * 1000)


def _int(val: Any) -> int:
    if isinstance(val, bool) or not isinstance(val, int | str):
        raise TypeError(f"expected an integer or its decimal string, got {_kind(val)}")
    number = int(val)
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{val} is outside the int64 range of an INT")
    return number


def _double(val: Any) -> float:
    if isinstance(val, bool) or not isinstance(val, int | float | str):
        raise TypeError(f"expected a number, got {_kind(val)}")
    number = float(val)
    if not math.isfinite(number):
        raise ValueError(f"{val} is not a finite number (NaN and Infinity are not JSON)")
    return number


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large for a double")
    return number


def _long_or_double(text: str) -> int | float:
    """Gson's LONG_OR_DOUBLE, as LittleHorse reads JSON: an integer beyond int64 is a double."""
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else _finite_float(text)


def _strict_json(text: str) -> Any:
    """JSON as RFC 8259 has it: no NaN, no Infinity, no number a double cannot hold."""
    return json.loads(
        text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_long_or_double
    )


def _bool(val: Any) -> bool:
    if not isinstance(val, bool):
        raise TypeError(f"expected true or false, got {_kind(val)}")
    return val


def _str(val: Any) -> str:
    if not isinstance(val, str):
        raise TypeError(f"expected a string, got {_kind(val)}")
    return val


def _json(expected: type) -> Any:
    def parse(val: Any) -> Any:
        parsed = _strict_json(val) if isinstance(val, str) else val
        if not isinstance(parsed, expected):
            raise TypeError(f"expected JSON text of an {expected.__name__}, got {_kind(parsed)}")
        return parsed

    return parse


def _bytes(val: Any) -> bytes:
    return base64.b64decode(_str(val), validate=True)


def _wf_run_id(val: Any) -> WfRunIdValue:
    if isinstance(val, dict) and isinstance(val.get("id"), str):
        return WfRunIdValue(val["id"])
    raise TypeError('expected {"id": "<wfRunId>"}')


def _timestamp(val: Any) -> TimestampValue:
    if isinstance(val, str):
        return TimestampValue(parse_timestamp(val))
    raise TypeError("expected an RFC 3339 timestamp string")


def _encode_struct(value: StructValue) -> dict[str, Any]:
    """``Struct`` JSON; version 0 is left out, as the proto3 JSON mapping leaves it out."""
    fields = {
        name: {"value": encode(v), **({"masked": True} if name in value.masked else {})}
        for name, v in value.fields.items()
    }
    struct_id: dict[str, Any] = {"name": value.name}
    if value.version:
        struct_id["version"] = value.version
    return {"structDefId": struct_id, "struct": {"fields": fields} if fields else {}}


def _struct(val: Any) -> StructValue:
    """``Struct`` JSON: ``{"structDefId": {...}, "struct": {"fields": {name: StructField}}}``."""
    if not isinstance(val, dict):
        raise TypeError(f"expected a Struct object, got {_kind(val)}")
    unknown = sorted(set(val) - {"structDefId", "struct"})
    if unknown:
        raise ValueError(f"unknown Struct field(s) {unknown}")
    struct_id = val.get("structDefId")
    if not isinstance(struct_id, dict) or not isinstance(struct_id.get("name"), str):
        raise ValueError('structDefId is required: {"name": "<StructDef>", "version": <n>}')
    if set(struct_id) - {"name", "version"}:
        raise ValueError(
            f"unknown StructDefId field(s) {sorted(set(struct_id) - {'name', 'version'})}"
        )
    version = _int(struct_id.get("version", 0))
    inline = val.get("struct", {})
    if not isinstance(inline, dict) or set(inline) - {"fields"}:
        raise ValueError('struct must be an InlineStruct: {"fields": {...}}')
    raw_fields = inline.get("fields", {})
    if not isinstance(raw_fields, dict):
        raise TypeError(f"struct.fields must map names to StructFields, got {_kind(raw_fields)}")
    fields: dict[str, Any] = {}
    masked: set[str] = set()
    for name, raw in raw_fields.items():
        if not isinstance(raw, dict) or set(raw) - {"value", "masked"}:
            raise ValueError(f'field {name!r} must be a StructField: {{"value": VariableValue}}')
        fields[name] = decode(raw.get("value"), f"struct.fields.{name}.value")
        if raw.get("masked") is True:
            masked.add(name)
    return StructValue(struct_id["name"], version, fields, frozenset(masked))


def _array(val: Any) -> ArrayValue:
    """``Array`` JSON: ``{"items": [VariableValue, ...], "elementType": TypeDefinition}``."""
    if not isinstance(val, dict) or set(val) - {"items", "elementType"}:
        raise ValueError('an Array is {"items": [...], "elementType": {...}}')
    items = val.get("items", [])
    element_type = val.get("elementType")
    if not isinstance(items, list):
        raise TypeError(f"array.items must be a list of VariableValues, got {_kind(items)}")
    if element_type is not None and not isinstance(element_type, dict):
        raise TypeError(f"array.elementType must be a TypeDefinition, got {_kind(element_type)}")
    decoded = tuple(decode(item, f"items[{i}]") for i, item in enumerate(items))
    return ArrayValue(decoded, element_type)


_DECODERS: dict[str, Any] = {
    "int": _int,
    "double": _double,
    "bool": _bool,
    "str": _str,
    "bytes": _bytes,
    "jsonObj": _json(dict),
    "jsonArr": _json(list),
    "wfRunId": _wf_run_id,
    "utcTimestamp": _timestamp,
    "struct": _struct,
    "array": _array,
}


def _kind(val: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(val), type(val).__name__
    )
