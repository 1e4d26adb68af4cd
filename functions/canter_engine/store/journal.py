"""The journal: every input to a WfRun, appended before it has any effect.

Items are ``{wfRunId, eventId, kind, body}`` with the body as JSON text, so
that what the stream delivers parses to exactly what the API wrote (no
DynamoDB number conversion). Inputs that must be idempotent get an
``eventId`` derived from what identifies them and are appended with
``attribute_not_exists``: a retried RunWf, a repeated event guid or a
repeated worker report lands on the same key and adds nothing (invariant 1).

A WfRun id can be run again once its WfRun is deleted; each run of it is an
incarnation, named by a random string the run record carries. Records meant
for one incarnation (reports, timers, events, stop, resume, delete) carry it
too, in their key and as an attribute: a late record of a deleted run can
neither take the key a record of the new run needs nor apply to its state.

A child WfRun's id derives from its parent's, so a parent run again under a
deleted id starts a child whose id may still hold the child of the deleted
run. The child's run record names its parent's incarnation
(``parentIncarnation``): the child's end is journalled on the parent under a
key and incarnation of that parent run only, so an old child never answers
a new parent, and a new parent that finds an old child under the id journals
a replacement on it (``replace_event_id``): a DeleteWfRun of the old child
that carries the new child's run record, which the child's scheduler, the
one writer of that id, appends once the old child is gone. A replacement
that finds another old child there by then (the parent deleted and run
again twice) is journalled again against that one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.core.events import JournalEntry, Timer
from canter_engine.store.payloads import PayloadStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RUN_EVENT_ID = "run"
INCARNATION_ATTRIBUTE = "incarnation"
# The journal table's TTL attribute (resources.JOURNAL_TABLE.ttl_attribute).
EXPIRES_AT_ATTRIBUTE = "expiresAt"
# DeleteWfRun is journalled like any other input, so that the scheduler, the
# one writer of WfRun state, removes the WfRun in stream order (invariant 2).
DELETE_KIND = "DeleteWfRun"
# In a child WfRun's run record: the incarnation of the parent run that started it.
PARENT_INCARNATION = "parentIncarnation"
# In a replacement (a DeleteWfRun record): the run record to append once the
# old run is gone, and the new run's incarnation.
REPLACEMENT_RUN = "then"
REPLACEMENT_INCARNATION = "thenIncarnation"


# DynamoDB's 400 KB item limit, less room for the keys.
MAX_RECORD_BYTES = 390_000


class RecordTooLarge(ValueError):
    """A record that cannot be journalled even with its long values in the bucket."""


def new_incarnation() -> str:
    """A run of a WfRun id: unguessable, so no request can name a future one."""
    return secrets.token_urlsafe(12)


def delete_event_id(incarnation: str) -> str:
    return f"delete#{incarnation}"


def external_event_id(incarnation: str, def_name: str, guid: str) -> str:
    return f"ev#{incarnation}#{def_name}#{guid}"


def report_event_id(incarnation: str, task_guid: str, attempt_number: int) -> str:
    return f"rep#{incarnation}#{task_guid}#{attempt_number}"


def timer_event_id(incarnation: str, timer: Timer) -> str:
    return f"tmr#{incarnation}#{timer.kind}#{timer.thread}#{timer.position}#{timer.attempt}"


def child_ended_event_id(parent_incarnation: str | None, child_wf_run_id: str) -> str:
    """On the parent: a child's end, for one run of the parent (any, for old records)."""
    if parent_incarnation is None:
        return f"child#{child_wf_run_id}"
    return f"child#{parent_incarnation}#{child_wf_run_id}"


def replace_event_id(parent_incarnation: str, target_incarnation: str) -> str:
    """On a child: this parent run's replacement of one old run under the id."""
    return f"replace#{parent_incarnation}#{target_incarnation}"


def task_start_event_id(incarnation: str, task_guid: str, attempt_number: int) -> str:
    """A worker's notice that it started an attempt (handlers/api_task_starts.py)."""
    return f"{TASK_START_PREFIX}{incarnation}#{task_guid}#{attempt_number}"


# Journal items the scheduler never applies, under keys no input of a run
# uses: ExternalEvents kept for a WfRun not started yet (store/early_events.py)
# and workers' start notices, which reads overlay and nothing applies.
EARLY_PREFIX = "early#"
TASK_START_PREFIX = "start#"


def applied_by_scheduler(event_id: str) -> bool:
    return not event_id.startswith((EARLY_PREFIX, TASK_START_PREFIX))


