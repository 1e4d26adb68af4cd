"""Record rpcs the WfRun family lacked: ListTaskRuns, GetExternalEvent and
GetInactiveThreadRun."""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core import WfRunState, live_records
from canter_engine.core.records import thread_run_json
from canter_engine.core.state import TaskRun
from canter_engine.handlers.api_early_events import get_early
from canter_engine.handlers.api_errors import not_found
from canter_engine.handlers.api_parse import guid as parse_guid
from canter_engine.handlers.api_parse import optional_int, require_str
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.api_reads import existing_run, records_page
from canter_engine.handlers.api_task_starts import with_starts
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store.journal import RUN_EVENT_ID, external_event_id


def list_task_runs(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """A WfRun's TaskRuns in NodeRun order: ended ones from their NodeRuns, then (on the
    last page) the ones in flight, which only the head holds."""
    wf_run_id = existing_run(rt, body, "ListTaskRuns")
    # The head first, as ListNodeRuns: a TaskRun that ends between the reads is then
    # in a NodeRun or still in the head, never in neither.
    head = rt.state.load_head(wf_run_id)
    page = records_page(rt, wf_run_id, "node#", head, body, "ListTaskRuns", "taskRun")
    if "bookmark" not in page and head is not None:
        listed = {_guid(r) for r in page["results"]}
        live = [
            r.to_json()
            for r in live_records(WfRunState.from_item(head.state))
            if isinstance(r.obj, TaskRun)
        ]
        page["results"].extend(r for r in live if _guid(r) not in listed)
        page["results"] = with_starts(rt, wf_run_id, head.incarnation, page["results"])
    return page


def get_external_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """An ExternalEvent by id: as the scheduler recorded it, or as journalled if it has
    not been applied yet."""
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    def_name = require_str(body, "externalEventDefId", "name")
    guid = parse_guid(body.get("guid"), "guid")
    head = rt.state.load_head(wf_run_id)
    found = rt.state.record(wf_run_id, f"event#{def_name}#{guid}", head)
    if found is not None:
        return found
    run = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    entry = (
        rt.journal.get(wf_run_id, external_event_id(run.incarnation or "", def_name, guid))
        if run is not None
        else None
    )
    if entry is None and run is None:
        early = get_early(rt, wf_run_id, def_name, guid)
        if early is not None:
            return early
    if entry is None:
        raise not_found(
            f"GetExternalEvent: ExternalEvent {def_name!r} with guid {guid!r} of WfRun "
            f"{wf_run_id!r} does not exist"
        )
    return {
        "id": {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": {"name": def_name},
            "guid": guid,
        },
        "createdAt": values.format_timestamp(int(entry.body.get("createdAt", entry.body["time"]))),
        "content": entry.body.get("content", {}),
    }


def get_inactive_thread_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """LittleHorse's InactiveThreadRun: a ThreadRun its WfRun has archived.

    LittleHorse moves a ThreadRun out of its WfRun (WfRunModel.archiveCompletedThreadRuns)
    when it is a COMPLETED child thread (never the entrypoint) whose ThreadSpec's
    ``retentionPolicy.secondsAfterThreadTermination`` has passed since it ended; any
    other ThreadRun, and a missing one, is NOT_FOUND there. Canter answers the same
    ThreadRuns, judged at the time of the request. It never moves one out, so its
    WfRun lists it too, and LittleHorse's forced archiving of a WfRun near its
    ThreadRun limit has no counterpart (its threads are never moved anywhere).
    """
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    number = optional_int(body, "threadRunNumber") or 0
    where = f"ThreadRun {number} of WfRun {wf_run_id!r}"
    head = rt.state.load_head(wf_run_id, number)  # of a wide WfRun, that thread's item only
    if head is None:
        raise not_found(f"GetInactiveThreadRun: WfRun {wf_run_id!r} does not exist")
    state = WfRunState.from_item(head.state)
    thread = state.threads.get(number)
    if thread is None:
        raise not_found(f"GetInactiveThreadRun: {where} does not exist")
    if thread.type == "ENTRYPOINT" or thread.status != "COMPLETED" or thread.end is None:
        raise not_found(
            f"GetInactiveThreadRun: {where} is not inactive (it is {thread.status} "
            f"{thread.type}); only a COMPLETED child ThreadRun archived by its ThreadSpec's "
            "retentionPolicy is: read it with GetWfRun"
        )
    seconds = _thread_retention(rt, state, thread.spec_name)
    if seconds is None or thread.end + seconds * 1000 > int(time.time() * 1000):
        raise not_found(
            f"GetInactiveThreadRun: {where} is not inactive: its ThreadSpec "
            f"{thread.spec_name!r} keeps it in the WfRun"
            + ("" if seconds is None else f" for {seconds}s after it ended")
            + "; read it with GetWfRun"
        )
    spec = {
        k: v for k, v in zip(("name", "majorVersion", "revision"), state.spec_id, strict=True) if v
    }
    return {"threadRun": thread_run_json(spec, thread)}


def _thread_retention(rt: Runtime, state: WfRunState, thread_spec: str) -> int | None:
    """``secondsAfterThreadTermination`` of a ThreadSpec of the WfRun's WfSpec, if any."""
    stored = rt.metadata.get_wf_spec(*state.spec_id)
    found = None if stored is None else stored.spec.thread_specs.get(thread_spec)
    policy = None if found is None else found.retention_policy
    seconds = None if policy is None else policy.seconds_after_thread_termination
    return None if seconds is None else int(seconds)


def _guid(task_run: dict[str, Any]) -> str:
    return str(task_run["id"]["taskGuid"])
