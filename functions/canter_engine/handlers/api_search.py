"""Search rpcs over WfRuns and their records, newest first, a page at a time."""

from __future__ import annotations

from typing import Any

from canter_engine.core.records import prune
from canter_engine.handlers.api_early_events import EarlyPhase, search_early
from canter_engine.handlers.api_errors import invalid
from canter_engine.handlers.api_parse import (
    key_part,
    listing_bookmark,
    only,
    optional_int,
    page,
)
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.early_events import EarlySearch
from canter_engine.store.record_index import (
    EntryQuery,
    claimed_tag,
    event_partition,
    node_partition,
    variable_partition,
    workflow_event_partition,
)
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
    only(body, rpc, WF_RUN_FIELDS)
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
        earliest=timestamp(body, "earliestStart", rpc),
        latest=timestamp(body, "latestStart", rpc),
        parent=parse_wf_run_id(body, "parentWfRunId", "id") if parent is not None else None,
    )
    limit, bookmark = paging(body, rpc)
    try:
        ids, next_bookmark = rt.state.run_index().search(query, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    return page([{"id": i} for i in ids], next_bookmark)


def timestamp(body: dict[str, Any], key: str, rpc: str) -> int | None:
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


def paging(body: dict[str, Any], rpc: str) -> tuple[int, str | None]:
    limit = optional_int(body, "limit") or DEFAULT_LIMIT
    if not 0 < limit <= MAX_SEARCH_LIMIT:
        raise invalid(f"{rpc}: limit must be 1-{MAX_SEARCH_LIMIT}")
    return limit, listing_bookmark(body.get("bookmark"))


VARIABLE_FIELDS = frozenset(
    {"bookmark", "limit", "value", "wfSpecMajorVersion", "wfSpecRevision", "varName", "wfSpecName"}
)
EXTERNAL_EVENT_FIELDS = frozenset(
    {"bookmark", "limit", "earliestStart", "latestStart", "externalEventDefId", "isClaimed"}
)


def search_variable(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchVariable: the Variables of a WfSpec's WfRuns, by the exact value of a
    ``searchable()`` variable; newest WfRun first. Only searchable, unmasked
    variables are indexed (store/record_index.py), as in LittleHorse."""
    rpc = "SearchVariable"
    only(body, rpc, VARIABLE_FIELDS)
    spec_name = required_name(body, "wfSpecName", rpc)
    var_name = required_name(body, "varName", rpc)
    if "value" not in body:
        raise invalid(f'{rpc}: value is required (a VariableValue, e.g. {{"str": "abc"}})')
    try:
        value = values.decode(body["value"], "value")
    except ValueError as exc:
        raise invalid(f"{rpc}: {exc}") from None
    if value is None:
        raise invalid(f"{rpc}: value must be set; null variables are not indexed")
    major = optional_int(body, "wfSpecMajorVersion")
    revision = optional_int(body, "wfSpecRevision")
    if revision is not None and major is None:
        raise invalid(f"{rpc}: wfSpecRevision needs wfSpecMajorVersion too")
    query = EntryQuery(
        variable_partition(spec_name, var_name, value), major_version=major, revision=revision
    )
    found, bookmark = _search_entries(rt, query, body, rpc)
    results = []
    for wf_run_id, sk in found:
        thread, _, name = sk.removeprefix("var#").partition("#")
        results.append(
            prune({"wfRunId": {"id": wf_run_id}, "threadRunNumber": int(thread), "name": name})
        )
    return page(results, bookmark)


def search_external_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchExternalEvent: an ExternalEventDef's events once the scheduler applied
    them, by arrival-time window and whether a node claimed them; newest first."""
    rpc = "SearchExternalEvent"
    only(body, rpc, EXTERNAL_EVENT_FIELDS)
    def_id = body.get("externalEventDefId")
    if not (isinstance(def_id, dict) and isinstance(def_id.get("name"), str) and def_id["name"]):
        raise invalid(
            f'{rpc}: externalEventDefId is required ({{"name": "<ExternalEventDef name>"}})'
        )
    def_name = key_part(def_id["name"], f"{rpc}: externalEventDefId.name")
    claimed = body.get("isClaimed")
    if claimed is not None and not isinstance(claimed, bool):
        raise invalid(f"{rpc}: isClaimed must be true or false")
    query = EntryQuery(
        event_partition(def_name),
        earliest=timestamp(body, "earliestStart", rpc),
        latest=timestamp(body, "latestStart", rpc),
        tag=None if claimed is None else claimed_tag(claimed),
    )
    limit, given = paging(body, rpc)
    # Events posted for WfRuns not started yet follow the others (api_early_events.py).
    early = EarlyPhase.of(given)
    found: list[tuple[str, str]] = []
    bookmark = None
    if early is None:
        found, bookmark = _search_entries(rt, query, body, rpc)
    prefix = f"event#{def_name}#"
    results = [
        {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": {"name": def_name},
            "guid": sk.removeprefix(prefix),
        }
        for wf_run_id, sk in found
    ]
    if bookmark is None and claimed is not True:
        window = EarlySearch(def_name, query.earliest, query.latest)
        more, bookmark = search_early(rt, window, limit - len(results), early or EarlyPhase())
        results += more
    return page(results, bookmark)


WORKFLOW_EVENT_FIELDS = frozenset(
    {"bookmark", "limit", "earliestStart", "latestStart", "workflowEventDefId"}
)


def search_workflow_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchWorkflowEvent: a WorkflowEventDef's WorkflowEvents by the time they were
    thrown, newest first (one index entry per WorkflowEvent, store/record_index.py)."""
    rpc = "SearchWorkflowEvent"
    only(body, rpc, WORKFLOW_EVENT_FIELDS)
    def_id = body.get("workflowEventDefId")
    if not (isinstance(def_id, dict) and isinstance(def_id.get("name"), str) and def_id["name"]):
        raise invalid(
            f'{rpc}: workflowEventDefId is required ({{"name": "<WorkflowEventDef name>"}})'
        )
    def_name = key_part(def_id["name"], f"{rpc}: workflowEventDefId.name")
    query = EntryQuery(
        workflow_event_partition(def_name),
        earliest=timestamp(body, "earliestStart", rpc),
        latest=timestamp(body, "latestStart", rpc),
    )
    found, bookmark = _search_entries(rt, query, body, rpc)
    prefix = f"wfevent#{def_name}#"
    results = [
        {
            "wfRunId": {"id": wf_run_id},
            "workflowEventDefId": {"name": def_name},
            **_number(int(sk.removeprefix(prefix))),
        }
        for wf_run_id, sk in found
    ]
    return page(results, bookmark)


def _number(number: int) -> dict[str, Any]:
    """proto3 JSON leaves the default 0 out."""
    return {"number": number} if number else {}


def _search_entries(
    rt: Runtime, query: EntryQuery, body: dict[str, Any], rpc: str
) -> tuple[list[tuple[str, str]], str | None]:
    limit, bookmark = paging(body, rpc)
    try:
        return rt.state.record_index().search(query, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None


def required_name(body: dict[str, Any], key: str, rpc: str) -> str:
    """A name the search key is built from: a non-empty string that fits in a key."""
    name = body.get(key)
    if not isinstance(name, str) or not name:
        raise invalid(f"{rpc}: {key} is required (a non-empty string)")
    return key_part(name, f"{rpc}: {key}")


NODE_RUN_FIELDS = frozenset(
    {"bookmark", "limit", "earliestStart", "latestStart", "status", "externalEventDef"}
)
NODE_STATUSES = ("STARTING", "RUNNING", "COMPLETED", "HALTING", "HALTED", "ERROR", "EXCEPTION")


def search_node_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchNodeRun: EXTERNAL_EVENT NodeRuns waiting for (or done waiting for) one
    ExternalEventDef, by status and arrival-time window; newest first. As in
    LittleHorse, the ExternalEventDef is what the search is by."""
    rpc = "SearchNodeRun"
    only(body, rpc, NODE_RUN_FIELDS)
    def_id = body.get("externalEventDef")
    if not (isinstance(def_id, dict) and isinstance(def_id.get("name"), str) and def_id["name"]):
        raise invalid(
            f'{rpc}: externalEventDef is required ({{"name": "<ExternalEventDef name>"}}): '
            "SearchNodeRun finds the EXTERNAL_EVENT NodeRuns of one ExternalEventDef"
        )
    status = body.get("status")
    if status is not None and status not in NODE_STATUSES:
        raise invalid(f"{rpc}: status must be one of {', '.join(NODE_STATUSES)}, not {status!r}")
    query = EntryQuery(
        node_partition(key_part(def_id["name"], f"{rpc}: externalEventDef.name")),
        earliest=timestamp(body, "earliestStart", rpc),
        latest=timestamp(body, "latestStart", rpc),
        tag=status,
    )
    found, bookmark = _search_entries(rt, query, body, rpc)
    results = []
    for wf_run_id, sk in found:
        thread, _, position = sk.removeprefix("node#").partition("#")
        results.append(
            {
                "wfRunId": {"id": wf_run_id},
                "threadRunNumber": int(thread),
                "position": int(position),
            }
        )
    return page(results, bookmark)
