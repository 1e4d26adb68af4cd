"""Comparators, mutations, casts and JSONPath on workflow values, as LittleHorse computes them.

Each function mirrors a method of LittleHorse's server (``VariableValueModel``,
``Comparer``, ``TypeCastingUtils``) so that a workflow gives the same numbers
on both: INT is a Java ``long`` (it wraps), a DOUBLE operand makes INT
arithmetic happen in DOUBLE, and a DOUBLE put into an INT is truncated. The
messages are LittleHorse's. Where Canter differs it is said at the function.

Anything that cannot be computed raises :class:`VarSubError`; the engine
turns it into a ``VAR_SUB_ERROR`` failure of the node, as LittleHorse does.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from decimal import Decimal
from typing import Any

from canter_engine.model import jsonpath
from canter_engine.model.values import PRIMITIVES as _PRIMITIVES
from canter_engine.model.values import (
    ArrayValue,
    StructValue,
    TimestampValue,
    WfRunIdValue,
    encode,
    type_of,
)
from canter_engine.model.values import can_be_type as can_be_type

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_ARITHMETIC = ("ADD", "SUBTRACT", "MULTIPLY", "DIVIDE")


class VarSubError(Exception):
    """A value could not be computed: the node fails with VAR_SUB_ERROR."""


class VarMutationError(Exception):
    """A variable could not be stored (over Canter's size limit): VAR_MUTATION_ERROR."""


def _t(value: Any) -> str:
    return type_of(value) or "VALUE_NOT_SET"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool | TimestampValue)


# --- Java numbers ------------------------------------------------------------------


def wrap_long(value: int) -> int:
    """``value`` as a Java ``long`` computes it: two's complement, 64 bits."""
    return (value - INT64_MIN) % 2**64 + INT64_MIN


def java_long(value: float) -> int:
    """Java's ``(long) double``: truncates, saturates, NaN is 0."""
    if math.isnan(value):
        return 0
    if value >= 2**63:
        return INT64_MAX
    if value <= INT64_MIN:
        return INT64_MIN
    return int(value)


def java_double_str(value: float) -> str:
    """Java's ``Double.toString``: ``2.0``, ``0.001``, ``1.0E7``, ``1.5E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits))
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{len(shown) - 1 + exponent}"


def _java_div(lhs: int, rhs: int) -> int:
    quotient = abs(lhs) // abs(rhs)
    return wrap_long(quotient if (lhs >= 0) == (rhs >= 0) else -quotient)


def _finite(value: float, what: str) -> float:
    """Canter refuses what JSON cannot carry; LittleHorse would store Infinity."""
    if not math.isfinite(value):
        raise VarSubError(f"{what} is not finite")
    return value


# --- conversions (VariableValueModel.as*) -------------------------------------------


def as_str(value: Any) -> str | None:
    """``asStr``: Java's ``toString`` of the value; the empty value stays empty.

    Differs from LittleHorse where Java's text is an accident of its
    classes: JSON values become JSON text (not ``{a=1}``), BYTES base64 and a
    TIMESTAMP its RFC 3339 text.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, TimestampValue):
        return value.isoformat()
    if isinstance(value, float):
        return java_double_str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, StructValue | ArrayValue):
        return json.dumps(encode(value), separators=(",", ":"))
    return str(value)


def _not_in_json(value: Any, where: str) -> None:
    """A Struct or Array is no JSON value: it cannot be put inside a JSON_OBJ or JSON_ARR."""
    if isinstance(value, StructValue | ArrayValue):
        raise VarSubError(
            f"Cannot put a {_t(value)} into {where}: JSON_OBJ and JSON_ARR values hold JSON; "
            "keep the struct in a struct variable"
        )


def _text(value: Any) -> str:
    """A value inside a Java string concatenation (``null`` for the empty value)."""
    text = as_str(value)
    return "null" if text is None else text


def as_int(value: Any) -> int:
    kind = type_of(value)
    if kind == "INT":
        return int(value)
    if kind == "DOUBLE":
        return java_long(value)
    if kind == "STR":
        return _parse_long(value)
    if kind == "TIMESTAMP":
        return int(value) // 1000 * 1000
    raise VarSubError(f"Cant convert {_t(value)} to INT")


