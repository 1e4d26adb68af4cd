"""Search rpcs over WfRuns and their records, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from canter_engine.handlers.api_errors import invalid
from canter_engine.handlers.api_parse import key_part, listing_bookmark, optional_int
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.run_index import STATUSES, RunQuery

MAX_SEARCH_LIMIT = 1000
DEFAULT_LIMIT = 100
WF_RUN_FIELDS = frozenset(
    {
        "bookmark",
        "limit",
        "wfSpecName",
        "wfSpecMajorVersion",
        "wfSpecRevision",
        "status",
        "earliestStart",
        "latestStart",
        "parentWfRunId",
        "variableFilters",
        "showFullTree",
    }
)


def search_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchWfRun: by WfSpec (optional here, unlike LittleHorse), version, status,
    start-time window and parent WfRun; newest first."""
    rpc = "SearchWfRun"
    _only(body, rpc, WF_RUN_FIELDS)
    if body.get("variableFilters"):
        raise invalid(
            f"{rpc}: variableFilters are not supported; find WfRuns by a searchable "
            "variable's value with SearchVariable (canter search variable)"
        )
    if body.get("showFullTree"):
        raise invalid(f"{rpc}: showFullTree is not supported; search by parentWfRunId")
    name = body.get("wfSpecName")
    if name is not None and not isinstance(name, str):
        raise invalid(f"{rpc}: wfSpecName must be a string")
    name = key_part(name, f"{rpc}: wfSpecName") if name else None
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise invalid(f"{rpc}: status must be one of {', '.join(STATUSES)}, not {status!r}")
    major = optional_int(body, "wfSpecMajorVersion")
    revision = optional_int(body, "wfSpecRevision")
    if revision is not None and major is None:
        raise invalid(f"{rpc}: wfSpecRevision needs wfSpecMajorVersion too")
    if (major is not None) and name is None:
        raise invalid(f"{rpc}: wfSpecMajorVersion needs wfSpecName too")
    parent = body.get("parentWfRunId")
    if parent is not None and not isinstance(parent, dict):
        raise invalid(f'{rpc}: parentWfRunId must be a WfRunId ({{"id": "..."}})')
    query = RunQuery(
        spec_name=name,
        status=status,
        major_version=major,
        revision=revision,
        earliest=_timestamp(body, "earliestStart", rpc),
        latest=_timestamp(body, "latestStart", rpc),
        parent=parse_wf_run_id(body, "parentWfRunId", "id") if parent is not None else None,
    )
    limit, bookmark = _paging(body, rpc)
    try:
        ids, next_bookmark = rt.state.run_index().search(query, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    return _page([{"id": i} for i in ids], next_bookmark)


def _timestamp(body: dict[str, Any], key: str, rpc: str) -> int | None:
    raw = body.get(key)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise invalid(f"{rpc}: {key} must be an RFC 3339 timestamp string")
    try:
        return values.parse_timestamp(raw)
    except ValueError:
        raise invalid(
            f"{rpc}: {key} {raw!r} is not an RFC 3339 timestamp (2024-05-01T12:00:00Z)"
        ) from None


def _paging(body: dict[str, Any], rpc: str) -> tuple[int, str | None]:
    limit = optional_int(body, "limit") or DEFAULT_LIMIT
    if not 0 < limit <= MAX_SEARCH_LIMIT:
        raise invalid(f"{rpc}: limit must be 1-{MAX_SEARCH_LIMIT}")
    return limit, listing_bookmark(body.get("bookmark"))


def _page(results: list[dict[str, Any]], bookmark: str | None) -> dict[str, Any]:
    page: dict[str, Any] = {"results": results}
    if bookmark:
        page["bookmark"] = bookmark
    return page


def _only(body: dict[str, Any], rpc: str, allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise invalid(
            f"{rpc}: unknown field(s) {', '.join(unknown)}; the request has "
            f"{', '.join(sorted(allowed))}"
        )
