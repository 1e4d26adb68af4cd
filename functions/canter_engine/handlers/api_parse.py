"""Reading request messages: proto3 JSON fields, with errors that name the field.

Every string that becomes part of a DynamoDB key is bounded here: a sort key
holds at most 1,024 bytes and a partition key 2,048, and a key is a prefix
plus one or two of these strings (``event#<def>#<guid>``, ``var#<thread>#<name>``).
Names follow LittleHorse's ``LHUtil.isValidLHName`` (a hostname label:
letters, digits and inner hyphens), bounded at 128 characters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from canter_engine.core.state import ERROR_NAMES
from canter_engine.handlers.api_errors import invalid
from canter_engine.model import values

M = TypeVar("M", bound=BaseModel)


# An id, guid or name looked up by key: UTF-8 bytes (two fit in one sort key).
MAX_KEY_PART_BYTES = 400
MAX_NAME_CHARS = 128
LH_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$")
WF_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
GUID = re.compile(r"^[^\x00-\x1f\x7f#]+$")
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


def field(body: dict[str, Any], *path: str) -> Any:
    """The value at ``path`` of nested messages, or None where any level is missing."""
    value: Any = body
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def require_str(body: dict[str, Any], *path: str) -> str:
    value = field(body, *path)
    where = ".".join(path)
    if not isinstance(value, str) or not value:
        raise invalid(f"{where} is required (a non-empty string)")
    return key_part(value, where)


def wf_run_id(body: dict[str, Any], *path: str) -> str:
    """A WfRun id: what RunWf accepts, or a child's ``<parent>_<suffix>``."""
    found = require_str(body, *path)
    if not WF_RUN_ID.match(found):
        raise invalid(
            f"{'.'.join(path)} is not a WfRun id: letters, digits, '-', '_' and '.', "
            "starting with a letter or digit"
        )
    return found


def guid(value: Any, where: str) -> str:
    """A guid (taskGuid, an ExternalEvent's guid): printable, without '#', fits in a key."""
    if not isinstance(value, str) or not value:
        raise invalid(f"{where} is required (a non-empty string)")
    if not GUID.match(value):
        raise invalid(f"{where} must be printable characters other than '#'")
    return key_part(value, where)


def key_part(value: str, where: str) -> str:
    """A string that goes into a key, refused when no key could hold it."""
    if len(value.encode()) > MAX_KEY_PART_BYTES:
        raise invalid(
            f"{where} is {len(value.encode())} bytes long; ids, guids and names are at most "
            f"{MAX_KEY_PART_BYTES} bytes"
        )
    return value


def lh_name(value: Any, where: str) -> str:
    """A definition's name as LittleHorse accepts it (``LHUtil.isValidLHName``)."""
    if not isinstance(value, str) or not value:
        raise invalid(f"{where} is required (a non-empty string)")
    if len(value) > MAX_NAME_CHARS or not LH_NAME.match(value):
        shown = value[:MAX_NAME_CHARS].encode("unicode_escape").decode()
        raise invalid(
            f"{where} {shown!r} is not a valid name: 1-{MAX_NAME_CHARS} letters, digits "
            "and '-', starting and ending with a letter or digit (as in LittleHorse)"
        )
    return value


def bounded_keys(body: Any, rpc: str) -> None:
    """Every object key and ``name`` of a definition fits in a key (threads, nodes, variables)."""
    stack: list[tuple[Any, str]] = [(body, rpc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                here = f"{where}.{key[:40]}"
                key_part(key, f"{where} key {key[:40]!r}...")
                if key == "name" and isinstance(child, str):
                    key_part(child, here)
                stack.append((child, here))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))


# A listing's bookmark names two record keys; longer than this, one of them
# could not be a key at all.
MAX_BOOKMARK_CHARS = 1400
FOREIGN_BOOKMARK = "bookmark is not one this API returned for this request; omit it to start over"


