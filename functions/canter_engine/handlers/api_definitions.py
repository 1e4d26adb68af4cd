"""Definition rpcs beyond put and get: search by name, delete, and WorkflowEventDefs.

Searches read the metadata table's index (``store.catalog``), a page at a
time, in name order, as LittleHorse's ``Search*Def`` rpcs do.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError

from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import (
    describe,
    key_part,
    lh_name,
    listing_bookmark,
    only,
    optional_int,
    page,
    require_str,
)
from canter_engine.handlers.runtime import Runtime
from canter_engine.handlers.struct_types import pin_content_type
from canter_engine.model import values
from canter_engine.model.spec import ReturnType
from canter_engine.store.catalog import BY_TASK_DEF, wf_spec_version
from canter_engine.store.metadata import Missing
from canter_engine.store.run_index import RunQuery

MAX_SEARCH_LIMIT = 1000
DEFAULT_LIMIT = 100
RETURN_TYPE_KEYS = frozenset({"returnType"})
# WfRun statuses under which a WfRun still needs its WfSpec to advance.
LIVE_STATUSES = ("RUNNING", "HALTING", "HALTED")


def search_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _search_names(rt, body, "SearchTaskDef", "TaskDef")


def search_external_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _search_names(rt, body, "SearchExternalEventDef", "ExternalEventDef")


def search_workflow_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _search_names(rt, body, "SearchWorkflowEventDef", "WorkflowEventDef")


def search_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """WfSpec versions by exact ``name``, name ``prefix`` or the ``taskDefName`` they use."""
    only(body, "SearchWfSpec", {"name", "prefix", "taskDefName", "limit", "bookmark"})
    criteria = [k for k in ("name", "prefix", "taskDefName") if k in body]
    if len(criteria) > 1:
        raise invalid(
            f"SearchWfSpec: {' and '.join(criteria)} are one oneof (wf_spec_criteria); "
            "give at most one"
        )
    partition, prefix = "WfSpec", ""
    if "name" in body:
        prefix = require_str(body, "name") + "#"
    elif "prefix" in body:
        prefix = _string(body, "prefix", "SearchWfSpec")
    elif "taskDefName" in body:
        partition = BY_TASK_DEF + require_str(body, "taskDefName")
    sorts, bookmark = _search(rt, body, "SearchWfSpec", partition, prefix)
    results = []
    for sort in sorts:
        name, major, revision = wf_spec_version(sort)
        results.append(
            {"name": name, **({"majorVersion": major} if major else {})}
            | ({"revision": revision} if revision else {})
        )
    return page(results, bookmark)


def delete_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Delete a TaskDef. WfSpecs registered with it keep the copy they were put with."""
    return _delete_named(rt, body, "DeleteTaskDef", "TaskDef")


def delete_external_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _delete_named(rt, body, "DeleteExternalEventDef", "ExternalEventDef")


def delete_workflow_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _delete_named(rt, body, "DeleteWorkflowEventDef", "WorkflowEventDef")


def delete_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Delete one WfSpec version; refused while a WfRun of the WfSpec still runs.

    LittleHorse deletes regardless; here a running WfRun whose WfSpec is gone
    could not take another step, so the caller is told to stop it first.
    """
    spec_id = body.get("id")
    if not isinstance(spec_id, dict):
        raise invalid("DeleteWfSpec: id is required (a WfSpecId)")
    name = require_str(spec_id, "name")
    major = optional_int(spec_id, "majorVersion") or 0
    revision = optional_int(spec_id, "revision") or 0
    stored = rt.metadata.get_wf_spec(name, major, revision)
    if stored is None:
        raise not_found(f"DeleteWfSpec: WfSpec {name!r} v{major}.{revision} does not exist")
    for status in LIVE_STATUSES:
        query = RunQuery(name, status, None, None, None, None, None)
        ids, _ = rt.state.run_index().search(query, 1, None)
        if ids:
            raise ApiError(
                "FAILED_PRECONDITION",
                f"DeleteWfSpec: WfRun {ids[0]!r} of WfSpec {name!r} is {status}; stop or "
                "delete its WfRuns (canter stop / canter delete wfRun) before deleting the "
                "WfSpec",
            )
    try:
        rt.metadata.delete_wf_spec(stored)
    except Missing:
        raise not_found(
            f"DeleteWfSpec: WfSpec {name!r} v{major}.{revision} does not exist"
        ) from None
    return {}


def put_workflow_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Register a WorkflowEventDef; the same name with another content type is ALREADY_EXISTS."""
    only(body, "PutWorkflowEventDef", {"name", "contentType"})
    name = lh_name(body.get("name"), "PutWorkflowEventDef: name")
    content_type = body.get("contentType", {})
    if not isinstance(content_type, dict) or set(content_type) - RETURN_TYPE_KEYS:
        raise invalid(
            "PutWorkflowEventDef: contentType must be a ReturnType "
            '({"returnType": {"primitiveType": "STR"}}, or {} for no content)'
        )
    try:
        ReturnType.model_validate(content_type)
    except ValidationError as exc:
        raise invalid(f"PutWorkflowEventDef: contentType: {describe(exc)}") from None
    content_type = pin_content_type(rt, {"contentType": content_type}, "PutWorkflowEventDef")[
        "contentType"
    ]
    existing = rt.metadata.get_workflow_event_def(name)
    if existing is not None:
        if existing.get("contentType", {}) != content_type:
            raise ApiError(
                "ALREADY_EXISTS",
                f"WorkflowEventDef {name!r} already exists with a different contentType",
            )
        return existing
    stored = {"id": {"name": name}, "createdAt": _now_ts(), "contentType": content_type}
    rt.metadata.put_workflow_event_def(stored)
    return stored


def get_workflow_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    name = require_str(body, "name")
    found = rt.metadata.get_workflow_event_def(name)
    if found is None:
        raise not_found(
            f"WorkflowEventDef {name!r} does not exist; register it with "
            "canter deploy (PutWorkflowEventDef)"
        )
    return found


def _search_names(rt: Runtime, body: dict[str, Any], rpc: str, kind: str) -> dict[str, Any]:
    only(body, rpc, {"prefix", "limit", "bookmark"})
    prefix = _string(body, "prefix", rpc) if "prefix" in body else ""
    names, bookmark = _search(rt, body, rpc, kind, prefix)
    return page([{"name": n} for n in names], bookmark)


def _search(
    rt: Runtime, body: dict[str, Any], rpc: str, partition: str, prefix: str
) -> tuple[list[str], str | None]:
    limit = optional_int(body, "limit") or DEFAULT_LIMIT
    if not 0 < limit <= MAX_SEARCH_LIMIT:
        raise invalid(f"{rpc}: limit must be 1-{MAX_SEARCH_LIMIT}")
    bookmark = listing_bookmark(body.get("bookmark"))
    try:
        return rt.metadata.catalog().search(partition, prefix, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None


def _delete_named(rt: Runtime, body: dict[str, Any], rpc: str, kind: str) -> dict[str, Any]:
    only(body, rpc, {"id"})
    name = require_str(body, "id", "name")
    try:
        rt.metadata.delete_definition(kind, name)
    except Missing:
        raise not_found(f"{rpc}: {kind} {name!r} does not exist") from None
    return {}


def _string(body: dict[str, Any], key: str, rpc: str) -> str:
    found = body.get(key)
    if not isinstance(found, str):
        raise invalid(f"{rpc}: {key} must be a string")
    return key_part(found, f"{rpc}: {key}")


def _now_ts() -> str:
    return values.format_timestamp(int(time.time() * 1000))
