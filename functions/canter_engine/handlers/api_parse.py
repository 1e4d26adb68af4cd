"""Reading request messages: proto3 JSON fields, with errors that name the field."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from canter_engine.handlers.api_errors import invalid
from canter_engine.model import values

M = TypeVar("M", bound=BaseModel)


def require_str(body: dict[str, Any], *path: str) -> str:
    value: Any = body
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise invalid(f"{'.'.join(path)} is required (a non-empty string)")
    return value


def optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise invalid(f"{name} must be an integer, got {value!r}") from None


def require_int(body: dict[str, Any], name: str) -> int:
    value = optional_int(body, name)
    return 0 if value is None else value


def value(raw: Any, where: str) -> Any:
    """A VariableValue, refused with the reason when it cannot be read."""
    try:
        return values.decode(raw, where)
    except ValueError as exc:
        raise invalid(str(exc)) from None


def model(cls: type[M], body: dict[str, Any]) -> M:
    try:
        return cls.model_validate(body)
    except ValidationError as exc:
        raise invalid(f"{cls.__name__}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """Pydantic's errors as one line per field, with the field's JSON path."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def encoded_size(raw: Any) -> int:
    return len(json.dumps(raw, separators=(",", ":")).encode())