def listing_bookmark(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_BOOKMARK_CHARS:
        raise invalid(f"bookmark: {FOREIGN_BOOKMARK}")
    return raw


# LittleHorse's system failures (LHErrorType): caught by name, never thrown by a WfSpec.
ERROR_TYPES = ERROR_NAMES


def failure_names(body: Any, rpc: str) -> None:
    """Failure names as LittleHorse checks them (``FailureDefModel.validate``, ``NodeModel``).

    A thrown failure (an EXIT node's ``failureDef``) is a valid name and not a
    system error's; a handler's ``specificFailure`` is a system error or a
    valid name.
    """
    stack: list[tuple[Any, str]] = [(body, rpc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
            continue
        if not isinstance(item, dict):
            continue
        thrown = item.get("failureDef")
        if isinstance(thrown, dict) and isinstance(name := thrown.get("failureName"), str):
            if name in ERROR_TYPES:
                raise invalid(f"{where}.failureDef.failureName {name!r} is reserved for the system")
            lh_name(name, f"{where}.failureDef.failureName")
        caught = item.get("specificFailure")
        if isinstance(caught, str) and caught not in ERROR_TYPES:
            lh_name(caught, f"{where}.specificFailure")
        stack.extend((child, f"{where}.{key[:40]}") for key, child in item.items())


def optional_int(body: dict[str, Any], name: str, bounds: tuple[int, int] = INT32) -> int | None:
    """A proto3 int32 (or, with ``bounds=INT64``, int64): a JSON number or decimal string."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"{name} must be an integer")
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]{1,20}", value.strip()):
        raise invalid(f"{name} must be an integer, got the string {value[:40]!r}")
    number = int(value)
    low, high = bounds
    if not low <= number <= high:
        raise invalid(f"{name} must be between {low} and {high}")
    return number


def require_int(body: dict[str, Any], name: str) -> int:
    value = optional_int(body, name)
    return 0 if value is None else value


def value(raw: Any, where: str) -> Any:
    """A VariableValue, refused with the reason when it cannot be read."""
    int64_value(raw, where)
    try:
        decoded = values.decode(raw, where)
    except ValueError as exc:
        raise invalid(_without_input(str(exc), raw)) from None
    finite(decoded, where)
    return decoded


def finite(decoded: Any, where: str) -> None:
    """Refuse NaN and infinity (``{"double": "NaN"}``): no arithmetic or JSON reader wants them."""
    try:
        json.dumps(decoded, allow_nan=False, default=str)
    except ValueError:
        raise invalid(f"{where}: NaN and infinity are not accepted; send a finite number") from None


def int64_value(raw: Any, where: str) -> None:
    """An INT VariableValue is a protobuf int64: refuse it beyond, as LittleHorse would."""
    if isinstance(raw, dict) and isinstance(number := raw.get("int"), int | str):
        try:
            parsed = int(number) if not isinstance(number, bool) else 0
        except ValueError:
            return
        if not INT64[0] <= parsed <= INT64[1]:
            raise invalid(f"{where}.int is out of the int64 range [{INT64[0]}, {INT64[1]}]")


def _without_input(message: str, raw: Any) -> str:
    """An error about a value must not repeat it: it may be a secret, and errors are logged."""
    if isinstance(raw, dict) and len(raw) == 1:
        leaf = next(iter(raw.values()))
        if isinstance(leaf, str) and leaf:
            return message.replace(repr(leaf), "'*****'").replace(leaf, "*****")
    return message


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


def page(results: list[dict[str, Any]], bookmark: str | None) -> dict[str, Any]:
    """A Search*/List* answer: ``results`` and, when there is more, ``bookmark``."""
    answer: dict[str, Any] = {"results": results}
    if bookmark:
        answer["bookmark"] = bookmark
    return answer


def only(body: dict[str, Any], rpc: str, allowed: Collection[str]) -> None:
    """Refuse fields the rpc does not read, rather than ignore them."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise invalid(
            f"{rpc}: unknown field(s) {', '.join(unknown)}; the request has "
            f"{', '.join(sorted(allowed))}"
        )