def _parse_long(text: str) -> int:
    """Java's ``Long.valueOf``: an optional sign and decimal digits, in range."""
    body = text[1:] if text[:1] in ("-", "+") else text
    if body.isascii() and body.isdigit():
        number = int(text)
        if INT64_MIN <= number <= INT64_MAX:
            return number
    raise VarSubError(f"Couldn't convert STR '{text}' to INT")


def as_double(value: Any) -> float:
    kind = type_of(value)
    if kind in ("INT", "DOUBLE"):
        return float(value)
    if kind == "STR":
        try:
            parsed = float(value.strip())
        except ValueError:
            raise VarSubError(f"Couldn't convert STR '{value}' to DOUBLE") from None
        return _finite(parsed, f"STR '{value}' as DOUBLE")
    raise VarSubError(f"Cant convert {_t(value)} to DOUBLE")


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and not isinstance(value, WfRunIdValue):
        lowered = value.lower().strip()
        if lowered in ("true", "false"):
            return lowered == "true"
        raise VarSubError(f"Cannot parse '{value}' as BOOL (use 'true'/'false')")
    raise VarSubError(f"Cannot convert {_t(value)} to BOOL")


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if type_of(value) == "STR":
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise VarSubError(f"Invalid Base64 string: '{value}'.") from None
    raise VarSubError(f"Cant convert {_t(value)} to BYTES")


def coerce_to(value: Any, var_type: str) -> Any:
    """``coerceToType``: the value an ASSIGN puts into a ``var_type`` variable."""
    if value is None:
        return None
    kind = type_of(value)
    if var_type == "STR":
        return value if kind == "STR" else as_str(value)
    if var_type == "INT":
        return as_int(value)
    if var_type == "DOUBLE":
        return as_double(value)
    if var_type == "BOOL":
        return as_bool(value)
    if var_type == "BYTES":
        return _as_bytes(value)
    if var_type == "WF_RUN_ID":
        if kind in ("WF_RUN_ID", "STR", "INT", "DOUBLE"):
            return WfRunIdValue(_text(value))
        raise VarSubError(f"Cant convert {kind} to WF_RUN_ID")
    if var_type == "TIMESTAMP":
        if kind != "TIMESTAMP":
            raise VarSubError("Converting to TIMESTAMP not supported")
        return value
    if var_type != kind:
        raise VarSubError(f"Converting to {var_type} not supported.")
    return value


def can_cast_to(source: str | None, target: str) -> bool:
    """``TypeCastingUtils.canCastTo``: what an explicit cast (``targetType``) allows."""
    if source is None or source == target:
        return True
    if target == "STR" and source in _PRIMITIVES:
        return True
    if (source, target) in (("INT", "DOUBLE"), ("DOUBLE", "INT")):
        return True
    return source == "STR" and target in ("INT", "DOUBLE", "BOOL", "BYTES", "WF_RUN_ID")


def cast(value: Any, target: str) -> Any:
    """``VariableAssignmentModel.applyCast``: an explicit cast, with LittleHorse's messages
    (``Failed to cast value to INT: Cannot parse 'x' as INT.``).

    Differs from LittleHorse for a Struct: LittleHorse passes it on uncast,
    Canter fails (PutWfSpec refuses the cast where the type is known).
    """
    try:
        return _apply_cast(value, target)
    except VarSubError as exc:
        raise VarSubError(f"Failed to cast value to {target}: {exc}") from None


def _apply_cast(value: Any, target: str) -> Any:
    """``TypeCastingUtils.applyCast``."""
    source = type_of(value)
    if source is None or source == target:
        return value
    if not can_cast_to(source, target):
        raise VarSubError(f"Casting from {source} to {target} is not supported. ")
    try:
        return coerce_to(value, target)
    except VarSubError:
        if source == "STR":
            if target == "BYTES":
                raise VarSubError(f"Invalid Base64 string: '{value}'.") from None
            if target == "WF_RUN_ID":
                raise VarSubError(f"Invalid UUID format: '{value}'.") from None
            raise VarSubError(f"Cannot parse '{value}' as {target}.") from None
        raise


