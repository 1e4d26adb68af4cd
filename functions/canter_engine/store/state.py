"""WfRun state: one small head item per WfRun plus one item per NodeRun,
TaskRun, Variable and ExternalEvent (invariant 5).

The head holds the core's state, a version and the stream position of the
last journal record applied to it. The scheduler writes side items first and
the head last, with a condition on its version: the head write is the commit
point. Side items are deterministic functions of the journal, so a crash
between them and the head leaves nothing that a replay does not rewrite
identically. Every item stores its payload as JSON text, which keeps numbers
exact and the head's size independent of DynamoDB's type mapping.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.core.records import render_node_item
from canter_engine.store.batch import batch_write

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HEAD_SK = "wfrun"
# DynamoDB's 400 KB item limit, less room for the keys and index attributes.
MAX_ITEM_JSON_BYTES = 400_000
SEARCH_INDEX = "bySpecStatus"


class VersionConflict(Exception):
    """The head changed under the scheduler: another writer, which invariant 2 rules out."""


@dataclass(frozen=True, slots=True)
class Head:
    state: dict[str, Any]
    version: int
    applied_seq: int


@dataclass(frozen=True, slots=True)
class HeadUpdate:
    # JSON text (item_json): the scheduler has already encoded it to check its size.
    state_json: str
    status: str
    spec_name: str
    applied_seq: int


class StateStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def load_head(self, wf_run_id: str) -> Head | None:
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(wf_run_id, HEAD_SK),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        return Head(
            state=json.loads(item["state"]["S"]),
            version=int(item["version"]["N"]),
            applied_seq=int(item["appliedSeq"]["S"]),
        )

    def write_records(self, wf_run_id: str, records: Iterable[tuple[str, dict[str, str]]]) -> None:
        """Put side items, each a set of attributes holding JSON text (item_json);
        idempotent, so a replay rewrites the same bytes."""
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **_key(wf_run_id, sk),
                        **{name: {"S": text} for name, text in attributes.items()},
                    }
                }
            }
            for sk, attributes in records
        ]
        batch_write(self._client, self._table, requests)

    def commit_head(self, wf_run_id: str, update: HeadUpdate, expected_version: int) -> int:
        """Write the head if its version is still ``expected_version`` (0: no head yet)."""
        version = expected_version + 1
        item = {
            **_key(wf_run_id, HEAD_SK),
            "state": {"S": update.state_json},
            "version": {"N": str(version)},
            "appliedSeq": {"S": str(update.applied_seq)},
            "gsi1pk": {"S": update.spec_name},
            "gsi1sk": {"S": f"{update.status}#{wf_run_id}"},
        }
        # A WfRun's first head has no version yet: "absent or 0" covers it.
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise VersionConflict(
                    f"WfRun {wf_run_id}: head is no longer at version {expected_version}"
                ) from None
            raise
        return version

    def get(self, wf_run_id: str, sk: str, attribute: str = "json") -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(wf_run_id, sk), ConsistentRead=True
        ).get("Item")
        return None if item is None else _render(wf_run_id, item, attribute)

    def page_prefix(
        self, wf_run_id: str, prefix: str, limit: int, bookmark: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a WfRun's items of one kind, in key order.

        The bookmark is the last key of the page, so a WfRun that looped
        10,000 times is listed a page at a time instead of in one response.
        """
        kwargs: dict[str, Any] = {}
        if bookmark:
            start = base64.urlsafe_b64decode(bookmark.encode()).decode()
            if not start.startswith(prefix):
                raise ValueError("bookmark from another listing")
            kwargs["ExclusiveStartKey"] = _key(wf_run_id, start)
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
            ExpressionAttributeValues={":pk": {"S": wf_run_id}, ":p": {"S": prefix}},
            ConsistentRead=True,
            Limit=limit,
            **kwargs,
        )
        items = page.get("Items", [])
        last = page.get("LastEvaluatedKey")
        next_bookmark = (
            base64.urlsafe_b64encode(last["sk"]["S"].encode()).decode() if last else None
        )
        rendered = [_render(wf_run_id, item) for item in items]
        return [r for r in rendered if r is not None], next_bookmark

    def search(
        self, spec_name: str, status: str | None, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """WfRun ids of one WfSpec (optionally one status), one page at a time."""
        values: dict[str, Any] = {":n": {"S": spec_name}}
        condition = "gsi1pk = :n"
        if status:
            condition += " AND begins_with(gsi1sk, :s)"
            values[":s"] = {"S": f"{status}#"}
        kwargs: dict[str, Any] = {}
        if bookmark:
            kwargs["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(bookmark))
        page = self._client.query(
            TableName=self._table,
            IndexName=SEARCH_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            Limit=limit,
            **kwargs,
        )
        ids = [item["pk"]["S"] for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        next_bookmark = (
            base64.urlsafe_b64encode(item_json(last).encode()).decode() if last else None
        )
        return ids, next_bookmark

    def delete_wf_run(self, wf_run_id: str) -> int:
        keys = [
            {"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
            for item in self._query(wf_run_id, "")
        ]
        batch_write(self._client, self._table, keys)
        return len(keys)

    def _query(self, wf_run_id: str, prefix: str) -> Iterator[dict[str, Any]]:
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": wf_run_id}}
        if prefix:
            condition += " AND begins_with(sk, :p)"
            values[":p"] = {"S": prefix}
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
        ):
            yield from page.get("Items", [])


def _key(wf_run_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": wf_run_id}, "sk": {"S": sk}}


def _render(wf_run_id: str, item: dict[str, Any], attribute: str = "json") -> dict[str, Any] | None:
    """An item as the API serves it; a NodeRun item is stored compact and rendered here."""
    if "node" in item:
        return render_node_item(wf_run_id, json.loads(item["node"]["S"]), attribute)
    if attribute not in item and "state" not in item:
        return None
    return _loads_item(item, attribute)


def _loads_item(item: dict[str, Any], attribute: str = "json") -> dict[str, Any]:
    value = json.loads(item[attribute]["S"] if attribute in item else item["state"]["S"])
    return value if isinstance(value, dict) else {}


def item_json(value: Any) -> str:
    """The JSON text every item attribute holds."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
