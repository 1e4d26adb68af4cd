"""Bringing a CorrelatedEvent and the NodeRuns waiting on its key together.

Two writers meet here without either writing WfRun state (invariant 2):
the API puts a CorrelatedEvent, then reads the waiting NodeRuns; the
scheduler registers a waiting NodeRun (``AwaitCorrelatedEvent``), then reads
the CorrelatedEvent. Each writes before it reads, with strongly consistent
reads, so whichever comes second sees the other (store/correlated.py). The
delivery is an ordinary ``PutExternalEvent`` journal record addressed to the
one NodeRun (thread and position), under a guid derived from the
CorrelatedEvent and the NodeRun: when both sides deliver, the second append
finds the first and adds nothing, and the scheduler applies it in the
WfRun's stream order like any other event.

As in LittleHorse (CoreProcessorContext.correlate), a delivered NodeRun's
registration is removed, and with ``deleteAfterFirstCorrelation`` the
CorrelatedEvent goes to one NodeRun only and is deleted after.
"""

from __future__ import annotations

import hashlib
from typing import Any

from canter_engine.core.events import ExternalEventPosted, to_journal
from canter_engine.handlers import event_retention
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import values
from canter_engine.store import aws
from canter_engine.store.correlated import CorrelatedStore, StoredEvent, Waiter

__all__ = ["Waiter", "await_event", "deliver", "deliver_to_waiters", "forget", "store"]
from canter_engine.store.journal import RUN_EVENT_ID, external_event_id


def store(rt: Runtime) -> CorrelatedStore:
    return CorrelatedStore(aws.dynamodb(), rt.settings.state_table)


def config_of(rt: Runtime, def_name: str) -> dict[str, Any] | None:
    """The ExternalEventDef's CorrelatedEventConfig; None when it has none (or is gone)."""
    found = rt.metadata.get_external_event_def(def_name)
    if found is None:
        return None
    config = found.get("correlatedEventConfig")
    return dict(config) if isinstance(config, dict) else None


def delivery_guid(event: StoredEvent, waiter: Waiter) -> str:
    """The same for every deliverer of this CorrelatedEvent to this NodeRun."""
    parts = (event.nonce, waiter.wf_run_id, waiter.incarnation, waiter.thread, waiter.position)
    seed = "#".join(str(part) for part in parts)
    return "corr-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def deliver(
    rt: Runtime, event: StoredEvent, waiter: Waiter, only_one: bool, now: int
) -> dict[str, Any] | None:
    """Journal ``event`` into the waiting NodeRun: the ExternalEventId it became, or
    None if it went to another NodeRun."""
    guid = delivery_guid(event, waiter)
    ext_id = {
        "wfRunId": {"id": waiter.wf_run_id},
        "externalEventDefId": {"name": event.def_name},
        "guid": guid,
    }
    correlated = store(rt)
    if not correlated.record_delivery(event, ext_id, only_one):
        return None
    posted = ExternalEventPosted(
        def_name=event.def_name,
        guid=guid,
        content=values.decode(event.content) if event.content else None,
        time=now,
        thread_run_number=waiter.thread,
        node_run_position=waiter.position,
    )
    rt.journal.append(
        waiter.wf_run_id,
        external_event_id(waiter.incarnation, event.def_name, guid),
        to_journal(posted),
        waiter.incarnation,
        # ExternalEventDef retention, as for any ExternalEvent (handlers/event_retention.py).
        expires_at=event_retention.expires_at(
            rt.metadata.get_external_event_def(event.def_name), now
        ),
    )
    correlated.forget_waiter(event.def_name, event.key, waiter.sk)
    if only_one:
        correlated.delete_event(event.def_name, event.key, event.nonce)
    return ext_id


def deliver_to_waiters(rt: Runtime, event: StoredEvent, now: int) -> list[dict[str, Any]]:
    """After a CorrelatedEvent is put: deliver it to the NodeRuns already waiting;
    the ExternalEventIds it became."""
    delivered: list[dict[str, Any]] = []
    only_one = bool((config_of(rt, event.def_name) or {}).get("deleteAfterFirstCorrelation"))
    correlated = store(rt)
    for waiter in correlated.waiters(event.def_name, event.key):
        run = rt.journal.get_record(waiter.wf_run_id, RUN_EVENT_ID)
        if run is None or run.incarnation != waiter.incarnation:
            # The WfRun was deleted (or its id reused): its registration goes too,
            # as LittleHorse removes a deleted WfRun's correlation markers.
            correlated.forget_waiter(event.def_name, event.key, waiter.sk)
            continue
        ext_id = deliver(rt, event, waiter, only_one, now)
        if ext_id is not None:
            delivered.append(ext_id)
            if only_one:
                break
    return delivered


def await_event(rt: Runtime, def_name: str, key: str, waiter: Waiter, now: int) -> None:
    """The scheduler's side: register the NodeRun, then take an event already there."""
    correlated = store(rt)
    correlated.put_waiter(def_name, key, waiter)
    event = correlated.get_event(def_name, key)
    if event is None:
        return
    only_one = bool((config_of(rt, def_name) or {}).get("deleteAfterFirstCorrelation"))
    deliver(rt, event, waiter, only_one, now)


def forget(rt: Runtime, def_name: str, key: str, waiter: Waiter) -> None:
    store(rt).forget_waiter(def_name, key, waiter.sk)
