"""PutCorrelatedEvent, GetCorrelatedEvent, DeleteCorrelatedEvent, SearchCorrelatedEvent.

A CorrelatedEvent is posted by key, not by WfRun: it reaches every
EXTERNAL_EVENT NodeRun whose correlation key is that key, whether the NodeRun
was waiting before it was put or arrives later (handlers/correlation.py).
As in LittleHorse (PutCorrelatedEventRequestModel), only an ExternalEventDef
with a ``correlatedEventConfig`` accepts them, a key has no '/' or '~', and
a key already in use is ALREADY_EXISTS — except that the same content again
answers the stored event, so a client may retry a put it did not hear back
from.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from canter_engine.handlers import correlation
from canter_engine.handlers.api_errors import ApiError, invalid, not_found, too_large
from canter_engine.handlers.api_parse import (
    encoded_size,
    field,
    key_part,
    only,
    optional_int,
    page,
    value,
)
from canter_engine.handlers.api_search import paging, timestamp
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_VALUE_BYTES
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.correlated import StoredEvent

_ID_FIELDS = frozenset({"key", "externalEventDefId"})
_PUT_FIELDS = frozenset({"key", "externalEventDefId", "content"})
_SEARCH_FIELDS = frozenset(
    {"bookmark", "limit", "earliestStart", "latestStart", "externalEventDefId", "hasExternalEvents"}
)


def put_correlated_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "PutCorrelatedEvent"
    only(body, rpc, _PUT_FIELDS)
    key, def_name = _id(body, rpc)
    definition = rt.metadata.get_external_event_def(def_name)
    if definition is None:
        raise invalid(
            f"{rpc}: ExternalEventDef {def_name!r} does not exist; register it with "
            "PutExternalEventDef"
        )
    config = definition.get("correlatedEventConfig")
    if not isinstance(config, dict):
        raise invalid(
            f"{rpc}: ExternalEventDef {def_name!r} does not have CorrelatedEvents enabled "
            "(put it with a correlatedEventConfig)"
        )
    raw = body.get("content")
    content = value(raw, f"{rpc}: content")
    if (size := encoded_size(raw)) > MAX_VALUE_BYTES:
        raise too_large(
            f"{rpc}: content is {size} bytes, over the {MAX_VALUE_BYTES}-byte limit for one "
            f"value; {HOW_TO_SHRINK}"
        )
    _check_type(definition, content, rpc)
    encoded = values.encode(content) if content is not None else None
    now = int(time.time() * 1000)
    event = StoredEvent(def_name, key, now, uuid.uuid4().hex, encoded, (), None)
    correlated = correlation.store(rt)
    ttl = optional_int(config, "ttlSeconds", (0, 2**62))
    if not correlated.put_event(event, ttl):
        existing = correlated.get_event(def_name, key)
        if existing is None or existing.content != encoded:
            raise ApiError(
                "ALREADY_EXISTS", f"{rpc}: a CorrelatedEvent with key {key!r} already exists"
            )
        event = existing
    delivered = correlation.deliver_to_waiters(rt, event, now)
    found = correlated.get_event(def_name, key)
    answer = (found or event).to_json()
    if found is None and delivered:
        # deleteAfterFirstCorrelation: gone already, but the caller learns where it went.
        answer["externalEvents"] = delivered
    return answer


def get_correlated_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "GetCorrelatedEvent"
    only(body, rpc, _ID_FIELDS)
    key, def_name = _id(body, rpc)
    found = correlation.store(rt).get_event(def_name, key)
    if found is None:
        raise not_found(f"{rpc}: no CorrelatedEvent {def_name!r} with key {key!r}")
    return found.to_json()


def delete_correlated_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "DeleteCorrelatedEvent"
    only(body, rpc, {"id"})
    ident = body.get("id")
    if not isinstance(ident, dict):
        raise invalid(f'{rpc}: id is required ({{"key": ..., "externalEventDefId": ...}})')
    only(ident, f"{rpc}: id", _ID_FIELDS)
    key, def_name = _id(ident, f"{rpc}: id")
    if not correlation.store(rt).delete_event(def_name, key):
        raise not_found(f"{rpc}: no CorrelatedEvent {def_name!r} with key {key!r}")
    return {}


def search_correlated_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """An ExternalEventDef's CorrelatedEvents by creation-time window and whether
    they became ExternalEvents (orphans have not); newest first."""
    rpc = "SearchCorrelatedEvent"
    only(body, rpc, _SEARCH_FIELDS)
    def_name = field(body, "externalEventDefId", "name")
    if not isinstance(def_name, str) or not def_name:
        raise invalid(
            f'{rpc}: externalEventDefId is required ({{"name": "<ExternalEventDef name>"}})'
        )
    key_part(def_name, f"{rpc}: externalEventDefId.name")
    has = body.get("hasExternalEvents")
    if has is not None and not isinstance(has, bool):
        raise invalid(f"{rpc}: hasExternalEvents must be true or false")
    limit, bookmark = paging(body, rpc)
    correlated = correlation.store(rt)
    try:
        keys, more = correlated.search(
            def_name,
            timestamp(body, "earliestStart", rpc),
            timestamp(body, "latestStart", rpc),
            has,
            limit,
            bookmark,
        )
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    if field(correlation.config_of(rt, def_name) or {}, "ttlSeconds"):
        # Expired but not yet removed by DynamoDB's TTL: not there any more.
        keys = [k for k in keys if correlated.get_event(def_name, k) is not None]
    return page([{"key": k, "externalEventDefId": {"name": def_name}} for k in keys], more)


def _id(body: dict[str, Any], where: str) -> tuple[str, str]:
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise invalid(f"{where}: key is required (a non-empty string)")
    if "/" in key or "~" in key or "#" in key:
        raise invalid(f"{where}: CorrelatedEvent keys cannot contain '/', '~' or '#'")
    key_part(key, f"{where}: key")
    def_name = field(body, "externalEventDefId", "name")
    if not isinstance(def_name, str) or not def_name:
        raise invalid(
            f'{where}: externalEventDefId is required ({{"name": "<ExternalEventDef name>"}})'
        )
    key_part(def_name, f"{where}: externalEventDefId.name")
    return key, def_name


def _check_type(definition: dict[str, Any], content: Any, rpc: str) -> None:
    """Content of the ExternalEventDef's declared type, as LittleHorse validates it."""
    expected = field(definition, "contentType", "returnType", "primitiveType")
    actual = values.type_of(content)
    if not isinstance(expected, str) or actual is None or actual == expected:
        return
    if expected == "DOUBLE" and actual == "INT":
        return
    raise invalid(
        f"{rpc}: content is {actual}, but ExternalEventDef "
        f"{definition['id']['name']!r} takes {expected}"
    )
