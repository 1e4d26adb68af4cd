"""Which WfSpecs publish status events, and publishing them.

Opt-in per WfSpec: ``CANTER_STATUS_EVENTS`` names the WfSpecs whose WfRuns
publish every status change (comma-separated; ``*`` for all), and
``CANTER_EVENT_BUS`` the EventBridge bus they go to. On AWS both come from
``cdk.json`` (``statusEvents``); ``canter dev --status-events`` sets them
locally. LittleHorse's switch is its tenant's ``OutputTopicConfig``; a WfSpec
has no field for it, so Canter's stays beside LittleHorse's messages, in the
deployment.

The scheduler publishes before it commits the change (like its other
effects that leave the WfRun), so a crash or a failed publish repeats it:
at least once, and a repeat is the identical record (the same ``timestamp``
and WfRun), which a consumer recognises by ``wfRun.id``, ``wfRun.status`` and
``timestamp``.
"""

from __future__ import annotations

import os

from canter_engine.core.effects import WfRunStatusChanged
from canter_engine.resources import ENV_EVENT_BUS, ENV_STATUS_EVENTS
from canter_engine.store import status_events


def opted_in(wf_spec_name: str) -> bool:
    """Whether WfRuns of ``wf_spec_name`` publish their status changes here."""
    if not os.environ.get(ENV_EVENT_BUS):
        return False
    names = {n.strip() for n in os.environ.get(ENV_STATUS_EVENTS, "").split(",") if n.strip()}
    return "*" in names or wf_spec_name in names


def publish(changes: list[WfRunStatusChanged]) -> int:
    """Send the changes of opted-in WfSpecs (in order); how many were sent.

    Only opted-in WfSpecs' changes become effects at all (handlers/transitions.py),
    so a WfRun that publishes nothing costs nothing, not even a head re-read.
    """
    chosen = [c.record for c in changes if opted_in(c.wf_spec_name)]
    bus = os.environ.get(ENV_EVENT_BUS, "")
    for start in range(0, len(chosen), 10):
        status_events.put(bus, chosen[start : start + 10])
    return len(chosen)
