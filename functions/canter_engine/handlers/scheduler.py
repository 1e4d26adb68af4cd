"""The journal stream handler: the one writer of WfRun state (invariant 2).

For each WfRun in a batch, in stream order: load the head (or take the one
this process committed last, handlers/head_cache.py), apply the new journal
records with the pure core (handlers/transitions.py), write the records that
leave the head (store/held.py), commit the head with a condition on its
version, then send the effects.

Exactly-once application (invariant 3) rests on the head's ``appliedSeq``:
the stream sequence number of the last record applied, committed atomically
with the state. A redelivered record at or below it is skipped; when that
happens the previous attempt may have crashed between its commit and its
sends, so the effects that should be in flight are re-derived from the state
and sent again (invariant 4; consumers ignore duplicates) — unless this
process remembers sending them (handlers/head_cache.py, ``SentMarks``): a
WfRun redelivered only because another WfRun of its batch failed is not sent
again, so one crash does not run the tasks of a whole batch twice. Failures
are reported per WfRun (``ReportBatchItemFailures``), and a failed send fails
only the WfRuns whose messages it carried.

Each ScheduledTask goes out with its attempt's task token
(handlers/task_tokens.py), computed here from the head's incarnation: the
core stays free of secrets.

Effects that are journal appends (start a child WfRun, tell a parent its
child ended) are made before the commit instead of after: they are
conditional appends under keys derived from the transition, so a replay
repeats them as no-ops, and a crash after the commit cannot lose them even
though the core does not re-derive them.

Records are grouped by WfRun by hand rather than with Powertools'
BatchProcessor, because after one record of a WfRun fails the later records
of that WfRun must not be applied in this batch, and the failure reported is
the WfRun's first record so that Lambda retries it from there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from canter_engine.core import outstanding_effects
from canter_engine.core.effects import (
    OUTPUT_TOPIC_EFFECTS,
    AwaitCorrelatedEvent,
    DropExternalEvent,
    Effect,
    ExpireWfRun,
    ForgetCorrelatedEvent,
    NotifyParent,
    RunChildWf,
    ScheduleTask,
    StartTimer,
)
from canter_engine.core.events import (
    ChildWfEnded,
    ExternalEventPosted,
    JournalEntry,
    RunRequested,
    from_journal,
    to_journal,
)
from canter_engine.handlers import (
    correlation,
    event_retention,
    faults,
    retention,
    status_events,
    task_tokens,
)
from canter_engine.handlers.head_cache import HeadCache, SentMarks
from canter_engine.handlers.observability import logger, metrics, publish_metrics, tracer
from canter_engine.handlers.runtime import Runtime, current
from canter_engine.handlers.transitions import Outcome, apply_records, blueprint
from canter_engine.model import values
from canter_engine.model.validate import SpecError, validate_run_wf
from canter_engine.store.journal import (
    DELETE_KIND,
    PARENT_INCARNATION,
    REPLACEMENT_INCARNATION,
    REPLACEMENT_RUN,
    RUN_EVENT_ID,
    child_ended_event_id,
    external_event_id,
    new_incarnation,
    replace_event_id,
)
from canter_engine.store.queues import (
    TASK_MESSAGE_INLINE_BYTES,
    Outgoing,
    task_message,
    timer_message,
)
from canter_engine.store.state import Head, VersionConflict

_HEADS = HeadCache()
_SENT = SentMarks()


@publish_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event.get("Records", []), current())


def process_batch(records: list[dict[str, Any]], runtime: Runtime) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(_wf_run_id(record), []).append(record)
    failed: set[str] = set()
    outbox: dict[str, list[tuple[str, Outgoing]]] = {}
    committed: dict[str, int] = {}
    for wf_run_id, group in groups.items():
        try:
            messages, applied_seq = _process_wf_run(wf_run_id, group, runtime)
        except Exception:
            logger.exception("WfRun batch failed; it will be retried", wf_run_id=wf_run_id)
            metrics.add_metric(name="WfRunBatchFailures", unit=MetricUnit.Count, value=1)
            failed.add(wf_run_id)
            continue
        for url, outgoing in messages.items():
            outbox.setdefault(url, []).extend((wf_run_id, m) for m in outgoing)
        committed[wf_run_id] = applied_seq
    unsent = _send(runtime, outbox)
    for wf_run_id, applied_seq in committed.items():
        if wf_run_id not in unsent:
            _SENT.put(wf_run_id, applied_seq)
    metrics.add_metric(name="JournalRecords", unit=MetricUnit.Count, value=len(records))
    return {
        "batchItemFailures": [
            {"itemIdentifier": group[0]["dynamodb"]["SequenceNumber"]}
            for wf_run_id, group in groups.items()
            if wf_run_id in failed or wf_run_id in unsent
        ]
    }


def _process_wf_run(
    wf_run_id: str, records: list[dict[str, Any]], runtime: Runtime
) -> tuple[dict[str, list[Outgoing]], int]:
    """Apply and commit one WfRun's records: its messages, for the batch's one send,
    and the stream position its head is committed at."""
    try:
        cached = _HEADS.get(wf_run_id)
        head = cached or runtime.state.load_head(wf_run_id)
        outcome = apply_records(wf_run_id, head, records)
        if cached is not None and not outcome.routine:
            if cached.marks is not None:
                # A wide WfRun: its version alone says whether the cached state is current.
                if runtime.state.head_version(wf_run_id) != cached.version:
                    head = runtime.state.load_head(wf_run_id)
                    outcome = apply_records(wf_run_id, head, records)
            else:
                head = runtime.state.load_head(wf_run_id)
                if head is None or head.version != cached.version:
                    outcome = apply_records(wf_run_id, head, records)
            cached = None
        try:
            messages = _act(runtime, wf_run_id, head, outcome)
        except VersionConflict:
            if cached is None:
                raise
            # Another process moved this WfRun on: start again from its head.
            metrics.add_metric(name="StaleCachedHeads", unit=MetricUnit.Count, value=1)
            head = runtime.state.load_head(wf_run_id)
            outcome = apply_records(wf_run_id, head, records)
            messages = _act(runtime, wf_run_id, head, outcome)
        if not outcome.rest:
            return messages, outcome.applied_seq
        # Records after a delete in the same batch: a stale delete of an
        # earlier run may precede the id's new run, which must still apply.
        later, applied_seq = _process_wf_run(wf_run_id, outcome.rest, runtime)
        for url, outgoing in later.items():
            messages.setdefault(url, []).extend(outgoing)
        return messages, applied_seq
    except BaseException:
        _HEADS.drop(wf_run_id)
        _SENT.drop(wf_run_id)
        raise


def _act(
    runtime: Runtime, wf_run_id: str, head: Head | None, outcome: Outcome
) -> dict[str, list[Outgoing]]:
    """Set aside, write, commit: in that order; then the messages to send."""
    for record, reason in outcome.dead_letters:
        _dead_letter(runtime, record, reason)
    for entry, new in outcome.retargets:
        _replace_child(runtime, wf_run_id, entry, new)
    if outcome.deleted:
        _HEADS.drop(wf_run_id)
        _SENT.drop(wf_run_id)
        _delete(
            runtime, wf_run_id, outcome.incarnation, outcome.state is not None, outcome.replacement
        )
        return {}
    state = outcome.state
    if state is None:
        return {}
    effects = outcome.effects
    if outcome.update is not None:
        version = head.version if head else 0
        faults.reach(faults.BEFORE_WRITES)
        _journal_effects(runtime, wf_run_id, outcome.incarnation, effects)
        if head is None:
            _claim_early_events(runtime, wf_run_id, outcome.incarnation)
        runtime.payloads.upload(outcome.uploads)
        runtime.state.write(wf_run_id, outcome.writes)
        runtime.state.write_threads(wf_run_id, outcome.update)
        faults.reach(faults.BEFORE_COMMIT)
        runtime.state.commit_head(wf_run_id, outcome.update, version)
        _HEADS.remember(wf_run_id, outcome, version + 1)
        metrics.add_metric(name="Commits", unit=MetricUnit.Count, value=1)
        faults.reach(faults.AFTER_COMMIT)
    if outcome.redelivered and not _SENT.covers(wf_run_id, head.applied_seq if head else -1):
        effects = _unique([*effects, *outstanding_effects(blueprint(*state.spec_id), state)])
    return _outgoing(runtime, wf_run_id, outcome.incarnation, effects)


def _delete(
    runtime: Runtime,
    wf_run_id: str,
    incarnation: str,
    had_state: bool,
    replacement: tuple[JournalEntry, str] | None,
) -> None:
    """DeleteWfRun: everything of the WfRun goes; later records find no state and are ignored.

    The state goes first, then the journal (whose run record frees the id
    for a new run). A delete that crashed between the two comes again with
    no state to find: it finishes only if the journal is still its run's,
    never removing the records of a run started since. A replacement (a
    child WfRun whose parent was run again) appends its run record last,
    once: a repeated replacement finds the id taken and adds nothing.
    """
    gone = False
    if not had_state:
        run = runtime.journal.get_record(wf_run_id, RUN_EVENT_ID)
        if run is not None and run.incarnation != incarnation:
            if replacement is not None:
                _replace_child(runtime, wf_run_id, *replacement)
            return
        gone = run is None
    if not gone:
        removed = runtime.state.delete_wf_run(wf_run_id)
        faults.reach(faults.DURING_DELETE)
        # Before the journal: a delete that crashes after this comes again.
        removed += runtime.payloads.delete_wf_run(wf_run_id, incarnation)
        removed += runtime.journal.delete_all(wf_run_id)
        logger.info("WfRun deleted", wf_run_id=wf_run_id, items=removed)
        metrics.add_metric(name="WfRunsDeleted", unit=MetricUnit.Count, value=1)
    if replacement is not None:
        entry, new = replacement
        if runtime.journal.append(wf_run_id, RUN_EVENT_ID, entry, new):
            logger.info("child WfRun replaced for its parent's new run", wf_run_id=wf_run_id)


def _unique(effects: Iterable[Effect]) -> list[Effect]:
    seen: set[tuple[Any, ...]] = set()
    result: list[Effect] = []
    for effect in effects:
        key: tuple[Any, ...] = (
            ("task", effect.task_guid, effect.attempt_number)
            if isinstance(effect, ScheduleTask)
            else ("effect", repr(effect))
        )
        if key not in seen:
            seen.add(key)
            result.append(effect)
    return result


def _outgoing(
    runtime: Runtime, wf_run_id: str, incarnation: str, effects: list[Effect]
) -> dict[str, list[Outgoing]]:
    """The SQS messages of a WfRun's effects, by queue URL; each task with its token."""
    by_queue: dict[str, list[Outgoing]] = {}
    now = int(time.time() * 1000)
    for effect in effects:
        if isinstance(effect, ScheduleTask):
            url = runtime.queues.task_queue_url(effect.task_queue)
            # Over SQS's limit, the ScheduledTask travels by reference (store/payloads.py).
            body = runtime.payloads.message_body(
                json.dumps(effect.scheduled_task, separators=(",", ":")),
                wf_run_id,
                incarnation,
                TASK_MESSAGE_INLINE_BYTES,
            )
            attempt = task_tokens.Attempt(
                wf_run_id, incarnation, effect.task_guid, effect.attempt_number
            )
            token = task_tokens.issue(runtime.settings.task_token_secret, attempt)
            by_queue.setdefault(url, []).append(task_message(body, effect.timeout_seconds, token))
        elif isinstance(effect, StartTimer):
            by_queue.setdefault(runtime.timer_queue_url(), []).append(
                timer_message(wf_run_id, incarnation, effect.timer, now)
            )
    return by_queue


