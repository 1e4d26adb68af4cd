"""Comparators, mutations and JSONPath on workflow values.

A type mismatch raises :class:`VarSubError` or :class:`VarMutationError`;
the engine turns them into ``VAR_SUB_ERROR``/``VAR_MUTATION_ERROR`` failures
of the node. Nothing is coerced silently; INT widens to DOUBLE.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

from canter_engine.model.values import TimestampValue, type_of


class VarSubError(Exception):
    """A value could not be computed: the node fails with VAR_SUB_ERROR."""


class VarMutationError(Exception):
    """A variable could not be changed: the node fails with VAR_MUTATION_ERROR."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(lhs: Any, comparator: str, rhs: Any) -> bool:
    if comparator == "EQUALS":
        return _equal(lhs, rhs)
    if comparator == "NOT_EQUALS":
        return not _equal(lhs, rhs)
    if comparator in ("IN", "NOT_IN"):
        if isinstance(rhs, list):
            found = any(_equal(lhs, item) for item in rhs)
        elif isinstance(rhs, dict):
            found = isinstance(lhs, str) and lhs in rhs
        elif isinstance(rhs, str) and isinstance(lhs, str):
            found = lhs in rhs
        else:
            raise VarSubError(
                f"{comparator} needs a JSON_ARR, JSON_OBJ or STR on the right, got {_t(rhs)}"
            )
        return found if comparator == "IN" else not found
    if not ((_number(lhs) and _number(rhs)) or (isinstance(lhs, str) and isinstance(rhs, str))):
        raise VarSubError(f"cannot compare {_t(lhs)} with {_t(rhs)} using {comparator}")
    if comparator == "LESS_THAN":
        return bool(lhs < rhs)
    if comparator == "GREATER_THAN":
        return bool(lhs > rhs)
    if comparator == "LESS_THAN_EQ":
        return bool(lhs <= rhs)
    if comparator == "GREATER_THAN_EQ":
        return bool(lhs >= rhs)
    raise VarSubError(f"unknown comparator {comparator}")


def _equal(lhs: Any, rhs: Any) -> bool:
    if _number(lhs) and _number(rhs):
        return bool(lhs == rhs)
    if isinstance(lhs, bool) != isinstance(rhs, bool):
        return False
    return bool(lhs == rhs)


def mutate(current: Any, operation: str, rhs: Any, target_type: str | None) -> Any:
    """The new value of a variable of ``target_type`` holding ``current``.

    ``target_type`` is None inside an expression, where the result takes the
    type of the left-hand side.
    """
    if operation == "ASSIGN":
        return rhs
    kind = target_type or type_of(current)
    if operation in ("ADD", "SUBTRACT", "MULTIPLY", "DIVIDE", "POW") and _number(current):
        if not _number(rhs):
            raise VarMutationError(f"{operation} needs a number on the right, got {_t(rhs)}")
        result = _arithmetic(current, operation, rhs)
        if kind == "INT":
            return int(result)
        return float(result) if kind == "DOUBLE" else result
    if operation == "ADD":
        if isinstance(current, str):
            return current + _text(rhs)
        if isinstance(current, list):
            return [*current, rhs]
    if operation == "EXTEND":
        if isinstance(current, list):
            if not isinstance(rhs, list):
                raise VarMutationError(f"EXTEND of a JSON_ARR needs a JSON_ARR, got {_t(rhs)}")
            return current + rhs
        if isinstance(current, str):
            return current + _text(rhs)
    if operation == "REMOVE_IF_PRESENT":
        if isinstance(current, list):
            kept = list(current)
            for i, item in enumerate(kept):
                if _equal(item, rhs):
                    del kept[i]
                    break
            return kept
        if isinstance(current, dict):
            return {k: v for k, v in current.items() if k != rhs}
    if operation == "REMOVE_INDEX" and isinstance(current, list):
        if not isinstance(rhs, int) or isinstance(rhs, bool):
            raise VarMutationError(f"REMOVE_INDEX needs an INT index, got {_t(rhs)}")
        if not -len(current) <= rhs < len(current):
            raise VarMutationError(f"REMOVE_INDEX {rhs} is out of range for {len(current)} items")
        kept = list(current)
        del kept[rhs]
        return kept
    if operation == "REMOVE_KEY" and isinstance(current, dict):
        if not isinstance(rhs, str):
            raise VarMutationError(f"REMOVE_KEY needs a STR key, got {_t(rhs)}")
        return {k: v for k, v in current.items() if k != rhs}
    if operation in ("AND", "OR") and isinstance(current, bool) and isinstance(rhs, bool):
        return (current and rhs) if operation == "AND" else (current or rhs)
    raise VarMutationError(f"cannot {operation} {_t(rhs)} to/from {_t(current)}")


def _arithmetic(lhs: float, operation: str, rhs: float) -> float:
    if operation == "ADD":
        return lhs + rhs
    if operation == "SUBTRACT":
        return lhs - rhs
    if operation == "MULTIPLY":
        return lhs * rhs
    if operation == "POW":
        return float(lhs**rhs) if isinstance(lhs, float) or isinstance(rhs, float) else lhs**rhs
    if rhs == 0:
        raise VarMutationError("DIVIDE by zero")
    if isinstance(lhs, int) and isinstance(rhs, int):
        quotient = abs(lhs) // abs(rhs)
        return quotient if (lhs >= 0) == (rhs >= 0) else -quotient
    return lhs / rhs


def format_value(value: Any) -> str:
    """How a value reads inside a format string."""
    return _text(value)


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, TimestampValue):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


@lru_cache(maxsize=1024)
def _compiled(path: str) -> Any:
    try:
        return parse_jsonpath(path)
    except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
        raise VarSubError(f"invalid JSONPath {path!r}: {exc}") from None


def check_jsonpath(path: str) -> str | None:
    """Why ``path`` is not a valid JSONPath, or None."""
    try:
        _compiled(path)
    except VarSubError as exc:
        return str(exc)
    return None


def json_get(value: Any, path: str, what: str) -> Any:
    if not isinstance(value, dict | list):
        raise VarSubError(
            f"JSONPath {path} needs a JSON_OBJ or JSON_ARR in {what}, got {_t(value)}"
        )
    matches = _compiled(path).find(value)
    if not matches:
        raise VarSubError(f"JSONPath {path} found nothing in {what}")
    if len(matches) == 1:
        return matches[0].value
    return [m.value for m in matches]


def json_set(value: Any, path: str, new: Any, what: str) -> Any:
    """A copy of ``value`` with ``new`` at ``path``."""
    if not isinstance(value, dict | list):
        raise VarMutationError(
            f"JSONPath {path} needs a JSON_OBJ or JSON_ARR in {what}, got {_t(value)}"
        )
    try:
        expr = _compiled(path)
    except VarSubError as exc:
        raise VarMutationError(str(exc)) from None
    return expr.update_or_create(copy.deepcopy(value), new)


def _t(value: Any) -> str:
    return type_of(value) or "an empty value"
