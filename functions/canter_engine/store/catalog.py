"""The metadata table's search index: one small item per definition.

A definition lives under its own key (``TaskDef#<name>``, ``WfSpec#<name>``
with a version sort key); searching by name prefix needs the names of one
kind together, so each put also writes an index item under ``idx#<kind>``
whose sort key is the name (and, for a WfSpec, the version). A WfSpec also
gets one index item per TaskDef it uses, under ``idx#WfSpecByTaskDef#<task>``,
for SearchWfSpec by ``taskDefName``. A UserTaskDef is versioned too: one
item per version, sort key ``<name>#<version>``. Index and definition are written and
deleted in one transaction, so a search never names a definition that is
not there, and one that is there is always found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX_PREFIX = "idx#"
BY_TASK_DEF = "WfSpecByTaskDef#"
# Versioned like a WfSpec: one index entry per version, ``<name>#<version>``.
VERSIONED_USER_TASK_DEF = "UserTaskDef"
# DynamoDB's limit on a sort key.
MAX_SORT_KEY_BYTES = 1024


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """Where one definition is listed: its index partition and sort key."""

    partition: str
    sort: str

    def key(self) -> dict[str, Any]:
        return {"pk": {"S": INDEX_PREFIX + self.partition}, "sk": {"S": self.sort}}


def entries_for(pk: str, sk: str, body: dict[str, Any]) -> list[IndexEntry]:
    """The index entries of the definition stored at (``pk``, ``sk``)."""
    kind, _, name = pk.partition("#")
    sort = f"{name}#{sk}"
    if kind == VERSIONED_USER_TASK_DEF:
        return [IndexEntry(kind, sort)]
    if kind != "WfSpec":
        return [IndexEntry(kind, name)]
    return [
        IndexEntry(kind, sort),
        *(IndexEntry(BY_TASK_DEF + task, sort) for task in sorted(body.get("taskDefs", {}))),
    ]


def wf_spec_version(sort: str) -> tuple[str, int, int]:
    """(name, major version, revision) from a WfSpec index sort key."""
    name, _, version = sort.rpartition("#")
    major, _, revision = version.partition(".")
    return name, int(major), int(revision)


def user_task_def_version(sort: str) -> tuple[str, int]:
    """(name, version) from a UserTaskDef index sort key."""
    name, _, version = sort.rpartition("#")
    return name, int(version)


class Catalog:
    """Reads the index: names of one kind by prefix, a page at a time."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def search(
        self, partition: str, prefix: str, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """Sort keys under ``idx#<partition>`` starting with ``prefix``, in order.

        Raises ValueError for a bookmark this search did not hand out.
        """
        values: dict[str, Any] = {":pk": {"S": INDEX_PREFIX + partition}}
        condition = "pk = :pk"
        if prefix:
            condition += " AND begins_with(sk, :p)"
            values[":p"] = {"S": prefix}
        kwargs: dict[str, Any] = {}
        if bookmark:
            kwargs["ExclusiveStartKey"] = _decode(bookmark, INDEX_PREFIX + partition, prefix)
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            Limit=limit,
            **kwargs,
        )
        sorts = [item["sk"]["S"] for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return sorts, (_encode(last) if last else None)


def _encode(key: dict[str, Any]) -> str:
    return encode_bookmark({"p": key["pk"]["S"], "s": key["sk"]["S"]})


def _decode(bookmark: str, pk: str, prefix: str) -> dict[str, Any]:
    """The start key of a bookmark this search handed out.

    DynamoDB refuses a start key outside the query's key condition or longer
    than a sort key, so a bookmark of another search (or a forged one) is
    refused here, as ValueError, before it reaches the query.
    """
    try:
        value = decode_bookmark(bookmark)
        found_pk, sort = value["p"], value["s"]
        encoded = sort.encode()
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError("not a bookmark of this search") from exc
    if found_pk != pk or not sort.startswith(prefix) or len(encoded) > MAX_SORT_KEY_BYTES:
        raise ValueError("bookmark from another search")
    return {"pk": {"S": found_pk}, "sk": {"S": sort}}
