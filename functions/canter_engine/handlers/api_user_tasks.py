"""UserTaskRun rpcs: read a person's work, and journal what the person does with it.

Every change (assign, complete, save, cancel, comments) is journalled as a
``UserTaskRequested`` and applied by the scheduler, the one writer, which
ignores a request that no longer fits the run. Before journalling, the API
checks the request against the UserTaskRun as last written, with the core's
own rules (:func:`core.user_tasks.refusal`), so a request that cannot apply
is refused at once with a clear 4xx and the run stays untouched: results are
checked against the UserTaskDef's fields (a missing required field or a
wrong type names the field), and a DONE or CANCELLED run refuses changes.

Repeats are safe: a completion and a cancellation are journalled under one
key per UserTaskRun, so the same request again adds nothing (and answers as
the first did), while a different completion after the first is refused. The
rpcs that answer with the UserTaskRun (save, comments) show it as the request
leaves it, computed with the same pure function the scheduler applies; every
change answers once the scheduler has applied it (or after a few seconds), so
the app's next read shows it.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core import user_tasks
from canter_engine.core.events import UserTaskRequested, to_journal
from canter_engine.core.user_task_state import (
    UserTaskRun,
    user_task_run_from_json,
    user_task_run_json,
    user_task_sk,
)
from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import (
    encoded_size,
    guid,
    key_part,
    only,
    optional_int,
    page,
    value,
)
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.api_reads import existing_run, records_page
from canter_engine.handlers.api_search import paging, timestamp
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_VALUE_BYTES
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store import user_task_index
from canter_engine.store.journal import RUN_EVENT_ID, unique_event_id
from canter_engine.store.record_index import EntryQuery

STATUSES = ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED")
POLICIES = ("FAIL_IF_CLAIMED_BY_OTHER", "IGNORE_CLAIM")
# A comment's length: with MAX_EVENTS, what bounds a UserTaskRun's bytes.
MAX_COMMENT_CHARS = 1_000
ID = "userTaskRunId"
# How long a change waits for the scheduler to apply it before answering.
APPLY_WAIT_SECONDS = 5.0
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 0.5


# --- reads ---------------------------------------------------------------------


def get_user_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "GetUserTaskRun", {"wfRunId", "userTaskGuid"})
    wf_run_id, found_guid = _id(body, "GetUserTaskRun")
    return _load(rt, wf_run_id, found_guid, "GetUserTaskRun")[1]


def list_user_task_runs(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = "ListUserTaskRuns"
    only(body, rpc, {"wfRunId", "bookmark", "limit"})
    wf_run_id = existing_run(rt, body, rpc)
    return records_page(rt, wf_run_id, "usertask#", rt.state.load_head(wf_run_id), body, rpc)


SEARCH_FIELDS = frozenset(
    {
        "bookmark",
        "limit",
        "status",
        "userTaskDefName",
        "userId",
        "userGroup",
        "earliestStart",
        "latestStart",
    }
)


def search_user_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """UserTaskRun ids by UserTaskDef, user, group and status, in a scheduled-time
    window; newest first."""
    rpc = "SearchUserTaskRun"
    only(body, rpc, SEARCH_FIELDS)
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise invalid(f"{rpc}: status must be one of {', '.join(STATUSES)}, not {status!r}")
    criteria = {}
    for key, name in (("userTaskDefName", "def"), ("userId", "user"), ("userGroup", "group")):
        found = body.get(key)
        if found is None:
            continue
        if not isinstance(found, str) or not found:
            raise invalid(f"{rpc}: {key} must be a non-empty string")
        criteria[name] = key_part(found, f"{rpc}: {key}")
    query = EntryQuery(
        user_task_index.partition(criteria),
        earliest=timestamp(body, "earliestStart", rpc),
        latest=timestamp(body, "latestStart", rpc),
        tag=status,
    )
    limit, bookmark = paging(body, rpc)
    try:
        found_entries, next_bookmark = rt.state.record_index().search(query, limit, bookmark)
    except ValueError:
        raise invalid(f"{rpc}: bookmark is not one this search returned") from None
    results = [
        {"wfRunId": {"id": wf_run_id}, "userTaskGuid": user_task_index.guid_of(sk)}
        for wf_run_id, sk in found_entries
    ]
    return page(results, next_bookmark)


# --- changes -------------------------------------------------------------------


def assign_user_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.ASSIGN
    only(body, rpc, {ID, "overrideClaim", "userGroup", "userId"})
    request = _strings(body, rpc, ("userId", "userGroup"))
    override = body.get("overrideClaim", False)
    if not isinstance(override, bool):
        raise invalid(f"{rpc}: overrideClaim must be true or false")
    if override:
        request["overrideClaim"] = True
    for key in ("userId", "userGroup"):
        if key in request and not request[key].strip():
            raise invalid(f"{rpc}: {key} can't be empty")
    _journal(rt, body, rpc, request, once=False)
    return {}


def complete_user_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.COMPLETE
    only(body, rpc, {ID, "results", "userId"})
    request = _strings(body, rpc, ("userId",))
    request["results"] = _results_map(body, rpc)
    _journal(rt, body, rpc, request, once=True, check_fields=True)
    return {}


def save_user_task_run_progress(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.SAVE
    only(body, rpc, {ID, "results", "userId", "policy"})
    request = _strings(body, rpc, ("userId",))
    if not request.get("userId"):
        raise invalid(f"{rpc}: userId is required (who saves the progress)")
    request["results"] = _results_map(body, rpc)
    policy = body.get("policy", "FAIL_IF_CLAIMED_BY_OTHER")
    if policy not in POLICIES:
        raise invalid(f"{rpc}: policy must be one of {', '.join(POLICIES)}")
    if policy != "FAIL_IF_CLAIMED_BY_OTHER":
        request["policy"] = policy
    return _journal(rt, body, rpc, request, once=False, check_fields=True)


def cancel_user_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.CANCEL
    only(body, rpc, {ID})
    _journal(rt, body, rpc, {}, once=True)
    return {}


def put_user_task_run_comment(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.COMMENT
    only(body, rpc, {ID, "userId", "comment"})
    request = _strings(body, rpc, ("userId", "comment"))
    return _journal(rt, body, rpc, request, once=False)


def edit_user_task_run_comment(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.EDIT_COMMENT
    only(body, rpc, {ID, "userCommentId", "userId", "comment"})
    request: dict[str, Any] = _strings(body, rpc, ("userId", "comment"))
    request["userCommentId"] = optional_int(body, "userCommentId") or 0
    return _journal(rt, body, rpc, request, once=False)


def delete_user_task_run_comment(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    rpc = user_tasks.DELETE_COMMENT
    only(body, rpc, {ID, "userCommentId", "userId"})
    request: dict[str, Any] = _strings(body, rpc, ("userId",))
    request["userCommentId"] = optional_int(body, "userCommentId") or 0
    return _journal(rt, body, rpc, request, once=False)


def _journal(
    rt: Runtime,
    body: dict[str, Any],
    rpc: str,
    request: dict[str, Any],
    *,
    once: bool,
    check_fields: bool = False,
) -> dict[str, Any]:
    """Check ``request`` against the run, journal it, and answer the run it leaves."""
    ids = body.get(ID)
    if not isinstance(ids, dict):
        raise invalid(f"{rpc}: {ID} is required (a UserTaskRunId: wfRunId and userTaskGuid)")
    wf_run_id, found_guid = _id(ids, rpc)
    incarnation, current = _load(rt, wf_run_id, found_guid, rpc)
    utr = user_task_run_from_json(current)
    event_id = f"ut#{incarnation}#{rpc}#{found_guid}" if once else None
    if event_id is not None:
        earlier = rt.journal.get(wf_run_id, event_id)
        if earlier is not None:
            if earlier.body.get("request") == request:
                return user_task_run_json(wf_run_id, utr)
            raise ApiError(
                "FAILED_PRECONDITION",
                f"{rpc}: UserTaskRun {wf_run_id}/{found_guid} was already "
                f"{'completed' if rpc == user_tasks.COMPLETE else 'cancelled'} by another "
                "request",
            )
    refused = user_tasks.refusal(utr, rpc, request)
    if refused is not None:
        raise ApiError(*refused)
    if check_fields:
        _check_results(rt, utr, request["results"], rpc, required=rpc == user_tasks.COMPLETE)
    now = int(time.time() * 1000)
    entry = to_journal(UserTaskRequested(rpc, found_guid, request, now))
    rt.journal.append(wf_run_id, event_id or unique_event_id("ut", now), entry, incarnation)
    _await_applied(rt, wf_run_id, found_guid, len(utr.events))
    user_tasks.change(utr, rpc, request, now)
    return user_task_run_json(wf_run_id, utr)


def _await_applied(rt: Runtime, wf_run_id: str, found_guid: str, events: int) -> None:
    """Wait (briefly) until the scheduler has applied the request: a people's app reads
    its own write, as LittleHorse's synchronous rpcs let it.

    Every change appends an event to the run, so the record with more events than
    before is the applied one. Past the wait the request is still journalled and
    applies; the answer then only came before the read would show it.
    """
    deadline = time.monotonic() + APPLY_WAIT_SECONDS
    pause = FIRST_POLL_SECONDS
    while time.monotonic() < deadline:
        time.sleep(pause)
        head = rt.state.load_head(wf_run_id)
        found = rt.state.record(wf_run_id, user_task_sk(found_guid), head)
        if found is None or len(found.get("events", [])) > events:
            return
        pause = min(pause * 2, MAX_POLL_SECONDS)


def _check_results(
    rt: Runtime, utr: UserTaskRun, results: dict[str, Any], rpc: str, *, required: bool
) -> None:
    """As UserTaskRunModel.processTaskCompletedEvent: every result is a field of the
    UserTaskDef, of its type; on completion every required field is given."""
    found = rt.metadata.get_user_task_def(utr.def_name, utr.def_version)
    if found is None:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"{rpc}: UserTaskDef {utr.def_name!r} version {utr.def_version} of UserTaskRun "
            f"{utr.guid} no longer exists, so its results cannot be checked",
        )
    fields = {f["name"]: f for f in found.get("fields", [])}
    for name, raw in results.items():
        declared = fields.get(name)
        actual = values.type_of(values.decode(raw, f"results.{name}"))
        wanted = None if declared is None else declared.get("type", "JSON_OBJ")
        if actual != wanted:
            raise invalid(
                f"{rpc}: results.{name}: Field [name = {name}, type = {actual}] is not defined "
                f"in UserTask schema or has different type"
                + (f" (the field is {wanted})" if wanted else "")
            )
    missing = [n for n, f in fields.items() if f.get("required") and n not in results]
    if required and missing:
        raise invalid(f"{rpc}: results: [{','.join(missing)}] are mandatory fields")


def _results_map(body: dict[str, Any], rpc: str) -> dict[str, Any]:
    raw = body.get("results", {})
    if not isinstance(raw, dict):
        raise invalid(f"{rpc}: results must be an object of field name -> VariableValue")
    for name, one in raw.items():
        key_part(name, f"{rpc}: results key")
        value(one, f"{rpc}: results.{name}")
    if (size := encoded_size(raw)) > MAX_VALUE_BYTES:
        raise ApiError(
            "RESOURCE_EXHAUSTED",
            f"{rpc}: results are {size} bytes, over the {MAX_VALUE_BYTES}-byte limit; "
            f"{HOW_TO_SHRINK}",
        )
    return dict(raw)


def _strings(body: dict[str, Any], rpc: str, keys: tuple[str, ...]) -> dict[str, Any]:
    """The request's string fields that are set (proto3: "" is absent)."""
    found: dict[str, Any] = {}
    for key in keys:
        raw = body.get(key)
        if raw is None or raw == "":
            continue
        if not isinstance(raw, str):
            raise invalid(f"{rpc}: {key} must be a string")
        if key == "comment":
            if len(raw) > MAX_COMMENT_CHARS:
                raise invalid(f"{rpc}: comment is over {MAX_COMMENT_CHARS} characters")
        else:
            key_part(raw, f"{rpc}: {key}")
        found[key] = raw
    return found


def _id(ids: dict[str, Any], rpc: str) -> tuple[str, str]:
    wf_run_id = parse_wf_run_id(ids, "wfRunId", "id")
    return wf_run_id, guid(ids.get("userTaskGuid"), f"{rpc}: userTaskGuid")


def _load(rt: Runtime, wf_run_id: str, found_guid: str, rpc: str) -> tuple[str, dict[str, Any]]:
    """The WfRun's incarnation and the UserTaskRun as last written; NOT_FOUND otherwise."""
    run = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    head = rt.state.load_head(wf_run_id) if run is not None else None
    found = rt.state.record(wf_run_id, user_task_sk(found_guid), head) if run else None
    if run is None or found is None:
        raise not_found(f"{rpc}: UserTaskRun {wf_run_id}/{found_guid} does not exist")
    return run.incarnation or "", found
