"""One WfRun's journal records applied to its head: what the scheduler then
writes, commits and sends.

Nothing here writes. The scheduler computes the whole outcome first, so that
it can tell whether the head it started from (possibly its own cached copy,
handlers/head_cache.py) had to be current for the outcome to be safe to act
on, before acting on any of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Any

from canter_engine.core import Blueprint, WfRunState, apply
from canter_engine.core.cow_map import CowMap, forked, thread_map
from canter_engine.core.effects import JOURNAL_EFFECTS, Effect
from canter_engine.core.events import (
    Event,
    JournalEntry,
    MalformedEvent,
    MigrationRequested,
    RunRequested,
    from_journal,
)
from canter_engine.core.migration import target as migration_target
from canter_engine.handlers import event_retention, retention, status_events
from canter_engine.handlers.observability import logger
from canter_engine.handlers.runtime import current
from canter_engine.store import blob, payloads
from canter_engine.store.held import Held, Writes
from canter_engine.store.journal import (
    DELETE_KIND,
    INCARNATION_ATTRIBUTE,
    REPLACEMENT_INCARNATION,
    REPLACEMENT_RUN,
    applied_by_scheduler,
    parse_image,
)
from canter_engine.store.record_index import index_entries
from canter_engine.store.run_index import listing
from canter_engine.store.state import (
    HEAD_SK,
    MAX_ITEM_JSON_BYTES,
    Head,
    HeadUpdate,
    item_json,
    settle,
)
from canter_engine.store.thread_items import Spilled, spills, thread_sk


class PoisonRecord(Exception):
    """A journal record that can never apply; it goes to the failure queue."""


@dataclass(slots=True)
class Outcome:
    state: WfRunState | None
    # The head to commit; None when no record changed anything.
    update: HeadUpdate | None = None
    writes: Writes = field(default_factory=Writes)
    effects: list[Effect] = field(default_factory=list)
    # (record, reason) for the failure queue.
    dead_letters: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    # A record at or below the head's appliedSeq came again.
    redelivered: bool = False
    # A record changed nothing (stale, duplicate, or for a WfRun with no state).
    ignored: bool = False
    deleted: bool = False
    applied_seq: int = -1
    # The run of the WfRun id the state is (store/journal.py, new_incarnation).
    incarnation: str = ""
    # With ``deleted``: the run record (and its incarnation) that replaces
    # the deleted run, for a child WfRun whose parent was run again.
    replacement: tuple[JournalEntry, str] | None = None
    # With ``deleted``: the records after the delete, for the id's next run
    # (the scheduler applies them once the delete is done, never drops them).
    rest: list[dict[str, Any]] = field(default_factory=list)
    # Replacements that found another run than the one they were for.
    retargets: list[tuple[JournalEntry, str]] = field(default_factory=list)
    # A wide WfRun (store/thread_items.py): each thread's paged mark, and
    # what the head holds, as committed with ``update``.
    marks: CowMap[int, int] | None = None
    held: Held = field(default_factory=Held)
    # A wide WfRun: every thread item's body as committed with ``update``,
    # and the ended NodeRuns the items keep.
    bodies: CowMap[int, bytes] = field(default_factory=thread_map)
    thread_held: CowMap[int, dict[str, Any]] = field(default_factory=thread_map)
    # Long strings of the state and records, by payload bucket key (store/payloads.py):
    # put before anything that names them is written.
    uploads: dict[str, bytes] = field(default_factory=dict)

    @property
    def routine(self) -> bool:
        """Nothing to do but commit the head and send messages.

        Such an outcome is safe to compute from a head that may be stale:
        the commit's version condition refuses it before anything else
        happens. Anything else (items written, thread items included,
        journal appends, records set aside or skipped) would act on the
        stale head first.
        """
        return not (
            self.writes
            or (self.update is not None and self.update.threads)
            or self.dead_letters
            or self.redelivered
            or self.ignored
            or self.deleted
            or any(isinstance(e, JOURNAL_EFFECTS) for e in self.effects)
        )


@lru_cache(maxsize=128)
def blueprint(name: str, major_version: int, revision: int) -> Blueprint:
    """Blueprints are immutable per WfSpec version, so one per process is enough."""
    stored = current().metadata.get_wf_spec(name, major_version, revision)
    if stored is None:
        raise PoisonRecord(f"WfSpec {name} v{major_version}.{revision} does not exist")
    return Blueprint(stored.spec, stored.task_defs)


def apply_records(
    wf_run_id: str,
    head: Head | None,
    records: list[dict[str, Any]],
    resolve: Callable[[str, int, int], Blueprint] | None = None,
) -> Outcome:
    """Apply one WfRun's stream records, in order, to ``head``.

    ``resolve`` finds a WfSpec version's Blueprint (default: the metadata
    table's, through ``blueprint``).
    """
    stored_values = current().payloads
    bucket = stored_values.bucket
    state = head.decoded if head and head.decoded else None
    if head and state is None:
        state = WfRunState.from_item(stored_values.resolve(head.state, wf_run_id))
    held = head.held if head else Held()
    version = head.version if head else 0
    applied_seq = head.applied_seq if head else -1
    outcome = Outcome(state, applied_seq=applied_seq, incarnation=head.incarnation if head else "")
    committed = (head.bodies if head else None) or {}
    spilled = Spilled(head.marks if head else None, head.thread_held if head else None)
    for index, record in enumerate(records):
        seq = int(record["dynamodb"]["SequenceNumber"])
        if seq <= applied_seq:
            outcome.redelivered = True
            continue
        outcome.applied_seq = seq
        if retention.is_marker(record):
            # WfSpec retention: the TTL removal of the marker deletes the WfRun it is for.
            if retention.expired(record, state, outcome.incarnation):
                outcome.deleted = True
                outcome.rest = records[index + 1 :]
                return outcome
            continue
        # ExternalEventDef retention: the TTL removal of an event's record (event_retention.py).
        expiry = event_retention.expiry(record)
        if expiry is None and (record.get("eventName") != "INSERT" or _not_applied(record)):
            continue
        meant_for = expiry[1] if expiry is not None else _incarnation(record)
        if _kind(record) == DELETE_KIND:
            if state is not None and meant_for != outcome.incarnation:
                outcome.ignored = True  # for an earlier run of this id, already gone
                if (replacement := _replacement(record)) is not None:
                    outcome.retargets.append(replacement)
                continue
            # With no state, a delete that crashed half-way comes again: the
            # scheduler finishes it if the journal is still that run's.
            outcome.deleted = True
            outcome.incarnation = meant_for or ""
            outcome.replacement = _replacement(record)
            outcome.rest = records[index + 1 :]
            return outcome
        try:
            event = expiry[0] if expiry is not None else _parse(record)
            if state is None and not isinstance(event, RunRequested):
                logger.warning(
                    "journal record for a WfRun with no state (deleted?); ignored",
                    wf_run_id=wf_run_id,
                    kind=type(event).__name__,
                )
                outcome.ignored = True
                continue
            if state is not None and meant_for not in (None, outcome.incarnation):
                logger.info(
                    "journal record for an earlier run of this WfRun id; ignored",
                    wf_run_id=wf_run_id,
                    kind=type(event).__name__,
                )
                outcome.ignored = True
                continue
            bp = _blueprint_for(state, event, resolve or blueprint)
        except PoisonRecord as exc:
            outcome.dead_letters.append((record, str(exc)))
            continue
        incarnation = outcome.incarnation
        if state is None:
            # A new run of this id: its run record names it (or, for a record
            # written before incarnations existed, its stream position does).
            incarnation = meant_for or str(seq)
        before = state
        transition = apply(bp, state, event)
        if not transition.applied or transition.state is None:
            logger.info("event changed nothing", wf_run_id=wf_run_id, kind=type(event).__name__)
            outcome.ignored = True
            continue
        uploads: dict[str, bytes] = {}
        # A tree as an item may hold it: long strings offloaded (store/payloads.py).
        store = partial(
            payloads.stored,
            bucket=bucket,
            wf_run_id=wf_run_id,
            incarnation=incarnation,
            uploads=uploads,
        )
        new_records = {r.sk: store(r.attributes()) for r in transition.records}
        wide = spills(transition.state)
        event_writes = Writes()
        spilled.begin()
        base_held = held
        if wide:
            if state is None or not spills(state):
                # The threads leave the head: so does everything it held for them.
                released_held, event_writes = held.released()
                for number, position in released_held.paged.items():
                    spilled.mark(number, position)
                base_held = Held()
            new_records = spilled.apply(
                state, transition.state, transition.touched, new_records, event_writes, store
            )
        # Held or released after every event, not once per batch, so that a
        # redelivery batched differently writes the same pages.
        next_held, rewrites = base_held.with_records(new_records)
        next_held = event_retention.unhold(next_held, transition.effects)
        sizes = {
            sk: len(next_held.record_json(sk) if sk in next_held.records else item_json(attributes))
            for sk, attributes in new_records.items()
        }
        # Pages are stored compressed: a fan-out's wait outputs 10,000 results.
        sizes.update({sk: len(blob.pack({"r": p})) for sk, p in event_writes.pages.items()})
        sizes.update({thread_sk(n): len(body) for n, body in spilled.written().items()})
        update, next_held, released = settle(
            wf_run_id,
            store(
                transition.state.to_item_without_threads() if wide else transition.state.to_item()
            ),
            next_held,
            HeadUpdate(
                b"",
                transition.state.status,
                transition.state.spec_name,
                seq,
                incarnation,
                listing(transition.state),
            ),
            version + 1,
            wide,
        )
        unstorable = _unstorable(sizes, update.body)
        if unstorable:
            outcome.dead_letters.append((record, unstorable))
            spilled.rollback()
            continue
        outcome.writes.add(event_writes)
        state, held = transition.state, next_held
        outcome.uploads.update(uploads)
        outcome.state, outcome.update, outcome.incarnation = state, update, incarnation
        for sk, attributes in rewrites.items():
            outcome.writes.rewrite(sk, attributes)
        outcome.writes.add(released)
        outcome.writes.index.update(
            index_entries(bp, transition.state, transition.records, transition.searched)
        )
        outcome.effects.extend(transition.effects)
        # Status events (handlers/status_events.py): nothing unless the WfSpec opted in.
        outcome.effects.extend(status_events.effects_of(bp, before, transition, event.time))
    if outcome.update is not None:
        outcome.update = replace(
            outcome.update,
            applied_seq=outcome.applied_seq,
            threads=spilled.bodies,
            previous={n: committed[n] for n in spilled.bodies if n in committed},
        )
    outcome.held = held
    if state is not None and spills(state):
        outcome.marks = spilled.marks
        outcome.bodies = forked(committed)
        outcome.bodies.update(spilled.bodies)
        outcome.thread_held = spilled.held
    return outcome


def _incarnation(record: dict[str, Any]) -> str | None:
    found = record["dynamodb"].get("NewImage", {}).get(INCARNATION_ATTRIBUTE, {}).get("S")
    return str(found) if found is not None else None


def _replacement(record: dict[str, Any]) -> tuple[JournalEntry, str] | None:
    """The run record a DeleteWfRun record carries to start after the delete, if any.

    Only the scheduler writes replacements (handlers/scheduler.py,
    ``_start_child``); one it cannot read is dropped rather than poison the
    delete it rides on.
    """
    try:
        journal_record = current().journal.resolve(parse_image(record["dynamodb"]["NewImage"]))
    except (KeyError, TypeError, ValueError):
        return None
    body = journal_record.entry.body
    run, incarnation = body.get(REPLACEMENT_RUN), body.get(REPLACEMENT_INCARNATION)
    if not isinstance(run, dict) or not isinstance(incarnation, str):
        return None
    return JournalEntry("RunWf", run), incarnation


def _not_applied(record: dict[str, Any]) -> bool:
    """An early ExternalEvent (the run's start journals it) or a worker's start notice."""
    event_id = record["dynamodb"].get("Keys", {}).get("eventId", {}).get("S", "")
    return not applied_by_scheduler(str(event_id))


def _kind(record: dict[str, Any]) -> str | None:
    kind = record["dynamodb"].get("NewImage", {}).get("kind", {}).get("S")
    return str(kind) if kind is not None else None


def _parse(record: dict[str, Any]) -> Event:
    try:
        journal_record = current().journal.resolve(parse_image(record["dynamodb"]["NewImage"]))
        return from_journal(journal_record.entry)
    except (MalformedEvent, KeyError, TypeError, ValueError) as exc:
        raise PoisonRecord(f"unreadable journal record: {exc}") from None


def _blueprint_for(
    state: WfRunState | None, event: Event, resolve: Callable[[str, int, int], Blueprint]
) -> Blueprint:
    if state is not None and isinstance(event, MigrationRequested):
        # A migration is applied with the version it moves the WfRun to (core/migration.py).
        return resolve(state.spec_name, *migration_target(event.migration))
    if state is not None:
        return resolve(*state.spec_id)
    assert isinstance(event, RunRequested)
    return resolve(event.wf_spec_name, event.major_version, event.revision)


def _unstorable(sizes: dict[str, int], head_body: bytes) -> str | None:
    """Why a transition can never be committed (an item over DynamoDB's limit), if it can't.

    Such a transition would fail on every retry; refusing it at once sends
    the record to the failure queue with the reason instead of stalling the
    shard through every retry. Records are measured as JSON, which bounds
    what they take in a page; the head as stored, compressed.
    """
    sizes = {**sizes, HEAD_SK: len(head_body)}
    for sk, size in sizes.items():
        if size > MAX_ITEM_JSON_BYTES:
            return (
                f"applying this record would write item {sk!r} of {size} bytes, over "
                f"DynamoDB's item limit ({MAX_ITEM_JSON_BYTES} bytes here); the "
                "workflow holds values too large for its state: pass large payloads by "
                "reference (for example an S3 key)"
            )
    return None