def _send(runtime: Runtime, outbox: dict[str, list[tuple[str, Outgoing]]]) -> set[str]:
    """All of a batch's messages, in as few requests as SQS allows (10 a request).

    Returns the WfRuns some of whose messages may not have gone out: only
    they are retried, so a WfRun whose messages all went out is not sent
    again because another WfRun of its batch failed.
    """
    unsent: set[str] = set()
    for index, (url, entries) in enumerate(outbox.items()):
        try:
            faults.reach(faults.BETWEEN_EFFECTS if index else faults.BEFORE_SEND)
            runtime.queues.send(url, [message for _, message in entries])
        except Exception:
            logger.exception("sending effects failed; their WfRuns will be redelivered", url=url)
            unsent.update(wf_run_id for wf_run_id, _ in entries)
    sent = sum(len(entries) for entries in outbox.values())
    if sent:
        metrics.add_metric(name="EffectsSent", unit=MetricUnit.Count, value=sent)
    return unsent


def _journal_effects(
    runtime: Runtime, wf_run_id: str, incarnation: str, effects: list[Effect]
) -> None:
    now = int(time.time() * 1000)
    changes = [e for e in effects if isinstance(e, OUTPUT_TOPIC_EFFECTS)]
    if changes and (sent := status_events.publish(changes)):
        metrics.add_metric(name="StatusEventsPublished", unit=MetricUnit.Count, value=sent)
    for effect in effects:
        if isinstance(effect, RunChildWf):
            _start_child(runtime, effect, incarnation, now)
        elif isinstance(effect, ExpireWfRun):
            retention.mark(runtime.journal, wf_run_id, incarnation, effect)
        elif isinstance(effect, DropExternalEvent):
            event_retention.drop(runtime.settings, wf_run_id, effect)
        elif isinstance(effect, NotifyParent):
            _notify_parent(
                runtime,
                effect.parent_wf_run_id,
                _parent_incarnation(runtime, wf_run_id),
                effect.child_wf_run_id,
                effect.status,
                effect.output,
                now,
                effect.failure,
            )
        elif isinstance(effect, AwaitCorrelatedEvent | ForgetCorrelatedEvent):
            # Correlated events: registrations are idempotent writes, a delivery a
            # conditional append (handlers/correlation.py).
            waiter = correlation.Waiter(wf_run_id, incarnation, effect.thread, effect.position)
            if isinstance(effect, AwaitCorrelatedEvent):
                correlation.await_event(runtime, effect.def_name, effect.key, waiter, now)
            else:
                correlation.forget(runtime, effect.def_name, effect.key, waiter)


