"""Request bodies as strict JSON: what RFC 8259 allows, within bounds every store accepts.

Python's ``json`` module reads ``NaN``, ``Infinity`` and ``1e999`` (which it
turns into infinity), keeps lone UTF-16 surrogates such as ``"\\ud800"``
(which no store or encoder can write), and recurses once per nesting level
until the interpreter's limit. Each of those would fail later, deep in a
handler or the scheduler, as a 500 or a stuck WfRun; here they are refused
with the place where they occur.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deeper than any LittleHorse message (a WfSpec's nested expressions
# included) and than a reasonable JSON_OBJ value.
MAX_DEPTH = 64


class StrictJsonError(ValueError):
    """Why a body is not strict JSON, and where."""


def loads(raw: str | bytes) -> Any:
    """Parse ``raw`` as strict JSON, or raise :class:`StrictJsonError` saying what and where."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StrictJsonError(f"the body is not valid UTF-8 (byte {exc.start})") from None
    _check_depth(raw)
    try:
        parsed = json.loads(raw, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise StrictJsonError(f"the body is not valid JSON ({exc})") from None
    _check_strings(parsed)
    return parsed


def dumps(value: Any) -> str:
    """Strict JSON out: a non-finite double as proto3 JSON spells it ("NaN", "Infinity")."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_proto_floats(value), separators=(",", ":"), allow_nan=False)


def _proto_floats(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _proto_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_proto_floats(item) for item in value]
    return value


def _no_constant(name: str) -> Any:
    raise StrictJsonError(f"{name} is not JSON; send numbers that are finite")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise StrictJsonError(f"the number {text[:40]} is out of range for a double")
    return number


# A string (skipped whole, in C: a 5 MiB value takes milliseconds) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')


def _check_depth(raw: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before parsing (the parser recurses)."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(raw):
        char = raw[match.start()]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise StrictJsonError(
                    f"the body nests objects and arrays more than {MAX_DEPTH} deep "
                    f"(at character {match.start()})"
                )
        elif char in "]}":
            depth -= 1


def _check_strings(value: Any, path: str = "body") -> None:
    """Every key and string is valid Unicode: no lone surrogate escapes."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            _check_text(item, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, f"{where} key")
                stack.append((child, f"{where}.{key[:40]}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


def _check_text(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StrictJsonError(
            f"{where} holds a lone UTF-16 surrogate (\\u{ord(text[exc.start]):04x}) at "
            f"character {exc.start}; send valid Unicode"
        ) from None
