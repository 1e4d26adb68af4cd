"""ExternalEventDef retention in the store and on the stream (core/event_retention.py
says what it means).

An ExternalEvent whose ExternalEventDef has ``retentionPolicy.secondsAfterPut``
is journalled with a DynamoDB TTL of its put time plus those seconds: the
PutExternalEvent record itself (``ev#<incarnation>#<def>#<guid>``) expires,
so retention costs no write of its own. An early event (store/early_events.py)
keeps that expiry when its run claims it. DynamoDB's TTL removing the record
reaches the scheduler as a REMOVE stream record, which is the core's
:class:`ExternalEventExpired`; if the event is still unclaimed the core drops
it, and the scheduler deletes its record item and search entry before it
commits a head that no longer holds it. A claimed event stays (as in
LittleHorse), answered from its record. Content over the inline limit stays
in the payload bucket until the WfRun is deleted: objects there are
addressed by content and may be shared by other values of the run.

A REMOVE that is not a TTL's (DeleteWfRun removing the journal) finds no
state, or another run's, and changes nothing.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from canter_engine.core.effects import DropExternalEvent, Effect
from canter_engine.core.events import ExternalEventExpired
from canter_engine.store import aws
from canter_engine.store.event_records import delete_event, event_sk
from canter_engine.store.held import Held
from canter_engine.store.settings import Settings

_EVENT_PREFIX = "ev#"


def seconds_after_put(event_def: dict[str, Any] | None) -> int | None:
    """The ExternalEventDef's ``retentionPolicy.secondsAfterPut``, if it has one."""
    policy = (event_def or {}).get("retentionPolicy")
    seconds = policy.get("secondsAfterPut") if isinstance(policy, dict) else None
    if seconds is None or not str(seconds).isdigit():
        return None
    return int(seconds)


def expires_at(event_def: dict[str, Any] | None, put_millis: int) -> int | None:
    """The TTL (epoch seconds) of an event put at ``put_millis``; None without a policy."""
    seconds = seconds_after_put(event_def)
    return None if seconds is None else math.ceil(put_millis / 1000) + seconds


def expiry(record: dict[str, Any]) -> tuple[ExternalEventExpired, str] | None:
    """The core event a REMOVE of a PutExternalEvent record is, and the run it was for."""
    if record.get("eventName") != "REMOVE":
        return None
    dynamodb = record.get("dynamodb", {})
    event_id = str(dynamodb.get("Keys", {}).get("eventId", {}).get("S", ""))
    if not event_id.startswith(_EVENT_PREFIX):
        return None
    parts = event_id[len(_EVENT_PREFIX) :].split("#", 2)
    if len(parts) != 3:
        return None
    incarnation, def_name, guid = parts
    return ExternalEventExpired(def_name, guid, _removed_at(dynamodb)), incarnation


def unhold(held: Held, effects: list[Effect]) -> Held:
    """``held`` without the records of the events ``effects`` drop."""
    dropped = {event_sk(e.def_name, e.guid) for e in effects if isinstance(e, DropExternalEvent)}
    if not dropped & held.records.keys():
        return held
    return Held(
        {sk: r for sk, r in held.records.items() if sk not in dropped},
        held.paged,
        {sk: t for sk, t in held.texts.items() if sk not in dropped},
    )


def drop(settings: Settings, wf_run_id: str, effect: DropExternalEvent) -> None:
    """Delete the event's record item and search entry (idempotent: a replay repeats it)."""
    sk = event_sk(effect.def_name, effect.guid)
    delete_event(aws.dynamodb(), settings.state_table, wf_run_id, sk)


def _removed_at(dynamodb: dict[str, Any]) -> int:
    """When DynamoDB removed the record (epoch millis): Lambda's event gives epoch
    seconds, boto3's GetRecords (the local pump) a datetime."""
    stamp = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(stamp, datetime):
        return int(stamp.timestamp() * 1000)
    if isinstance(stamp, int | float):
        return int(stamp * 1000)
    return 0