def unique_event_id(kind: str, time: int) -> str:
    """For inputs with no identity of their own (stop, resume).

    The scheduler never relies on the order of event ids, only on the
    stream's order, so time plus randomness only has to be unique.
    """
    return f"{kind}#{time:013d}#{secrets.token_hex(6)}"


@dataclass(frozen=True, slots=True)
class JournalRecord:
    wf_run_id: str
    event_id: str
    entry: JournalEntry
    # The incarnation the record is for; None for records of any (child ended).
    incarnation: str | None = None


class Journal:
    """The journal table; long strings of a record's body go to the payload bucket
    first (store/payloads.py), and readers get them back."""

    def __init__(self, client: DynamoDBClient, table: str, payloads: PayloadStore) -> None:
        self._client = client
        self._table = table
        self._payloads = payloads

    def append(
        self,
        wf_run_id: str,
        event_id: str,
        entry: JournalEntry,
        incarnation: str | None = None,
        *,
        expires_at: int | None = None,
    ) -> bool:
        """Append once; ``False`` when a record with this id is already there.

        ``expires_at`` (epoch seconds): DynamoDB's TTL removes the record then
        (a retention marker, handlers/retention.py).
        """
        stored = JournalEntry(
            entry.kind, self._payloads.offload(entry.body, wf_run_id, incarnation)
        )
        item = _to_item(JournalRecord(wf_run_id, event_id, stored, incarnation))
        if (size := len(item["body"]["S"].encode())) > MAX_RECORD_BYTES:
            raise RecordTooLarge(
                f"the record is {size} bytes even with its long values stored apart, over "
                f"the journal's {MAX_RECORD_BYTES}-byte limit: it holds too many values"
            )
        if expires_at is not None:
            item[EXPIRES_AT_ATTRIBUTE] = {"N": str(expires_at)}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(eventId)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, wf_run_id: str, event_id: str) -> JournalEntry | None:
        record = self.get_record(wf_run_id, event_id)
        return None if record is None else record.entry

    def get_record(self, wf_run_id: str, event_id: str) -> JournalRecord | None:
        item = self._client.get_item(
            TableName=self._table,
            Key={"wfRunId": {"S": wf_run_id}, "eventId": {"S": event_id}},
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else self.resolve(parse_image(item))

    def resolve(self, record: JournalRecord) -> JournalRecord:
        """A record read from the stream, with its stored strings back in place."""
        body = self._payloads.resolve(record.entry.body, record.wf_run_id)
        if body is record.entry.body:
            return record
        return JournalRecord(
            record.wf_run_id,
            record.event_id,
            JournalEntry(record.entry.kind, body),
            record.incarnation,
        )

    def delete_all(self, wf_run_id: str) -> int:
        """Remove a WfRun's records (DeleteWfRun); the stream's REMOVE records are ignored.

        One DeleteItem per record: DeleteWfRun is rare, and the scheduler's IAM
        grant (infra/permissions.py) allows exactly these calls.
        """
        keys: list[dict[str, Any]] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="wfRunId = :id",
            ExpressionAttributeValues={":id": {"S": wf_run_id}},
            ProjectionExpression="wfRunId, eventId",
        ):
            keys.extend(page.get("Items", []))
        for key in keys:
            self._client.delete_item(TableName=self._table, Key=key)
        return len(keys)


def parse_image(image: dict[str, Any]) -> JournalRecord:
    """A journal item in DynamoDB JSON (GetItem, or a stream's NewImage).

    Raises ``KeyError``/``ValueError`` for an item that is not a journal
    record; the scheduler treats that as a poison record.
    """
    body = json.loads(image["body"]["S"])
    if not isinstance(body, dict):
        raise ValueError("journal body is not a JSON object")
    return JournalRecord(
        wf_run_id=image["wfRunId"]["S"],
        event_id=image["eventId"]["S"],
        entry=JournalEntry(kind=image["kind"]["S"], body=body),
        incarnation=image.get(INCARNATION_ATTRIBUTE, {}).get("S"),
    )


def _to_item(record: JournalRecord) -> dict[str, Any]:
    item = {
        "wfRunId": {"S": record.wf_run_id},
        "eventId": {"S": record.event_id},
        "kind": {"S": record.entry.kind},
        "body": {"S": json.dumps(record.entry.body, separators=(",", ":"))},
    }
    if record.incarnation is not None:
        item[INCARNATION_ATTRIBUTE] = {"S": record.incarnation}
    return item
