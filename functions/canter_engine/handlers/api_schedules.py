"""Scheduled WfRuns: ScheduleWf, GetScheduledWfRun, SearchScheduledWfRun,
DeleteScheduledWfRun, with LittleHorse's messages.

A ScheduledWfRun is stored in the metadata table (store/schedules.py) and
fires from an EventBridge Scheduler schedule of the same id
(store/eventbridge_schedules.py), which invokes the ScheduledRuns function
(handlers/scheduled_runs.py). Everything a firing needs is checked here,
when the schedule is made: the WfSpec, the variables, and a cron expression
that both LittleHorse and EventBridge read the same way; a firing can then
only fail for a WfSpec deleted since.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import finite, int64_value, only, optional_int, require_str
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import cron, values
from canter_engine.model.validate import SpecError, validate_run_wf
from canter_engine.store import aws
from canter_engine.store.eventbridge_schedules import EventBridgeSchedules
from canter_engine.store.schedules import ScheduleExists, ScheduleStore

# A LittleHorse name (letters, digits, inner '-'), as the WfRun id of a firing
# (``<id>-<yyyymmddhhmm>``) must be for RunWf, and at most 64 characters, as an
# EventBridge Scheduler schedule's name must be.
SCHEDULE_ID = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9]{0,62}[A-Za-z0-9])?$")
_SCHEDULE_FIELDS = (
    "id",
    "wfSpecName",
    "majorVersion",
    "revision",
    "variables",
    "parentWfRunId",
    "cronExpression",
)


def schedule_store(rt: Runtime) -> ScheduleStore:
    return ScheduleStore(aws.dynamodb(), rt.settings.metadata_table)


def eventbridge(rt: Runtime) -> EventBridgeSchedules:
    s = rt.settings
    return EventBridgeSchedules(
        aws.scheduler(), s.schedule_group, s.schedule_target_arn, s.schedule_role_arn
    )


def schedule_wf(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Store a ScheduledWfRun and create its schedule; the same request again returns it."""
    only(body, "ScheduleWf", _SCHEDULE_FIELDS)
    if body.get("parentWfRunId") is not None:
        raise invalid(
            "ScheduleWf: parentWfRunId is not supported: a scheduled WfRun is a top-level WfRun"
        )
    schedule_id = body.get("id") or uuid.uuid4().hex
    if not isinstance(schedule_id, str) or not SCHEDULE_ID.match(schedule_id):
        raise invalid(
            "ScheduleWf: id must be 1-64 letters, digits and '-', starting and ending with a "
            "letter or digit (it names the EventBridge schedule and the WfRuns it starts)"
        )
    name = require_str(body, "wfSpecName")
    major = optional_int(body, "majorVersion")
    revision = optional_int(body, "revision")
    if revision is not None and major is None:
        raise invalid("ScheduleWf: revision needs majorVersion too")
    expression = body.get("cronExpression")
    try:
        parsed = cron.parse(expression if isinstance(expression, str) else "")
        eventbridge_expression = cron.to_eventbridge(parsed)
    except cron.CronError as exc:
        raise invalid(f"ScheduleWf: {exc}") from None
    now = int(time.time() * 1000)
    if cron.next_fire(parsed, now) is None:
        raise invalid(
            f"ScheduleWf: cronExpression {parsed.text!r} does not yield a next execution time"
        )
    stored = rt.metadata.get_wf_spec(name, major, revision)
    if stored is None:
        raise not_found(f"ScheduleWf: WfSpec {name!r} does not exist; register it with PutWfSpec")
    raw_variables = body.get("variables") or {}
    if not isinstance(raw_variables, dict):
        raise invalid("ScheduleWf: variables must be an object of VariableValues")
    for var, raw in raw_variables.items():
        int64_value(raw, f"ScheduleWf: variables.{var}")
    try:
        decoded = validate_run_wf(stored.spec, dict(raw_variables))
    except SpecError as exc:
        raise invalid(f"ScheduleWf {name!r}: {exc}") from None
    for var, one in decoded.items():
        finite(one, f"ScheduleWf: variables.{var}")
    spec_id = stored.spec.id
    scheduled: dict[str, Any] = {
        "id": {"id": schedule_id},
        "wfSpecId": {
            k: v
            for k, v in (
                ("name", spec_id.name),
                ("majorVersion", spec_id.major_version),
                ("revision", spec_id.revision),
            )
            if v
        },
        "cronExpression": parsed.text,
        "createdAt": values.format_timestamp(now),
    }
    if raw_variables:
        scheduled["variables"] = raw_variables
    requested = {"wfSpecName": name, "majorVersion": major, "revision": revision}
    store = schedule_store(rt)
    try:
        store.put({"scheduled": scheduled, "requested": requested})
    except ScheduleExists:
        existing = store.get(schedule_id)
        if existing is None or not _same(existing, scheduled, requested):
            raise ApiError(
                "ALREADY_EXISTS",
                f"ScheduleWf: ScheduledWfRun {schedule_id!r} already exists with another "
                "WfSpec, cron expression or variables; delete it first or choose another id",
            ) from None
        scheduled = existing["scheduled"]
    eventbridge(rt).create(schedule_id, eventbridge_expression)
    return scheduled


def _same(existing: dict[str, Any], scheduled: dict[str, Any], requested: dict[str, Any]) -> bool:
    def untimed(one: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in one.items() if k != "createdAt"}

    return existing.get("requested") == requested and untimed(existing["scheduled"]) == untimed(
        scheduled
    )


def get_scheduled_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "GetScheduledWfRun", ("id",))
    return _existing(rt, require_str(body, "id"))["scheduled"]  # type: ignore[no-any-return]


def search_scheduled_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    only(body, "SearchScheduledWfRun", ("wfSpecName", "majorVersion", "revision"))
    name = require_str(body, "wfSpecName")
    major = optional_int(body, "majorVersion")
    revision = optional_int(body, "revision")
    if revision is not None and major is None:
        raise invalid("SearchScheduledWfRun: revision needs majorVersion too")
    ids = schedule_store(rt).ids(name, major, revision)
    return {"results": [{"id": one} for one in ids]}


def delete_scheduled_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Delete the schedule first, so no firing starts after the answer."""
    only(body, "DeleteScheduledWfRun", ("id",))
    schedule_id = require_str(body, "id", "id")
    existing = _existing(rt, schedule_id)
    eventbridge(rt).delete(schedule_id)
    schedule_store(rt).delete(existing["scheduled"])
    return {}


def _existing(rt: Runtime, schedule_id: str) -> dict[str, Any]:
    found = schedule_store(rt).get(schedule_id)
    if found is None:
        raise not_found(f"ScheduledWfRun {schedule_id!r} does not exist")
    return found


def recreate_schedules(rt: Runtime) -> int:
    """Create the EventBridge schedule of every stored ScheduledWfRun that lacks one.

    For the local stack, whose saved state holds the ScheduledWfRuns but not
    moto's EventBridge Scheduler; a schedule that exists is kept.
    """
    store, schedules = schedule_store(rt), eventbridge(rt)
    made = 0
    for schedule_id in store.ids():
        stored = store.get(schedule_id)
        if stored is not None:
            expression = cron.to_eventbridge(cron.parse(stored["scheduled"]["cronExpression"]))
            schedules.create(schedule_id, expression)
            made += 1
    return made
