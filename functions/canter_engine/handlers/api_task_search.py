"""SearchTaskRun, answered from what is already stored: no index entry per TaskRun.

An entry per TaskRun would cost the common path two write units per task
node (the item and its index entry), over half the 10-task chain's whole
bill. Instead the catalog names the WfSpecs that use the TaskDef, the WfRun
index (store/run_index.py) lists their WfRuns newest first, and each WfRun's
TaskRuns are read and filtered. Results come newest WfRun first, and within
a WfRun newest TaskRun first. A page reads at most :data:`MAX_WF_RUNS`
WfRuns; it may then hold fewer than ``limit`` results and a bookmark, which
a client follows as any other.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from canter_engine.handlers.api_errors import ApiError, invalid
from canter_engine.handlers.api_parse import only, page
from canter_engine.handlers.api_records import list_task_runs
from canter_engine.handlers.api_search import paging, required_name, timestamp
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.catalog import BY_TASK_DEF, wf_spec_version
from canter_engine.store.run_index import RunQuery

FIELDS = frozenset({"bookmark", "limit", "taskDefName", "status", "earliestStart", "latestStart"})
TASK_STATUSES = (
    "TASK_SCHEDULED",
    "TASK_RUNNING",
    "TASK_SUCCESS",
    "TASK_FAILED",
    "TASK_TIMEOUT",
    "TASK_OUTPUT_SERDE_ERROR",
    "TASK_INPUT_VAR_SUB_ERROR",
    "TASK_EXCEPTION",
    "TASK_PENDING",
)
# WfRuns read per batch, and at most per page.
BATCH = 20
MAX_WF_RUNS = 200
# The WfRun index filters on at most this many WfSpecs (DynamoDB's IN limit).
MAX_WF_SPECS = 100


def search_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """SearchTaskRun: a TaskDef's TaskRuns by status and scheduled-time window."""
    rpc = "SearchTaskRun"
    only(body, rpc, FIELDS)
    task_def = required_name(body, "taskDefName", rpc)
    status = body.get("status")
    if status is not None and status not in TASK_STATUSES:
        raise invalid(f"{rpc}: status must be one of {', '.join(TASK_STATUSES)}, not {status!r}")
    earliest = timestamp(body, "earliestStart", rpc)
    latest = timestamp(body, "latestStart", rpc)
    limit, bookmark = paging(body, rpc)
    run_bookmark, skip = _decode(bookmark, rpc) if bookmark else (None, 0)
    specs = _specs_using(rt, task_def)
    if not specs:
        return page([], None)
    if len(specs) > MAX_WF_SPECS:
        raise invalid(f"{rpc}: TaskDef {task_def!r} is used by over {MAX_WF_SPECS} WfSpecs")
    # A TaskRun is scheduled after its WfRun starts: later WfRuns cannot match.
    query = RunQuery(None, None, None, None, None, latest, None, tuple(sorted(specs)))
    index = rt.state.run_index()
    results: list[dict[str, Any]] = []
    scanned = 0
    while True:
        try:
            ids, next_run_bookmark = index.search(query, BATCH, run_bookmark)
        except ValueError:
            raise invalid(f"{rpc}: bookmark is not one this search returned") from None
        found = [
            r
            for wf_run_id in ids
            for r in _matching(rt, wf_run_id, task_def, status, earliest, latest)
        ]
        fresh = found[skip:]
        room = limit - len(results)
        if len(fresh) > room:
            results.extend(fresh[:room])
            return page(results, _encode(run_bookmark, skip + room))
        results.extend(fresh)
        scanned += len(ids)
        if next_run_bookmark is None:
            return page(results, None)
        run_bookmark, skip = next_run_bookmark, 0
        if len(results) == limit or scanned >= MAX_WF_RUNS:
            return page(results, _encode(run_bookmark, 0))


def _specs_using(rt: Runtime, task_def: str) -> set[str]:
    catalog = rt.metadata.catalog()
    names: set[str] = set()
    bookmark: str | None = None
    while True:
        sorts, bookmark = catalog.search(BY_TASK_DEF + task_def, "", 1000, bookmark)
        names.update(wf_spec_version(sort)[0] for sort in sorts)
        if bookmark is None:
            return names


def _matching(
    rt: Runtime,
    wf_run_id: str,
    task_def: str,
    status: str | None,
    earliest: int | None,
    latest: int | None,
) -> list[dict[str, Any]]:
    """A WfRun's TaskRunIds that match, newest first (none if it was deleted meanwhile)."""
    found: list[tuple[int, dict[str, Any]]] = []
    request: dict[str, Any] = {"wfRunId": {"id": wf_run_id}, "limit": 1000}
    while True:
        try:
            listed = list_task_runs(rt, request)
        except ApiError:
            return []
        for task_run in listed["results"]:
            scheduled = values.parse_timestamp(
                str(task_run.get("scheduledAt", "")) or "1970-01-01T00:00:00Z"
            )
            if (
                task_run.get("taskDefId", {}).get("name") == task_def
                and (status is None or task_run.get("status", "TASK_SCHEDULED") == status)
                and (earliest is None or scheduled >= earliest)
                and (latest is None or scheduled <= latest)
            ):
                found.append((scheduled, task_run["id"]))
        if "bookmark" not in listed:
            break
        request["bookmark"] = listed["bookmark"]
    found.sort(key=lambda entry: (entry[0], entry[1]["taskGuid"]), reverse=True)
    return [task_run_id for _, task_run_id in found]


def _encode(run_bookmark: str | None, skip: int) -> str:
    raw = json.dumps({"r": run_bookmark, "n": skip}, separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def _decode(bookmark: str, rpc: str) -> tuple[str | None, int]:
    try:
        value = json.loads(base64.b64decode(bookmark.encode(), validate=True))
        run_bookmark, skip = value["r"], int(value["n"])
    except (ValueError, KeyError, TypeError):
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    if not (run_bookmark is None or isinstance(run_bookmark, str)) or skip < 0:
        raise invalid(f"{rpc}: bookmark is not one this search returned")
    return run_bookmark, skip
