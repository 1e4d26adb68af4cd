"""The state table's one global secondary index, ``byStatusTime``.

SearchWfRun's entries (store/run_index.py), the record searches'
(store/record_index.py) and CorrelatedEvents' (store/correlated.py) share
it: ``gsi1pk`` names what is searched, ``gsi1sk`` starts with a time in
zero-padded milliseconds, so results come newest first and a time window is
a key range.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX = "byStatusTime"
TIME_DIGITS = 13


def window(earliest: int | None, latest: int | None) -> tuple[str, str]:
    """The sort-key range of a time window, both ends included."""
    low = "0" * TIME_DIGITS if earliest is None else f"{earliest:0{TIME_DIGITS}d}"
    high = "9" * TIME_DIGITS + "~" if latest is None else f"{latest:0{TIME_DIGITS}d}~"
    return low, high


def newest_first(
    client: DynamoDBClient,
    table: str,
    values: dict[str, Any],
    filter_expression: str | None,
    limit: int,
    exclusive: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """Up to ``limit`` + 1 entries of the range ``:p`` / ``:lo``..``:hi`` after
    ``exclusive``, newest first: one more than a page says whether more follow."""
    kwargs: dict[str, Any] = {}
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    found: list[dict[str, Any]] = []
    while True:
        if exclusive:
            kwargs["ExclusiveStartKey"] = exclusive
        page = client.query(
            TableName=table,
            IndexName=INDEX,
            KeyConditionExpression="gsi1pk = :p AND gsi1sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit + 1,
            **kwargs,
        )
        found.extend(page.get("Items", []))
        exclusive = page.get("LastEvaluatedKey")
        if len(found) > limit or not exclusive:
            return found


_KEY = ("pk", "sk", "gsi1pk", "gsi1sk")


def encode_position(item: dict[str, Any]) -> str:
    """A bookmark resuming after ``item``: its table and index keys."""
    return encode_bookmark({name: item[name]["S"] for name in _KEY})


def decode_position(bookmark: str, partition: str) -> dict[str, Any]:
    """The start key of a bookmark of a search of ``partition``; ValueError otherwise."""
    try:
        value = decode_bookmark(bookmark)
        key = {name: {"S": str(value[name])} for name in _KEY}
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a bookmark of this search") from exc
    if key["gsi1pk"]["S"] != partition:
        raise ValueError("bookmark from another search")
    return key
