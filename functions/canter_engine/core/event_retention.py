"""ExternalEventDef retention (LittleHorse's ``ExternalEventRetentionPolicy``): an
ExternalEvent is deleted ``secondsAfterPut`` after it was put.

LittleHorse schedules a DeleteExternalEvent for that moment, and a
DeleteExternalEvent removes only an event still unclaimed: a claimed one is
refused (FAILED_PRECONDITION) and so stays, as the result of the NodeRun or
interrupt that took it, until its WfRun is deleted. Canter does the same. The
event's journal record carries a DynamoDB TTL of that moment
(handlers/event_retention.py); its removal comes back on the stream as
:class:`ExternalEventExpired`. Here the event leaves the WfRun's unclaimed
events, so no later EXTERNAL_EVENT node can take it, and the store is asked
to remove its record and search entry (:class:`DropExternalEvent`).
"""

from __future__ import annotations

from canter_engine.core.effects import DropExternalEvent
from canter_engine.core.events import ExternalEventExpired
from canter_engine.core.run import Run


def on_expired(run: Run, expired: ExternalEventExpired) -> bool:
    """Remove the event if it is still unclaimed; False (nothing changes) otherwise."""
    pending = run.state.pending_events
    for event in pending:
        if event.def_name == expired.def_name and event.guid == expired.guid:
            pending.remove(event)
            run.effects.append(DropExternalEvent(event.def_name, event.guid))
            return True
    return False
