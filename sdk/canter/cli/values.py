"""``name=value`` arguments of ``canter run``, parsed by the WfSpec's declared types.

A shell gives only strings; the WfSpec says what each variable is, so
``total=42`` becomes a DOUBLE for a DOUBLE variable and a STR for a STR one.
A value that cannot be the declared type is refused here, naming the
variable and the type, before anything reaches the API.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from canter.client import to_value

_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

EXPECTED = {
    "INT": "an integer, e.g. 42",
    "DOUBLE": "a number, e.g. 4.2",
    "BOOL": "true or false",
    "STR": "any text",
    "BYTES": "base64, e.g. aGVsbG8=",
    "JSON_OBJ": "a JSON object, e.g. '{\"a\": 1}'",
    "JSON_ARR": "a JSON array, e.g. '[1, 2]'",
    "WF_RUN_ID": "a WfRun id",
    "TIMESTAMP": "an ISO-8601 time, e.g. 2026-01-31T12:00:00Z",
}


class BadValue(ValueError):
    """A ``name=value`` argument that cannot be what the WfSpec declares."""


def entrypoint_types(spec: Mapping[str, Any]) -> dict[str, str]:
    """Variable name to type name for the variables of the WfSpec's entrypoint thread."""
    thread = spec.get("threadSpecs", {}).get(spec.get("entrypointThreadName", "entrypoint"), {})
    return {
        var["varDef"]["name"]: var["varDef"].get("typeDef", {}).get("primitiveType", "JSON_OBJ")
        for var in thread.get("variableDefs", [])
    }


def parse_assignments(
    assignments: Iterable[str], types: Mapping[str, str], wf_spec_name: str
) -> dict[str, dict[str, Any]]:
    """``name=value`` strings as VariableValues (proto JSON) of the declared types."""
    parsed: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name:
            raise BadValue(f"{assignment!r} is not name=value")
        if name not in types:
            declared = ", ".join(f"{n} ({t})" for n, t in types.items()) or "none"
            raise BadValue(
                f"WfSpec {wf_spec_name!r} has no variable {name!r}; its variables: {declared}"
            )
        parsed[name] = parse_value(name, types[name], text)
    return parsed


def parse_value(name: str, var_type: str, text: str, what: str = "variable") -> dict[str, Any]:
    """``text`` as a VariableValue of ``var_type``; ``what`` names ``name`` in the error."""
    try:
        return _parse(var_type, text)
    except (ValueError, binascii.Error):
        raise BadValue(
            f"{what} {name!r} is {var_type}: expected {EXPECTED.get(var_type, var_type)}, "
            f"got {text!r}"
        ) from None


def _parse(var_type: str, text: str) -> dict[str, Any]:
    if var_type == "INT":
        return to_value(int(text))
    if var_type == "DOUBLE":
        return to_value(float(text))
    if var_type == "BOOL":
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise ValueError(text)
        return to_value(lowered in _TRUE)
    if var_type == "BYTES":
        return to_value(base64.b64decode(text, validate=True))
    if var_type == "JSON_OBJ":
        return to_value(_json_of(text, dict))
    if var_type == "JSON_ARR":
        return to_value(_json_of(text, list))
    if var_type == "WF_RUN_ID":
        if not text:
            raise ValueError(text)
        return {"wfRunId": {"id": text}}
    if var_type == "TIMESTAMP":
        return to_value(datetime.fromisoformat(text.replace("Z", "+00:00")))
    return to_value(text)


def _json_of(text: str, kind: type) -> Any:
    value = json.loads(text)
    if not isinstance(value, kind):
        raise ValueError(text)
    return value
