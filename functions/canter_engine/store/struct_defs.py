"""StructDefs in the metadata table: versions of one name, and their search index.

A version lives at ``StructDef#<name>`` / ``<version:08d>``, so the latest is
the last of its partition; it is written with its catalog entry
(``idx#StructDef`` / ``<name>#<version:08d>``, store/catalog.py) in one
transaction, conditional on the version being new, so two puts racing for
one version cannot both win.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.store.catalog import INDEX_PREFIX, Catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KIND = "StructDef"


class VersionTaken(Exception):
    """Another put wrote this version first."""


def _pk(name: str) -> str:
    return f"{KIND}#{name}"


def _sk(version: int) -> str:
    return f"{version:08d}"


def index_sort(name: str, version: int) -> str:
    return f"{name}#{_sk(version)}"


def parse_index_sort(sort: str) -> tuple[str, int]:
    name, _, version = sort.rpartition("#")
    return name, int(version)


class StructDefStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def catalog(self) -> Catalog:
        return Catalog(self._client, self._table)

    def get(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """One version, or the latest when ``version`` is None."""
        if version is not None:
            item = self._client.get_item(
                TableName=self._table,
                Key={"pk": {"S": _pk(name)}, "sk": {"S": _sk(version)}},
                ConsistentRead=True,
            ).get("Item")
        else:
            items = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": _pk(name)}},
                ScanIndexForward=False,
                Limit=1,
                ConsistentRead=True,
            ).get("Items", [])
            item = items[0] if items else None
        return None if item is None else dict(json.loads(item["body"]["S"]))

    def put(self, struct_def: dict[str, Any]) -> None:
        name, version = struct_def["id"]["name"], int(struct_def["id"].get("version", 0))
        body = json.dumps(struct_def, separators=(",", ":"))
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                "pk": {"S": _pk(name)},
                                "sk": {"S": _sk(version)},
                                "body": {"S": body},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": _index_key(name, version)}},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise VersionTaken(f"{name} version {version}") from None
            raise

    def delete(self, name: str, version: int) -> bool:
        """Delete one version and its index entry; False when it is not there."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": _pk(name)}, "sk": {"S": _sk(version)}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {"Delete": {"TableName": self._table, "Key": _index_key(name, version)}},
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True


def _index_key(name: str, version: int) -> dict[str, Any]:
    return {"pk": {"S": INDEX_PREFIX + KIND}, "sk": {"S": index_sort(name, version)}}