# --- comparisons (Comparer) ----------------------------------------------------------


def compare(lhs: Any, comparator: str, rhs: Any) -> bool:
    """A condition as LittleHorse's ``Comparer`` decides it.

    Ordering needs both sides of one type (``1 == 1.0`` is an error, as in
    LittleHorse's ConditionalsTest); the empty value sorts first. IN and
    NOT_IN look the left side up in the right one, turning it into a string
    for a STR or a JSON_OBJ (``2 IN "2"`` holds).
    """
    if comparator == "IN":
        return contains(rhs, lhs)
    if comparator == "NOT_IN":
        return not contains(rhs, lhs)
    order = _order(lhs, rhs)
    if comparator == "EQUALS":
        return order == 0
    if comparator == "NOT_EQUALS":
        return order != 0
    if comparator == "LESS_THAN":
        return order < 0
    if comparator == "GREATER_THAN":
        return order > 0
    if comparator == "LESS_THAN_EQ":
        return order <= 0
    if comparator == "GREATER_THAN_EQ":
        return order >= 0
    raise VarSubError(f"unknown comparator {comparator}")


# Java's Comparable types among LittleHorse's values; Canter also orders
# TIMESTAMP and WF_RUN_ID, which LittleHorse fails to compare.
_ORDERED = ("INT", "DOUBLE", "STR", "BOOL", "TIMESTAMP", "WF_RUN_ID")


def _order(lhs: Any, rhs: Any) -> int:
    if lhs is None or rhs is None:
        return (lhs is not None) - (rhs is not None)
    kind = type_of(lhs)
    if kind == type_of(rhs) and kind in ("STRUCT", "ARRAY"):
        # StructModel.compareTo: equal values are equal, others differ in some order.
        if lhs == rhs:
            return 0
        return -1 if _canonical(lhs) < _canonical(rhs) else 1
    if kind != type_of(rhs) or kind not in _ORDERED:
        raise VarSubError(
            f"Failed comparing the provided values: cannot compare {kind} with {type_of(rhs)}"
        )
    return int(lhs > rhs) - int(lhs < rhs)


def _canonical(value: Any) -> str:
    return json.dumps(encode(value), sort_keys=True, separators=(",", ":"))


_RULE = {
    "EQUALS": "IDENTITY",
    "NOT_EQUALS": "IDENTITY",
    "LESS_THAN": "MAGNITUDE",
    "GREATER_THAN": "MAGNITUDE",
    "LESS_THAN_EQ": "MAGNITUDE",
    "GREATER_THAN_EQ": "MAGNITUDE",
    "IN": "INCLUDES",
    "NOT_IN": "INCLUDES",
}
_RULES_OF = {
    "INT": ("IDENTITY", "MAGNITUDE"),
    "DOUBLE": ("IDENTITY", "MAGNITUDE"),
    "STR": ("IDENTITY", "MAGNITUDE"),
    "BOOL": ("IDENTITY", "MAGNITUDE"),
    "TIMESTAMP": ("IDENTITY", "MAGNITUDE"),
    "WF_RUN_ID": ("IDENTITY",),
    "BYTES": ("IDENTITY",),
    "JSON_ARR": ("IDENTITY", "INCLUDES"),
    "JSON_OBJ": ("IDENTITY", "INCLUDES"),
    "STRUCT": ("IDENTITY", "INCLUDES"),
}


def comparison_refusal(lhs: str | None, comparator: str, rhs: str | None) -> str | None:
    """Why LittleHorse refuses a comparison of these types at PutWfSpec, or None.

    ``checkTypeComparisonIncompatibility``: only decided when both types are
    known; a STR on the right cannot be searched with IN (a STR on the left
    can be looked up in a JSON_OBJ).
    """
    if lhs is None or rhs is None or comparator not in _RULE:
        return None
    rule = _RULE[comparator]
    if rule not in _RULES_OF[rhs]:
        return f"You cannot compare RHS type {rhs} using Comparator {comparator}"
    ordered = "MAGNITUDE" in _RULES_OF[lhs] and "MAGNITUDE" in _RULES_OF[rhs]
    if rule == "IDENTITY" and lhs != rhs and not ordered:
        return (
            f"You can only compare LHS type {lhs} with its own type, "
            f"but tried to compare it to {rhs}"
        )
    if rule == "INCLUDES" and rhs != "JSON_ARR" and lhs != "STR":
        return f"You cannot use LHS type {lhs} with Comparator {comparator}"
    return None


