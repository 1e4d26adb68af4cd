"""``RescueThreadRun``: journal an operator's rescue of a failed ThreadRun.

The API checks the request against the WfRun as the scheduler last
committed it, so that an operator hears at once why a thread cannot be
rescued (LittleHorse's codes: INVALID_ARGUMENT for a thread that does not
exist, FAILED_PRECONDITION for one not in ERROR or whose failure an ancestor
handled). The scheduler applies the journalled request through the core,
which checks again: the run may have moved on in between.
"""

from __future__ import annotations

import time
from typing import Any

from canter_engine.core import WfRunState, wf_run_json
from canter_engine.core.events import RescueRequested, to_journal
from canter_engine.core.rescue import refusal
from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import only, optional_int
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.runtime import Runtime
from canter_engine.store.journal import RUN_EVENT_ID, unique_event_id

_FIELDS = ("wfRunId", "threadRunNumber", "skipCurrentNode")


def rescue_thread_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Journal the rescue; answer with the WfRun as it is before the scheduler applies it."""
    only(body, "RescueThreadRun", _FIELDS)
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    number = optional_int(body, "threadRunNumber") or 0
    skip = body.get("skipCurrentNode", False)
    if not isinstance(skip, bool):
        raise invalid("RescueThreadRun: skipCurrentNode must be true or false")
    run_record = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    head = rt.state.load_head(wf_run_id)
    if run_record is None or head is None:
        raise not_found(f"WfRun {wf_run_id!r} does not exist")
    state = WfRunState.from_item(head.state)
    refused = refusal(state, number)
    if refused is not None:
        raise ApiError(refused.code, f"RescueThreadRun: {refused.message}")
    now = int(time.time() * 1000)
    event = RescueRequested(time=now, thread_run_number=number, skip_current_node=skip)
    rt.journal.append(
        wf_run_id, unique_event_id("rescue", now), to_journal(event), run_record.incarnation or ""
    )
    return wf_run_json(state)
