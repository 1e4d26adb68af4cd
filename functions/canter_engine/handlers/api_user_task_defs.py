"""UserTaskDef rpcs: the forms of user tasks, versioned as LittleHorse versions them.

A UserTaskDef is immutable per version (PutUserTaskDefRequestModel): putting
the same fields and description again returns the latest version unchanged;
anything else is stored as the next version. A WfSpec pins the version its
USER_TASK nodes use when it is put, so a new version never changes a running
WfRun's form.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import (
    bounded_keys,
    key_part,
    lh_name,
    listing_bookmark,
    model,
    only,
    optional_int,
    page,
    require_str,
)
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.model.spec import PutUserTaskDefRequest, PutWfSpecRequest
from canter_engine.store.catalog import VERSIONED_USER_TASK_DEF, user_task_def_version
from canter_engine.store.metadata import AlreadyExists, Missing

MAX_SEARCH_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_FIELDS = 100


def put_user_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    req = model(PutUserTaskDefRequest, body)
    name = lh_name(req.name, "PutUserTaskDef: name")
    bounded_keys(body, "PutUserTaskDef")
    if len(req.fields) > MAX_FIELDS:
        raise invalid(f"PutUserTaskDef {name!r}: at most {MAX_FIELDS} fields")
    seen: set[str] = set()
    for i, user_field in enumerate(req.fields):
        where = f"PutUserTaskDef {name!r}: fields[{i}].name"
        if not user_field.name or not user_field.name.isprintable():
            raise invalid(f"{where} is required (a printable, non-empty string)")
        if user_field.name in seen:
            raise invalid(f"{where} {user_field.name!r} is declared twice")
        seen.add(user_field.name)
    content = _content(req)
    latest = rt.metadata.get_user_task_def(name)
    if latest is not None and _content_of(latest) == content:
        return latest
    version = 0 if latest is None else int(latest.get("version", 0)) + 1
    stored = {
        "name": name,
        **({"version": version} if version else {}),
        **content,
        "createdAt": values.format_timestamp(int(time.time() * 1000)),
    }
    try:
        rt.metadata.put_user_task_def(stored)
    except AlreadyExists:
        raise ApiError(
            "ALREADY_EXISTS",
            f"another PutUserTaskDef registered {name!r} version {version} at the same time; "
            "retry to get the next version",
        ) from None
    return stored


def get_user_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """``GetUserTaskDef`` takes a UserTaskDefId (version 0 is absent in proto3 JSON)."""
    only(body, "GetUserTaskDef", {"name", "version"})
    name = require_str(body, "name")
    version = optional_int(body, "version") or 0
    found = rt.metadata.get_user_task_def(name, version)
    if found is None:
        raise not_found(f"UserTaskDef {name!r} version {version} does not exist")
    return found


def get_latest_user_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "GetLatestUserTaskDef", {"name"})
    name = require_str(body, "name")
    found = rt.metadata.get_user_task_def(name)
    if found is None:
        raise not_found(
            f"UserTaskDef {name!r} does not exist; register it with PutUserTaskDef (canter deploy)"
        )
    return found


def delete_user_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Delete one version. WfSpecs pinned to it fail their USER_TASK nodes from then on,
    as in LittleHorse (UserTaskNodeRunModel.arrive: TASK_ERROR)."""
    only(body, "DeleteUserTaskDef", {"id"})
    id_ = body.get("id")
    if not isinstance(id_, dict):
        raise invalid("DeleteUserTaskDef: id is required (a UserTaskDefId)")
    name = require_str(id_, "name")
    version = optional_int(id_, "version") or 0
    try:
        rt.metadata.delete_user_task_def(name, version)
    except Missing:
        raise not_found(
            f"DeleteUserTaskDef: UserTaskDef {name!r} version {version} does not exist"
        ) from None
    return {}


def search_user_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """UserTaskDef versions by name ``prefix`` or exact ``name``, in name and version order."""
    only(body, "SearchUserTaskDef", {"prefix", "name", "limit", "bookmark"})
    if "prefix" in body and "name" in body:
        raise invalid("SearchUserTaskDef: prefix and name are one oneof; give at most one")
    prefix = ""
    if "name" in body:
        prefix = _string(body, "name") + "#"
    elif "prefix" in body:
        prefix = _string(body, "prefix")
    limit = optional_int(body, "limit") or DEFAULT_LIMIT
    if not 0 < limit <= MAX_SEARCH_LIMIT:
        raise invalid(f"SearchUserTaskDef: limit must be 1-{MAX_SEARCH_LIMIT}")
    bookmark = listing_bookmark(body.get("bookmark"))
    try:
        sorts, next_bookmark = rt.metadata.catalog().search(
            VERSIONED_USER_TASK_DEF, prefix, limit, bookmark
        )
    except ValueError:
        raise invalid("SearchUserTaskDef: bookmark is not one this search returned") from None
    results = []
    for sort in sorts:
        name, version = user_task_def_version(sort)
        results.append({"name": name, **({"version": version} if version else {})})
    return page(results, next_bookmark)


def pin_user_task_defs(rt: Runtime, req: PutWfSpecRequest) -> PutWfSpecRequest:
    """Each USER_TASK node's UserTaskDef must exist; a node that names no version is
    pinned to today's latest, as LittleHorse's UserTaskNodeModel.validate pins it."""
    threads = dict(req.thread_specs)
    for thread_name, thread in req.thread_specs.items():
        nodes = dict(thread.nodes)
        for node_name, node in thread.nodes.items():
            user_task = node.user_task
            if user_task is None:
                continue
            name, version = user_task.user_task_def_name, user_task.user_task_def_version
            found = rt.metadata.get_user_task_def(name, version) if name else None
            if found is None:
                raise invalid(
                    f"PutWfSpec {req.name!r}: thread {thread_name!r} node {node_name!r}: "
                    f"Specified UserTaskDef {name}/{'' if version is None else version} not "
                    "found; register it with PutUserTaskDef (canter deploy) first"
                )
            pinned = user_task.model_copy(update={"user_task_def_version": found.get("version", 0)})
            nodes[node_name] = node.model_copy(update={"user_task": pinned})
        threads[thread_name] = thread.model_copy(update={"nodes": nodes})
    return req.model_copy(update={"thread_specs": threads})


def _content(req: PutUserTaskDefRequest) -> dict[str, Any]:
    """What makes two UserTaskDefs the same: fields and description, as proto3 JSON."""
    dumped = req.to_json()
    fields = (
        [{k: v for k, v in f.items() if v not in ("", False, "JSON_OBJ")} for f in dumped["fields"]]
        if "fields" in dumped
        else []
    )
    content: dict[str, Any] = {}
    if req.description:
        content["description"] = req.description
    if fields:
        content["fields"] = fields
    return content


def _content_of(stored: dict[str, Any]) -> dict[str, Any]:
    return {k: stored[k] for k in ("description", "fields") if k in stored}


def _string(body: dict[str, Any], key: str) -> str:
    found = body.get(key)
    if not isinstance(found, str):
        raise invalid(f"SearchUserTaskDef: {key} must be a string")
    return key_part(found, f"SearchUserTaskDef: {key}")
