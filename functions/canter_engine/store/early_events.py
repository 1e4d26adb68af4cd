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

SearchExternalEvent finds early events through one more journal item each,
in a partition per ExternalEventDef that no WfRun id can be
(``early#<ExternalEventDef>``), keyed by post time: written after the event,
dropped by the scheduler when a run claims the event, and expiring with it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.core.events import JournalEntry
from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark
from canter_engine.store.journal import EARLY_PREFIX, MAX_RECORD_BYTES, parse_image

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


class TooLarge(Exception):
    """The event does not fit the one item an early event is (no WfRun holds its
    values in the payload bucket yet); ``args[0]`` is its size in bytes."""


# An early event's journal body, as JSON: DynamoDB's item limit less its keys.
MAX_BODY_BYTES = MAX_RECORD_BYTES


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

        Raises :class:`TooMany` at the cap, :class:`TooLarge` over an item.
        Two writes, no transaction: the counter first (conditional on the
        cap), then the event (conditional on its guid). A put racing a
        duplicate may count one event twice, which only brings the cap nearer.
        The caller checks the run record again afterwards (see the module
        docstring).
        """
        existing = self.get(wf_run_id, def_name, guid)
        if existing is not None:
            return existing
        body = json.dumps(entry.body, separators=(",", ":"))
        if (size := len(body.encode())) > MAX_BODY_BYTES:
            raise TooLarge(size)
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
            "body": {"S": body},
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
        stored = Stored(entry, expires_at)
        self._client.put_item(TableName=self._table, Item=_index_item(wf_run_id, stored))
        return stored

    def forget(self, wf_run_id: str, stored: Stored) -> None:
        """Drop a claimed early event's search entry: from now on it is its run's event."""
        key = _index_item(wf_run_id, stored)
        self._client.delete_item(
            TableName=self._table, Key={"wfRunId": key["wfRunId"], "eventId": key["eventId"]}
        )

    def search(
        self, query: EarlySearch, limit: int, bookmark: str | None, now_seconds: int
    ) -> tuple[list[tuple[str, str]], str | None]:
        """(WfRun id, guid) of an ExternalEventDef's unexpired early events, newest first.

        ValueError for a bookmark this search did not return.
        """
        partition = index_partition(query.def_name)
        low = _time(query.earliest if query.earliest is not None else 0)
        high = _time(query.latest if query.latest is not None else 10**13 - 1) + "~"
        start = None if bookmark is None else _decode(bookmark, partition)
        served, more = self._query(
            {
                "KeyConditionExpression": "wfRunId = :p AND eventId BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {
                    ":p": {"S": partition},
                    ":lo": {"S": EARLY_PREFIX + low},
                    ":hi": {"S": EARLY_PREFIX + high},
                    ":now": {"N": str(now_seconds)},
                },
                "FilterExpression": f"{EXPIRES_AT} > :now",
                "ScanIndexForward": False,
            },
            limit,
            start,
        )
        return [_indexed(item) for item in served], _encode(served[-1]) if more else None

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
        start = None if bookmark is None else _decode(bookmark, wf_run_id)
        served, more = self._query(
            {
                # Every early event, but not the counter: ``early#`` < low < high.
                "KeyConditionExpression": "wfRunId = :id AND eventId BETWEEN :low AND :high",
                "ExpressionAttributeValues": {
                    ":id": {"S": wf_run_id},
                    ":low": {"S": COUNTER_ID + "\x01"},
                    ":high": {"S": EARLY_PREFIX[:-1] + "$"},
                },
                "ConsistentRead": True,
            },
            limit,
            start,
        )
        return [_stored(i) for i in served], _encode(served[-1]) if more else None

    def _query(
        self, query: dict[str, Any], limit: int, start: dict[str, Any] | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` items of one query from ``start``, and whether more follow.

        A filtered query can answer short pages, so it reads on until it has
        one item past the page or the range ends.
        """
        kwargs: dict[str, Any] = {} if start is None else {"ExclusiveStartKey": start}
        found: list[dict[str, Any]] = []
        while True:
            page = self._client.query(TableName=self._table, Limit=limit + 1, **query, **kwargs)
            found.extend(page.get("Items", []))
            last = page.get("LastEvaluatedKey")
            if len(found) > limit or last is None:
                return found[:limit], len(found) > limit
            kwargs["ExclusiveStartKey"] = last

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


@dataclass(frozen=True, slots=True)
class EarlySearch:
    """SearchExternalEvent's early events: one ExternalEventDef, a window of post times."""

    def_name: str
    earliest: int | None = None
    latest: int | None = None


def index_partition(def_name: str) -> str:
    """The journal partition of an ExternalEventDef's early events' search entries.

    No WfRun id holds a ``#``, so no WfRun's journal is ever this partition.
    """
    return f"{EARLY_PREFIX}{def_name}"


def _time(millis: int) -> str:
    return f"{millis:013d}"


def _index_item(wf_run_id: str, stored: Stored) -> dict[str, Any]:
    body = stored.entry.body
    def_name, guid = str(body["externalEventDefId"]["name"]), str(body["guid"])
    posted = _time(int(body["time"]))
    return {
        "wfRunId": {"S": index_partition(def_name)},
        "eventId": {"S": f"{EARLY_PREFIX}{posted}#{wf_run_id}#{guid}"},
        EXPIRES_AT: {"N": str(stored.expires_at)},
    }


def _indexed(item: dict[str, Any]) -> tuple[str, str]:
    _, _, rest = str(item["eventId"]["S"]).removeprefix(EARLY_PREFIX).partition("#")
    wf_run_id, _, guid = rest.partition("#")
    return wf_run_id, guid


def _stored(item: dict[str, Any]) -> Stored:
    return Stored(parse_image(item).entry, int(item[EXPIRES_AT]["N"]))


def _encode(item: dict[str, Any]) -> str:
    return encode_bookmark({"w": item["wfRunId"]["S"], "e": item["eventId"]["S"]})


def _decode(bookmark: str, partition: str) -> dict[str, Any]:
    """The key a bookmark of ``partition`` (a WfRun id, or an index partition) holds."""
    try:
        value = decode_bookmark(bookmark)
        key = {"wfRunId": {"S": str(value["w"])}, "eventId": {"S": str(value["e"])}}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError("not a bookmark of this listing") from exc
    if key["wfRunId"]["S"] != partition or not key["eventId"]["S"].startswith(EARLY_PREFIX):
        raise ValueError("bookmark from another listing")
    return key
