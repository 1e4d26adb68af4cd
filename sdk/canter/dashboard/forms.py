"""Typed values from form fields: an event's content, a user task's results, a search value.

A form field is text; the definition says what type it must be (an
ExternalEventDef's type information, a UserTaskField's type, a WfSpec
variable's type). :func:`parse_value` turns the text into the
VariableValue of that type or says, in words, why it cannot.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

# The types a person can type into a form, in the order the form offers them.
TYPES = ("STR", "INT", "DOUBLE", "BOOL", "JSON_OBJ", "JSON_ARR", "TIMESTAMP", "BYTES", "NONE")


class FormError(ValueError):
    """The text does not hold a value of the type asked for; the message says why."""


def parse_value(text: str, value_type: str, *, what: str = "value") -> dict[str, Any]:
    """``text`` as a VariableValue of ``value_type`` (``NONE``: the empty value)."""
    kind = value_type.upper()
    if kind == "NONE":
        if text.strip():
            raise FormError(f"{what}: this definition takes no content; leave it empty")
        return {}
    if kind == "STR":
        return {"str": text}
    stripped = text.strip()
    if not stripped:
        raise FormError(f"{what}: enter a {kind} value")
    if kind == "INT":
        try:
            number = int(stripped)
        except ValueError:
            raise FormError(f"{what}: {stripped!r} is not a whole number (INT)") from None
        if not -(2**63) <= number < 2**63:
            raise FormError(f"{what}: {number} does not fit in a 64-bit INT")
        return {"int": str(number)}
    if kind == "DOUBLE":
        try:
            double = float(stripped)
        except ValueError:
            raise FormError(f"{what}: {stripped!r} is not a number (DOUBLE)") from None
        if double != double or double in (float("inf"), float("-inf")):
            raise FormError(f"{what}: a DOUBLE must be finite")
        return {"double": double}
    if kind == "BOOL":
        lowered = stripped.lower()
        if lowered not in ("true", "false"):
            raise FormError(f"{what}: a BOOL is true or false, not {stripped!r}")
        return {"bool": lowered == "true"}
    if kind in ("JSON_OBJ", "JSON_ARR"):
        return _json_value(stripped, kind, what)
    if kind == "TIMESTAMP":
        try:
            stamp = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
        except ValueError:
            raise FormError(
                f"{what}: {stripped!r} is not an RFC 3339 timestamp (2026-01-31T12:00:00Z)"
            ) from None
        if stamp.tzinfo is None:
            raise FormError(f"{what}: give the timestamp's zone, e.g. a trailing Z for UTC")
        return {"utcTimestamp": stamp.isoformat().replace("+00:00", "Z")}
    if kind == "BYTES":
        try:
            base64.b64decode(stripped, validate=True)
        except (binascii.Error, ValueError):
            raise FormError(f"{what}: BYTES are entered as base64") from None
        return {"bytes": stripped}
    raise FormError(f"{what}: {value_type!r} is not a type a form can enter")


def _json_value(text: str, kind: str, what: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormError(f"{what}: not JSON ({exc.msg} at character {exc.pos})") from None
    wanted, name = (dict, "an object {...}") if kind == "JSON_OBJ" else (list, "an array [...]")
    if not isinstance(parsed, wanted):
        raise FormError(f"{what}: a {kind} must be {name}")
    field = "jsonObj" if kind == "JSON_OBJ" else "jsonArr"
    return {field: json.dumps(parsed, separators=(",", ":"))}


def declared_type(type_info: Mapping[str, Any] | None) -> str | None:
    """The primitive type a ReturnType (``{"returnType": {"primitiveType": ...}}``) declares.

    ``None`` when the definition says nothing (any content goes); ``NONE``
    when it declares a void return (no content).
    """
    if type_info is None:
        return None
    if not type_info.get("returnType"):
        return "NONE"
    return str(type_info["returnType"].get("primitiveType", "STR"))


def event_def_type(event_def: Mapping[str, Any]) -> str | None:
    """The content type an ExternalEventDef declares, wherever the API put it."""
    for key in ("typeInformation", "contentType"):
        if event_def.get(key):
            return declared_type(event_def[key])
    return None
