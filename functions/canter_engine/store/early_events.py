"""ExternalEvents posted before their WfRun exists (LittleHorse keeps them under the id).

An early event is a journal item in the WfRun id's own partition under a key
no genuine record ever uses (``early#<ExternalEventDef>#<guid>``), so it can
neither take the key a later run record, report or event needs nor strand
the run that comes later. A counter item (``early#``) caps how many one id
can hold; each item expires (``expiresAt``, the journal's TTL attribute) after
its ExternalEventDef's retention.

The scheduler reads the early events once, when it applies the id's run
record (``handlers/scheduler.py``), and journals each as an ordinary event
of the new run under that run's own key for its guid, so the core applies
it exactly once. A put racing the RunWf is safe without a transaction: the
API checks for the run record again after the put, and if the run exists by
then it journals the event under that same key itself. Either the
scheduler's read saw the early event, and the API's append adds nothing, or
it did not, and the API's append is the one. (A transaction with a check of
the run record would do too, but moto rolls a cancelled transaction back by
copying the table, which cuts the local stack's stream pump off the table.)
The scheduler skips the early items themselves on the stream. DeleteWfRun
removes them with the rest of the id's journal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.core.events import JournalEntry
from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark
from canter_engine.store.journal import EARLY_PREFIX, parse_image

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

COUNTER_ID = EARLY_PREFIX
# As the journal table's TTL attribute (resources.JOURNAL_TABLE).
EXPIRES_AT = "expiresAt"
# Early events one WfRun id may hold before its run starts.
MAX_EARLY_EVENTS = 100
# Without an ExternalEventDef retention (``retentionPolicy.secondsAfterPut``).
DEFAULT_RETENTION_SECONDS = 7 * 24 * 3600


def early_event_id(def_name: str, guid: str) -> str:
    return f"{EARLY_PREFIX}{def_name}#{guid}"


class TooMany(Exception):
    """The id already holds :data:`MAX_EARLY_EVENTS` early events."""


@dataclass(frozen=True, slots=True)
class Stored:
    """One early event: its journal entry (kind ``PutExternalEvent``) and expiry (epoch s)."""

    entry: JournalEntry
    expires_at: int


class EarlyEvents:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put(
        self, wf_run_id: str, def_name: str, guid: str, entry: JournalEntry, expires_at: int
    ) -> Stored:
        """Store an early event; the one already stored under its guid if there is one.

        Raises :class:`TooMany` at the cap. Two writes, no transaction: the
        counter first (conditional on the cap), then the event (conditional
        on its guid). A put racing a duplicate may count one event twice,
        which only brings the cap nearer. The caller checks the run record
        again afterwards (see the module docstring).
        """
        existing = self.get(wf_run_id, def_name, guid)
        if existing is not None:
            return existing
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(wf_run_id, COUNTER_ID),
                UpdateExpression="ADD held :one SET #exp = :exp",
                ConditionExpression="attribute_not_exists(held) OR held < :cap",
                ExpressionAttributeNames={"#exp": EXPIRES_AT},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":cap": {"N": str(MAX_EARLY_EVENTS)},
                    ":exp": {"N": str(expires_at)},
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise TooMany(wf_run_id) from None
            raise
        item = {
            "wfRunId": {"S": wf_run_id},
            "eventId": {"S": early_event_id(def_name, guid)},
            "kind": {"S": entry.kind},
            "body": {"S": json.dumps(entry.body, separators=(",", ":"))},
            EXPIRES_AT: {"N": str(expires_at)},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(eventId)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raced = self.get(wf_run_id, def_name, guid)
            if raced is None:
                raise
            return raced
        return Stored(entry, expires_at)

    def get(self, wf_run_id: str, def_name: str, guid: str) -> Stored | None:
        item = self._client.get_item(
            TableName=self._table,
            Key=self._key(wf_run_id, early_event_id(def_name, guid)),
            ConsistentRead=True,
        ).get("Item")
        return None if item is None else _stored(item)

    def page(
        self, wf_run_id: str, limit: int, bookmark: str | None
    ) -> tuple[list[Stored], str | None]:
        """One page of an id's early events in key order (ExternalEventDef, then guid).

        ValueError for a bookmark this listing did not return.
        """
        kwargs: dict[str, Any] = {}
        if bookmark is not None:
            kwargs["ExclusiveStartKey"] = _decode(bookmark, wf_run_id)
        found: list[dict[str, Any]] = []
        while True:
            page = self._client.query(
                TableName=self._table,
                # Every early event, but not the counter: ``early#`` < low < high.
                KeyConditionExpression="wfRunId = :id AND eventId BETWEEN :low AND :high",
                ExpressionAttributeValues={
                    ":id": {"S": wf_run_id},
                    ":low": {"S": COUNTER_ID + "\x01"},
                    ":high": {"S": EARLY_PREFIX[:-1] + "$"},
                },
                ConsistentRead=True,
                Limit=limit + 1,
                **kwargs,
            )
            found.extend(page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if len(found) > limit or last is None:
                break
            kwargs["ExclusiveStartKey"] = last
        served = found[:limit]
        more = len(found) > limit
        return [_stored(i) for i in served], _encode(served[-1]) if more else None

    def unexpired(self, wf_run_id: str, now_seconds: int) -> list[Stored]:
        """Every early event of the id that has not expired (TTL deletes lazily)."""
        found: list[Stored] = []
        bookmark: str | None = None
        while True:
            page, bookmark = self.page(wf_run_id, MAX_EARLY_EVENTS, bookmark)
            found.extend(s for s in page if s.expires_at > now_seconds)
            if bookmark is None:
                return found

    def _key(self, wf_run_id: str, event_id: str) -> dict[str, Any]:
        return {"wfRunId": {"S": wf_run_id}, "eventId": {"S": event_id}}


def _stored(item: dict[str, Any]) -> Stored:
    return Stored(parse_image(item).entry, int(item[EXPIRES_AT]["N"]))


def _encode(item: dict[str, Any]) -> str:
    return encode_bookmark({"w": item["wfRunId"]["S"], "e": item["eventId"]["S"]})


def _decode(bookmark: str, wf_run_id: str) -> dict[str, Any]:
    try:
        value = decode_bookmark(bookmark)
        key = {"wfRunId": {"S": str(value["w"])}, "eventId": {"S": str(value["e"])}}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a bookmark of this listing") from exc
    if key["wfRunId"]["S"] != wf_run_id or not key["eventId"]["S"].startswith(EARLY_PREFIX):
        raise ValueError("bookmark from another listing")
    return key
