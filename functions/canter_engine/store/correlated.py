"""CorrelatedEvents and the NodeRuns waiting on their keys.

A CorrelatedEvent (LittleHorse's ``CorrelatedEvent``) is not any WfRun's: it
lives in the State table under its own partition, ``corr#<def>#<key>``,
beside the registrations of the EXTERNAL_EVENT NodeRuns that wait on that
key (``wait#<WfRun>#<thread>#<position>``, written by the scheduler when a
NodeRun arrives). Whichever of the two is written second finds the other
with a strongly consistent read, so at least one writer sees both and
delivers (handlers/correlation.py); when both do, the delivery is the same
journal record and the second is a no-op.

The event item holds the ids of the ExternalEvents it became in a string set
(``ADD`` is idempotent), and for an ExternalEventDef whose
``CorrelatedEventConfig`` says ``deleteAfterFirstCorrelation`` the one
NodeRun it went to (a conditional claim, so two deliverers cannot give it
to two WfRuns). Its ``nonce``, drawn when it is put, goes into the guid of
every delivery, so a CorrelatedEvent deleted and put again is delivered
again.

SearchCorrelatedEvent's entries ride the State table's ``byStatusTime``
index (``gsi1pk`` = ``corrdef#<def>``, never a WfRun status; ``gsi1sk`` =
creation time and key; ``tag`` = whether it became an ExternalEvent).
A CorrelatedEventConfig's ``ttlSeconds`` sets the table's TTL attribute;
DynamoDB removes expired items within days, so reads treat them as gone
from the moment they expire.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.model import values
from canter_engine.store.status_time_index import (
    TIME_DIGITS,
    decode_position,
    encode_position,
    newest_first,
    window,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EVENT_SK = "event"
WAIT_PREFIX = "wait#"
HAS_EVENTS = "HAS"
NO_EVENTS = "NONE"
_TIME_DIGITS = TIME_DIGITS


def partition(def_name: str, key: str) -> str:
    return f"corr#{def_name}#{key}"


def index_partition(def_name: str) -> str:
    return f"corrdef#{def_name}"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    def_name: str
    key: str
    created: int
    nonce: str
    content: dict[str, Any] | None
    external_events: tuple[str, ...]
    owner: str | None

    def to_json(self) -> dict[str, Any]:
        """LittleHorse's ``CorrelatedEvent``."""
        body: dict[str, Any] = {
            "id": {"key": self.key, "externalEventDefId": {"name": self.def_name}},
            "createdAt": values.format_timestamp(self.created),
        }
        if self.content:
            body["content"] = self.content
        if self.external_events:
            body["externalEvents"] = [json.loads(e) for e in sorted(self.external_events)]
        return body


@dataclass(frozen=True, slots=True)
class Waiter:
    """An EXTERNAL_EVENT NodeRun waiting on a key, in the run (incarnation) it belongs to."""

    wf_run_id: str
    incarnation: str
    thread: int
    position: int

    @property
    def sk(self) -> str:
        return f"{WAIT_PREFIX}{self.wf_run_id}#{self.thread}#{self.position}"


class CorrelatedStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put_event(self, event: StoredEvent, ttl_seconds: int | None) -> bool:
        """Write a new CorrelatedEvent; False when one with its key is already there."""
        item: dict[str, Any] = {
            "pk": {"S": partition(event.def_name, event.key)},
            "sk": {"S": EVENT_SK},
            "created": {"N": str(event.created)},
            "nonce": {"S": event.nonce},
            "content": {"S": json.dumps(event.content, separators=(",", ":"))},
            "gsi1pk": {"S": index_partition(event.def_name)},
            "gsi1sk": {"S": f"{event.created:0{_TIME_DIGITS}d}#{event.key}"},
            "tag": {"S": NO_EVENTS},
        }
        if ttl_seconds:
            item["expiresAt"] = {"N": str(event.created // 1000 + ttl_seconds)}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR expiresAt < :now",
                ExpressionAttributeValues={":now": {"N": str(int(time.time()))}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_event(self, def_name: str, key: str) -> StoredEvent | None:
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(partition(def_name, key), EVENT_SK),
            ConsistentRead=True,
        ).get("Item")
        if item is None or _expired(item):
            return None
        return StoredEvent(
            def_name=def_name,
            key=key,
            created=int(item["created"]["N"]),
            nonce=item["nonce"]["S"],
            content=json.loads(item["content"]["S"]),
            external_events=tuple(item.get("events", {}).get("SS", [])),
            owner=item["owner"]["S"] if "owner" in item else None,
        )

    def delete_event(self, def_name: str, key: str, nonce: str | None = None) -> bool:
        """Delete the CorrelatedEvent (only the one with ``nonce``, if given); False if absent."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(partition(def_name, key), EVENT_SK),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if nonce is not None:
            request["ConditionExpression"] += " AND nonce = :n"
            request["ExpressionAttributeValues"] = {":n": {"S": nonce}}
        try:
            self._client.delete_item(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_delivery(
        self, event: StoredEvent, external_event_id: dict[str, Any], only_one: bool
    ) -> bool:
        """Note that ``event`` became ``external_event_id``; False if it may not.

        With ``only_one`` the event goes to the first NodeRun that claims it;
        claiming again for the same NodeRun is allowed (a retried delivery).
        """
        encoded = json.dumps(external_event_id, separators=(",", ":"), sort_keys=True)
        update = "ADD events :e SET tag = :has"
        condition = "nonce = :n"
        values: dict[str, Any] = {
            ":e": {"SS": [encoded]},
            ":has": {"S": HAS_EVENTS},
            ":n": {"S": event.nonce},
        }
        if only_one:
            update += ", #owner = :me"
            condition += " AND (attribute_not_exists(#owner) OR #owner = :me)"
            values[":me"] = {"S": encoded}
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": _key(partition(event.def_name, event.key), EVENT_SK),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        if only_one:
            request["ExpressionAttributeNames"] = {"#owner": "owner"}
        try:
            self._client.update_item(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def put_waiter(self, def_name: str, key: str, waiter: Waiter) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": partition(def_name, key)},
                "sk": {"S": waiter.sk},
                "wf": {"S": waiter.wf_run_id},
                "inc": {"S": waiter.incarnation},
                "t": {"N": str(waiter.thread)},
                "p": {"N": str(waiter.position)},
            },
        )

    def forget_waiter(self, def_name: str, key: str, waiter_sk: str) -> None:
        self._client.delete_item(
            TableName=self._table, Key=_key(partition(def_name, key), waiter_sk)
        )

    def waiters(self, def_name: str, key: str) -> list[Waiter]:
        """The NodeRuns waiting on ``key``, oldest registration key first."""
        found: list[Waiter] = []
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :p AND begins_with(sk, :w)",
            ExpressionAttributeValues={
                ":p": {"S": partition(def_name, key)},
                ":w": {"S": WAIT_PREFIX},
            },
            ConsistentRead=True,
        ):
            found.extend(
                Waiter(i["wf"]["S"], i["inc"]["S"], int(i["t"]["N"]), int(i["p"]["N"]))
                for i in page.get("Items", [])
            )
        return found

    def search(
        self,
        def_name: str,
        earliest: int | None,
        latest: int | None,
        has_events: bool | None,
        limit: int,
        bookmark: str | None,
    ) -> tuple[list[str], str | None]:
        """Keys of an ExternalEventDef's CorrelatedEvents, newest first, one page.

        The index does not hold ``expiresAt``: the caller drops expired ones.
        ValueError for a bookmark this search did not return.
        """
        part = index_partition(def_name)
        exclusive = decode_position(bookmark, part) if bookmark else None
        low, high = window(earliest, latest)
        values: dict[str, Any] = {
            ":p": {"S": part},
            ":lo": {"S": low},
            ":hi": {"S": high},
        }
        flt = None
        if has_events is not None:
            flt = "tag = :t"
            values[":t"] = {"S": HAS_EVENTS if has_events else NO_EVENTS}
        found = newest_first(self._client, self._table, values, flt, limit, exclusive)
        served = found[:limit]
        keys = [str(i["gsi1sk"]["S"]).split("#", 1)[1] for i in served]
        more = len(found) > limit
        return keys, encode_position(served[-1]) if more else None


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _expired(item: dict[str, Any]) -> bool:
    return "expiresAt" in item and int(item["expiresAt"]["N"]) < int(time.time())