def contains(collection: Any, item: Any) -> bool:
    """``Comparer.contains``: a substring, an array element or an object key."""
    kind = type_of(collection)
    if kind == "STR":
        if item is None:
            raise VarSubError("Failed evaluating CONTAINS: cannot look for an empty value in a STR")
        return _text(item) in collection
    if kind == "JSON_ARR":
        return any(_loose_equal(element, item) for element in collection)
    if kind == "ARRAY":
        return any(_loose_equal(element, item) for element in collection.items)
    if kind == "JSON_OBJ":
        return item is not None and _text(item) in collection
    raise VarSubError(f"Failed evaluating CONTAINS: Can't do CONTAINS on {_t(collection)}")


def _loose_equal(a: Any, b: Any) -> bool:
    """``LHUtil.deepEquals``: numbers compare as doubles."""
    if _number(a) and _number(b):
        return float(a) == float(b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _strict_equal(a: Any, b: Any) -> bool:
    """Java ``Objects.equals`` on parsed JSON: a long never equals a double."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_strict_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_strict_equal(a[k], b[k]) for k in a)
    return bool(a == b)


# --- mutations (VariableValueModel.operate) -----------------------------------------


def expression_type(lhs: Any, rhs: Any) -> str | None:
    """The type an expression computes in: the left side's, DOUBLE if INT meets DOUBLE."""
    kind = type_of(lhs)
    if kind == "INT" and type_of(rhs) == "DOUBLE":
        return "DOUBLE"
    return kind


_STR_REFUSALS = {
    "SUBTRACT": "Cannot subtract from a STR",
    "MULTIPLY": "Cannot multiply to a STR",
    "DIVIDE": "Cannot divide a STR",
    "POW": "Cannot exponentiate a STR",
    "REMOVE_KEY": "Cannot call REMOVE_KEY on a STR",
}


def expression_result_type(
    lhs: str | None, operation: str, rhs: str | None
) -> tuple[str | None, str | None]:
    """An expression's type when it is known before running, or why LittleHorse refuses it.

    The part of LittleHorse's ``LHTypeStrategy`` that types can decide without
    data: numbers give INT or DOUBLE, STR refuses arithmetic, AND/OR give BOOL.
    """
    if operation in ("AND", "OR"):
        return "BOOL", None
    if lhs == "STR":
        if operation in _STR_REFUSALS:
            return None, _STR_REFUSALS[operation]
        return "STR", None
    if lhs == "DOUBLE" and operation in (*_ARITHMETIC, "POW"):
        return "DOUBLE", None
    if lhs == "INT" and operation in _ARITHMETIC:
        # LittleHorse types INT arithmetic as INT before running, whatever the
        # right side; at run time an INT meeting a DOUBLE computes in DOUBLE.
        return "INT", None
    if lhs == "INT" and operation == "POW" and rhs is not None:
        return ("INT" if rhs == "INT" else "DOUBLE"), None
    return None, None


def operate(lhs: Any, operation: str, rhs: Any, coerce_type: str | None) -> Any:
    """``lhs`` changed by ``operation`` with ``rhs``, computed as ``coerce_type``.

    For a variable ``coerce_type`` is its declared type; in an expression it
    is :func:`expression_type`.
    """
    if operation == "ASSIGN":
        if rhs is None or coerce_type is None or type_of(rhs) == coerce_type:
            return rhs
        return coerce_to(rhs, coerce_type)
    if operation in _ARITHMETIC:
        if type(lhs) is int and type(rhs) is int and operation != "DIVIDE":
            # The common case (a counter), computed without the conversions below.
            if operation == "ADD":
                result = lhs + rhs
            else:
                result = lhs - rhs if operation == "SUBTRACT" else lhs * rhs
            return result if INT64_MIN <= result <= INT64_MAX else wrap_long(result)
        if coerce_type == "DOUBLE":
            lhs = as_double(lhs)
        return _arithmetic(lhs, operation, rhs)
    if operation == "EXTEND":
        return _extend(lhs, rhs)
    if operation == "REMOVE_IF_PRESENT":
        if type_of(lhs) != "JSON_ARR":
            raise VarSubError(f"Cannot removeIfPresent on var of type {_t(lhs)}")
        return [item for item in lhs if not _strict_equal(item, rhs)]
    if operation == "REMOVE_INDEX":
        if type_of(lhs) != "JSON_ARR":
            raise VarSubError(f"Cannot removeIndex on var of type {_t(lhs)}")
        index = wrap_long(as_int(rhs))
        if not 0 <= index < len(lhs):
            raise VarSubError(f"Index {index} out of bounds for length {len(lhs)}")
        return lhs[:index] + lhs[index + 1 :]
    if operation == "REMOVE_KEY":
        if type_of(lhs) != "JSON_OBJ":
            raise VarSubError("Converting to JSON_OBJ not supported.")
        key = as_str(rhs)
        return {k: v for k, v in lhs.items() if k != key}
    if operation == "AND":
        return as_bool(lhs) and as_bool(rhs)
    if operation == "OR":
        return as_bool(lhs) or as_bool(rhs)
    if operation == "POW":
        return _pow(lhs, rhs)
    raise VarSubError(f"Unsupported operation: {operation}")


_NULL_RHS = {
    "ADD": "Cannot add by null",
    "SUBTRACT": "Cannot subtract null",
    "MULTIPLY": "Cannot multiply by null",
    "DIVIDE": "Cannot divide by null",
}


def _arithmetic(lhs: Any, operation: str, rhs: Any) -> Any:
    if rhs is None:
        raise VarSubError(_NULL_RHS[operation])
    kind = type_of(lhs)
    rhs_double = type_of(rhs) == "DOUBLE"
    if operation == "DIVIDE" and as_double(rhs) == 0:
        raise VarSubError("Cannot divide by zero")
    if kind == "INT":
        if operation == "ADD":
            return wrap_long(lhs + as_int(rhs))
        if rhs_double:
            result = {"SUBTRACT": lhs - rhs, "MULTIPLY": lhs * rhs, "DIVIDE": lhs / rhs}
            return java_long(result[operation])
        if operation == "SUBTRACT":
            return wrap_long(lhs - as_int(rhs))
        if operation == "MULTIPLY":
            return wrap_long(lhs * as_int(rhs))
        return _java_div(lhs, as_int(rhs))
    if kind == "DOUBLE":
        other = as_double(rhs)
        if operation == "ADD":
            result_double = lhs + other
        elif operation == "SUBTRACT":
            result_double = lhs - other
        elif operation == "MULTIPLY":
            result_double = lhs * other
        else:
            result_double = lhs / other
        return _finite(result_double, f"{operation} result")
    if kind == "STR" and operation == "ADD":
        return lhs + _text(rhs)
    if kind == "JSON_ARR" and operation == "ADD":
        _not_in_json(rhs, "a JSON_ARR")
        return [*lhs, rhs]
    what = {
        "ADD": "Cannot add to var of type",
        "SUBTRACT": "Cannot subtract from var of type",
        "MULTIPLY": "Cannot multiply value of type",
        "DIVIDE": "Cannot divide var of type",
    }[operation]
    raise VarSubError(f"{what} {_t(lhs)}")


def _extend(lhs: Any, rhs: Any) -> Any:
    kind = type_of(lhs)
    if kind == "JSON_ARR":
        if type_of(rhs) != "JSON_ARR":
            raise VarSubError("Converting to JSON_ARR not supported.")
        return lhs + rhs
    if kind == "BYTES":
        return lhs + _as_bytes(rhs)
    if kind == "STR":
        return lhs + _text(rhs)
    raise VarSubError(f"Cannot extend var of type {_t(lhs)}")


def _pow(base: Any, exponent: Any) -> Any:
    if type_of(base) not in ("INT", "DOUBLE"):
        raise VarSubError(f"Cannot exponentiate base value of type {_t(base)}")
    if type_of(exponent) not in ("INT", "DOUBLE"):
        raise VarSubError(f"Cannot exponentiate by type {_t(exponent)}")
    try:
        result = math.pow(float(base), float(exponent))
    except (OverflowError, ValueError, ZeroDivisionError):
        result = math.nan
    if not math.isfinite(result):
        raise VarSubError(
            f"Exponentiation result is not finite: Base {_text(base)}, Exponent {_text(exponent)}"
        )
    if isinstance(base, float) or isinstance(exponent, float):
        return result
    if not INT64_MIN <= result <= INT64_MAX:
        raise VarSubError(
            f"Exponentiation result is out of range for INT: Base {base}, Exponent {exponent}"
        )
    return java_long(result)


def format_value(value: Any) -> str:
    """How a value reads inside a format string."""
    return _text(value)


# --- JSONPath -------------------------------------------------------------------------


def check_jsonpath(path: str) -> str | None:
    """Why ``path`` is not a JSONPath Canter evaluates, or None."""
    try:
        jsonpath.parse(path)
    except jsonpath.JsonPathError as exc:
        return str(exc)
    return None


def _compiled(path: str) -> jsonpath.Path:
    try:
        return jsonpath.parse(path)
    except jsonpath.JsonPathError as exc:
        raise VarSubError(str(exc)) from None


def json_get(value: Any, path: str, what: str) -> Any:
    """``jsonPath``: what ``path`` selects; the empty value where it leads nowhere."""
    if not isinstance(value, dict | list):
        raise VarSubError(f"Cannot jsonpath on {_t(value)} ({what}, path {path})")
    try:
        found = jsonpath.get(value, _compiled(path))
    except jsonpath.JsonPathError as exc:
        raise VarSubError(f"Failed accessing path {path} on {what}: {exc}") from None
    return None if found is jsonpath.MISSING else found


def json_set(value: Any, path: str, new: Any, what: str) -> Any:
    """``updateJsonViaJsonPath``: a copy of ``value`` with ``new`` at ``path``."""
    if not isinstance(value, dict | list):
        raise VarSubError(f"Cannot jsonpath on {_t(value)} ({what}, path {path})")
    _not_in_json(new, f"{what} at {path}")
    try:
        return jsonpath.set_value(value, _compiled(path), new)
    except jsonpath.JsonPathError as exc:
        raise VarSubError(f"Failed updating jsonPath {path} on {what}: {exc}") from None


# --- lhPath (WfRunVariable.get) ----------------------------------------------------------


def get_path(value: Any, lh_path: Any, what: str) -> Any:
    """``VariableValueModel.get(LHPath)``: a Struct's field, then JSONPath inside JSON.

    A field the value does not carry (an optional one) is the empty value;
    Canter says so where LittleHorse's server would fail on a null pointer.
    """
    path = lh_path.get("path") if isinstance(lh_path, dict) else None
    if not isinstance(path, list):
        raise VarSubError(f"an lhPath needs a path ({what})")
    current = value
    for i, selector in enumerate(path):
        if isinstance(current, dict | list):
            rest = path[i:]
            text = "$" + "".join(
                f"[{int(s['index'])}]" if "index" in s else f".{s.get('key')}" for s in rest
            )
            return json_get(current, text, what)
        if isinstance(current, ArrayValue):
            index = selector.get("index") if isinstance(selector, dict) else None
            if not isinstance(index, int):
                raise VarSubError(
                    f"Cannot select key {selector.get('key')!r} of an Array ({what}); "
                    "an Array's elements are selected by index"
                )
            if index < 0:
                raise VarSubError(f"Array index cannot be negative: {index}")
            if index >= len(current.items):
                raise VarSubError(f"Index {index} out of bounds for length {len(current.items)}")
            current = current.items[index]
            continue
        if isinstance(current, StructValue):
            key = selector.get("key") if isinstance(selector, dict) else None
            if not isinstance(key, str):
                raise VarSubError(
                    f"Cannot select index {selector.get('index')} of {current.type_name} "
                    f"({what}); a Struct's fields are selected by key"
                )
            current = current.fields.get(key)
            continue
        raise VarSubError(f"Cannot 'get' on {_t(current)} ({what})")
    return current