def _claim_early_events(runtime: Runtime, wf_run_id: str, incarnation: str) -> None:
    """A new run takes the ExternalEvents posted for its id before it existed.

    Each is journalled as an ordinary event of this run, under this run's key
    for its guid, so the core applies it once, after the run record, as if it
    had been posted now (keeping when it was posted). Done before the head's
    first commit: a retry repeats the appends as no-ops. An early event can
    only be stored while the id has no run record (store/early_events.py),
    so none comes after this read.
    """
    now = int(time.time() * 1000)
    for stored in runtime.early_events.unexpired(wf_run_id, now // 1000):
        posted = from_journal(stored.entry)
        if not isinstance(posted, ExternalEventPosted):
            continue
        event = replace(posted, time=max(now, posted.time), created_at=posted.time)
        event_id = external_event_id(incarnation, posted.def_name, posted.guid)
        # Expiring when it would have as an early event (ExternalEventDef retention).
        expires = event_retention.expires_at(
            runtime.metadata.get_external_event_def(posted.def_name), posted.time
        )
        runtime.journal.append(
            wf_run_id, event_id, to_journal(event), incarnation, expires_at=expires
        )
        runtime.early_events.forget(wf_run_id, stored)


def _start_child(runtime: Runtime, effect: RunChildWf, parent_incarnation: str, now: int) -> None:
    """Journal the child's RunWf; a child that cannot start ends at once, in ERROR."""
    stored = runtime.metadata.get_wf_spec(effect.wf_spec_name, effect.major_version)
    reason = f"WfSpec {effect.wf_spec_name!r} does not exist"
    if stored is not None:
        raw = {name: values.encode(value) for name, value in effect.variables.items()}
        try:
            variables = validate_run_wf(stored.spec, raw)
        except SpecError as exc:
            reason = str(exc)
        else:
            spec_id = stored.spec.id
            entry = to_journal(
                RunRequested(
                    wf_run_id=effect.child_wf_run_id,
                    wf_spec_name=spec_id.name,
                    major_version=spec_id.major_version,
                    revision=spec_id.revision,
                    variables=variables,
                    time=now,
                    parent_wf_run_id=effect.parent_wf_run_id,
                )
            )
            entry.body[PARENT_INCARNATION] = parent_incarnation
            _journal_child_run(runtime, effect, entry)
            return
    logger.warning("child WfRun cannot start", child=effect.child_wf_run_id, reason=reason)
    _notify_parent(
        runtime,
        effect.parent_wf_run_id,
        parent_incarnation,
        effect.child_wf_run_id,
        "ERROR",
        None,
        now,
    )


def _journal_child_run(runtime: Runtime, effect: RunChildWf, entry: JournalEntry) -> None:
    """Append the child's run record, replacing a child of an earlier run of the parent.

    The id may hold the child of a deleted run of this parent (ids derive
    from the parent's id). Deleting it from here would race with its own
    scheduler, so the replacement is journalled on it instead: its scheduler
    deletes it in its stream order and then appends this run record. A
    replay of this transition finds its own child (same parent incarnation)
    and adds nothing.
    """
    child = effect.child_wf_run_id
    incarnation = new_incarnation()
    if not runtime.journal.append(child, RUN_EVENT_ID, entry, incarnation):
        _replace_child(runtime, child, entry, incarnation)


def _replace_child(runtime: Runtime, child: str, entry: JournalEntry, incarnation: str) -> None:
    """Make ``entry`` (a child's run record) the run of ``child``, whatever holds the id now.

    Nothing there: append it. The child of another run of the same parent:
    journal a replacement against that run. The child of this parent run
    already, or a WfRun that is no child of this parent: nothing to do.
    """
    existing = runtime.journal.get_record(child, RUN_EVENT_ID)
    if existing is None:
        # The old child went between the two calls: the id is free now.
        runtime.journal.append(child, RUN_EVENT_ID, entry, incarnation)
        return
    body = existing.entry.body
    parent_of, parent = body.get("parentWfRunId"), entry.body.get("parentWfRunId")
    if not isinstance(parent_of, dict) or not isinstance(parent, dict):
        return
    if parent_of.get("id") != parent.get("id"):
        return
    parent_incarnation = entry.body.get(PARENT_INCARNATION)
    if not isinstance(parent_incarnation, str) or body.get(PARENT_INCARNATION) in (
        None,
        parent_incarnation,
    ):
        return
    target = existing.incarnation or ""
    replacement = JournalEntry(
        DELETE_KIND,
        {
            "time": int(time.time() * 1000),
            REPLACEMENT_RUN: entry.body,
            REPLACEMENT_INCARNATION: incarnation,
        },
    )
    runtime.journal.append(child, replace_event_id(parent_incarnation, target), replacement, target)
    logger.info("replacing the child WfRun of a deleted run of its parent", child=child)


def _parent_incarnation(runtime: Runtime, child: str) -> str | None:
    """The parent run a child WfRun was started for, from its run record.

    One read when a child WfRun ends; ``None`` for a child started before
    run records named it, whose end then reaches any run of the parent.
    """
    run = runtime.journal.get_record(child, RUN_EVENT_ID)
    found = None if run is None else run.entry.body.get(PARENT_INCARNATION)
    return found if isinstance(found, str) else None


def _notify_parent(
    runtime: Runtime,
    parent: str,
    parent_incarnation: str | None,
    child: str,
    status: str,
    output: object,
    now: int,
    failure: dict[str, Any] | None = None,
) -> None:
    entry = to_journal(
        ChildWfEnded(child_wf_run_id=child, status=status, time=now, output=output, failure=failure)
    )
    runtime.journal.append(
        parent, child_ended_event_id(parent_incarnation, child), entry, parent_incarnation
    )


def _dead_letter(runtime: Runtime, record: dict[str, Any], reason: str) -> None:
    logger.error("poison journal record sent to the failure queue", reason=reason)
    metrics.add_metric(name="PoisonRecords", unit=MetricUnit.Count, value=1)
    runtime.queues.send(
        runtime.failure_queue_url(),
        [Outgoing(json.dumps({"reason": reason, "record": record}, default=str))],
    )


def _wf_run_id(record: dict[str, Any]) -> str:
    keys = record.get("dynamodb", {}).get("Keys", {})
    return str(keys.get("wfRunId", {}).get("S", ""))
