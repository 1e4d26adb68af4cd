"""WorkflowEvent rpcs: await, list and get the events THROW_EVENT nodes publish.

The scheduler stores each WorkflowEvent as a record of its WfRun (sort key
``wfevent#<def>#<number>``). ``AwaitWorkflowEvent`` is a long poll over
those records: it answers as soon as a matching event is there, or with
DEADLINE_EXCEEDED after ``AWAIT_SECONDS``, well inside API Gateway's 30 s
integration limit; the SDK client asks again until its own deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import optional_int, require_str
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.api_reads import existing_run, records_page
from canter_engine.handlers.runtime import Runtime

T = TypeVar("T")

PREFIX = "wfevent#"
AWAIT_SECONDS = 20.0
FIRST_POLL_SECONDS = 0.1
MAX_POLL_SECONDS = 1.0


def await_workflow_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """The first WorkflowEvent of the WfRun from one of ``eventDefIds`` (any if empty),
    leaving out ``workflowEventsToIgnore``, as LittleHorse's AwaitWorkflowEvent."""
    wf_run_id = existing_run(rt, body, "AwaitWorkflowEvent")
    names = {
        _at(f"eventDefIds[{i}]", require_str, d, "name")
        for i, d in enumerate(_list(body, "eventDefIds"))
    }
    ignored = {
        _at(f"workflowEventsToIgnore[{i}]", _event_key, e, "")
        for i, e in enumerate(_list(body, "workflowEventsToIgnore"))
    }
    deadline = time.monotonic() + AWAIT_SECONDS
    pause = FIRST_POLL_SECONDS
    while True:
        found = _first_match(rt, wf_run_id, names, ignored)
        if found is not None:
            return _view(found)
        if time.monotonic() + pause > deadline:
            raise ApiError(
                "DEADLINE_EXCEEDED",
                f"AwaitWorkflowEvent: WfRun {wf_run_id!r} threw no matching WorkflowEvent "
                f"within {AWAIT_SECONDS:.0f}s; ask again (the SDK client does)",
            )
        time.sleep(pause)
        pause = min(pause * 2, MAX_POLL_SECONDS)


def list_workflow_events(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = existing_run(rt, body, "ListWorkflowEvents")
    head = rt.state.load_head(wf_run_id)
    page = records_page(rt, wf_run_id, PREFIX, head, body, "ListWorkflowEvents")
    page["results"] = [_view(e) for e in sorted(page["results"], key=_number)]
    return page


def get_workflow_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    name, number = _event_key(body, "WorkflowEventId")[1:]
    head = rt.state.load_head(wf_run_id)
    found = rt.state.record(wf_run_id, _sk(name, number), head)
    if found is None:
        raise not_found(
            f"GetWorkflowEvent: WorkflowEvent {name!r} number {number} of WfRun "
            f"{wf_run_id!r} does not exist"
        )
    return _view(found)


def _first_match(
    rt: Runtime, wf_run_id: str, names: set[str], ignored: set[tuple[str, str, int]]
) -> dict[str, Any] | None:
    head = rt.state.load_head(wf_run_id)
    if head is None:
        return None
    prefixes = [f"{PREFIX}{n}#" for n in sorted(names)] or [PREFIX]
    candidates: list[dict[str, Any]] = []
    for prefix in prefixes:
        bookmark: str | None = None
        while True:
            records, bookmark = rt.state.list_records(wf_run_id, prefix, head, 100, bookmark)
            candidates.extend(r for r in records if _event_key(r["id"], "event") not in ignored)
            if bookmark is None:
                break
    return min(candidates, key=_number) if candidates else None


def _at(where: str, parse: Callable[[Any, str], T], item: Any, arg: str) -> T:
    """``parse(item, arg)``, its refusal saying which element of a list it was about."""
    try:
        return parse(item, arg)
    except ApiError as exc:
        raise invalid(f"AwaitWorkflowEvent: {where}.{exc.message}") from None


def _event_key(event_id: Any, where: str) -> tuple[str, str, int]:
    """(WfRun id, WorkflowEventDef name, number) of a WorkflowEventId."""
    if not isinstance(event_id, dict):
        raise invalid(f"{where or 'id'}: a WorkflowEventId object is required")
    number = optional_int(event_id, "number") or 0
    return (
        parse_wf_run_id(event_id, "wfRunId", "id"),
        require_str(event_id, "workflowEventDefId", "name"),
        number,
    )


def _view(event: dict[str, Any]) -> dict[str, Any]:
    """The record as LittleHorse 1.3's WorkflowEvent message (it has no wfSpecId)."""
    return {k: v for k, v in event.items() if k != "wfSpecId"}


def _number(event: dict[str, Any]) -> int:
    return int(event["id"].get("number", 0))


def _sk(name: str, number: int) -> str:
    return f"{PREFIX}{name}#{number:08d}"


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found = body.get(key, [])
    if not isinstance(found, list) or not all(isinstance(x, dict) for x in found):
        raise invalid(f"AwaitWorkflowEvent: {key} must be a list of objects")
    return found
