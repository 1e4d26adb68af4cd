"""BatchWriteItem in chunks of 25, retrying what DynamoDB left unprocessed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_WRITE_MAX = 25


def batch_write(client: DynamoDBClient, table: str, requests: Sequence[Any]) -> None:
    for start in range(0, len(requests), BATCH_WRITE_MAX):
        pending: dict[str, Any] = {table: list(requests[start : start + BATCH_WRITE_MAX])}
        delay = 0.05
        while pending:
            unprocessed = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
            pending = {name: items for name, items in unprocessed.items() if items}
            if pending:
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
