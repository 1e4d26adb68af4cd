"""Which WfSpecs publish status events, at which level, and publishing them.

Opt-in per WfSpec: ``CANTER_STATUS_EVENTS`` names the WfSpecs whose WfRuns
publish (comma-separated; ``*`` for all), and ``CANTER_EVENT_BUS`` the
EventBridge bus they go to. A name alone publishes every WfRun status change;
``name:all`` (or ``*:all``) also every change of the WfRun's TaskRuns,
public Variables, ExternalEvents, WorkflowEvents, UserTaskRuns and
Checkpoints, as LittleHorse's ``ALL_ENTITY_EVENTS`` recording level
(core/status_events.py says which). On AWS both come from ``cdk.json``
(``statusEvents``: a list of names, or ``{"<wfSpec>": "all" | "status"}``);
``canter dev --status-events`` sets them locally. LittleHorse's switch is its
tenant's ``OutputTopicConfig``; a WfSpec has no field for it, so Canter's
stays beside LittleHorse's messages, in the deployment.

The scheduler publishes before it commits the change (like its other
effects that leave the WfRun), so a crash or a failed publish repeats it:
at least once, and a repeat is the identical record (the same ``timestamp``
and entity), which a consumer recognises by the entity's id, its status
and ``timestamp``.
"""

from __future__ import annotations

import os
from functools import lru_cache

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import EntityChanged, WfRunStatusChanged
from canter_engine.core.engine import Transition
from canter_engine.core.state import WfRunState
from canter_engine.core.status_events import entity_changes, status_change
from canter_engine.resources import (
    ALL_LEVEL,
    ENV_EVENT_BUS,
    ENV_STATUS_EVENTS,
    STATUS_LEVEL,
    parse_status_events,
)
from canter_engine.store import status_events


@lru_cache(maxsize=8)
def _levels(raw: str) -> dict[str, str] | None:
    """The setting parsed once, not on every event the scheduler applies (None: invalid)."""
    try:
        return parse_status_events(raw)
    except ValueError:
        return None


def level(wf_spec_name: str) -> str | None:
    """What WfRuns of ``wf_spec_name`` publish here: ``status``, ``all``, or None."""
    if not os.environ.get(ENV_EVENT_BUS):
        return None
    levels = _levels(os.environ.get(ENV_STATUS_EVENTS, ""))
    if levels is None:
        return None
    found = [lvl for name, lvl in levels.items() if name in ("*", wf_spec_name)]
    if not found:
        return None
    return ALL_LEVEL if ALL_LEVEL in found else STATUS_LEVEL


def opted_in(wf_spec_name: str) -> bool:
    """Whether WfRuns of ``wf_spec_name`` publish their status changes here."""
    return level(wf_spec_name) is not None


def effects_of(
    bp: Blueprint, before: WfRunState | None, transition: Transition, time: int
) -> list[WfRunStatusChanged | EntityChanged]:
    """The output-topic records one transition publishes, in LittleHorse's order: a
    WfRun that is RUNNING first, any other status after its entities."""
    after = transition.state
    chosen = None if after is None else level(after.spec_name)
    if after is None or chosen is None:
        return []
    changed = status_change(before, after, time)
    if chosen != ALL_LEVEL:
        return [] if changed is None else [changed]
    entities: list[WfRunStatusChanged | EntityChanged] = list(
        entity_changes(bp, before, after, transition.records, time)
    )
    if changed is None:
        return entities
    return [changed, *entities] if changed.status == "RUNNING" else [*entities, changed]


def publish(changes: list[WfRunStatusChanged | EntityChanged]) -> int:
    """Send the records of opted-in WfSpecs (in order); how many were sent.

    Only opted-in WfSpecs' changes become effects at all (handlers/transitions.py),
    so a WfRun that publishes nothing costs nothing, not even a head re-read.
    """
    chosen = [c.record for c in changes if opted_in(c.wf_spec_name)]
    bus = os.environ.get(ENV_EVENT_BUS, "")
    for start in range(0, len(chosen), 10):
        status_events.put(bus, chosen[start : start + 10])
    return len(chosen)
