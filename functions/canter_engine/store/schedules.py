"""ScheduledWfRuns: stored in the metadata table, listed by WfSpec name.

A ScheduledWfRun lives at ``ScheduledWfRun#<id>`` and is listed at
``idx#ScheduledWfRun`` under ``<wfSpecName>#<major>.<revision>#<id>``
(the WfSpec version it was scheduled against), both written and
deleted in one transaction, so SearchScheduledWfRun and the local stack's
scheduler loop never see one without the other. The stored body is
LittleHorse's ``ScheduledWfRun`` plus, beside it, the version the request
asked for (``requested``): each firing resolves the WfSpec version as that
request would, as LittleHorse's ScheduleWfRunCommand does.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SK = "def"
_INDEX = "idx#ScheduledWfRun"


class ScheduleExists(Exception):
    """A ScheduledWfRun with that id is already stored."""


class ScheduleStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put(self, body: dict[str, Any]) -> None:
        """Store a new ScheduledWfRun; :class:`ScheduleExists` if its id is taken."""
        scheduled = body["scheduled"]
        schedule_id = str(scheduled["id"]["id"])
        listed = _listed(scheduled)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                "pk": {"S": _pk(schedule_id)},
                                "sk": {"S": _SK},
                                "body": {"S": json.dumps(body, separators=(",", ":"))},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {"pk": {"S": _INDEX}, "sk": {"S": listed}},
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise ScheduleExists(schedule_id) from None
            raise

    def get(self, schedule_id: str) -> dict[str, Any] | None:
        """The stored body (``scheduled`` and ``requested``), or None."""
        item = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": _pk(schedule_id)}, "sk": {"S": _SK}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        body: dict[str, Any] = json.loads(item["body"]["S"])
        return body

    def delete(self, scheduled: dict[str, Any]) -> None:
        """Delete a ScheduledWfRun (LittleHorse's message, as stored) and its listing."""
        schedule_id = str(scheduled["id"]["id"])
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": _pk(schedule_id)}, "sk": {"S": _SK}},
                    }
                },
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": _INDEX}, "sk": {"S": _listed(scheduled)}},
                    }
                },
            ]
        )

    def ids(
        self, wf_spec_name: str = "", major_version: int | None = None, revision: int | None = None
    ) -> list[str]:
        """The ids of the ScheduledWfRuns of one WfSpec (version), or all of them for ""."""
        prefix = f"{wf_spec_name}#" if wf_spec_name else ""
        if wf_spec_name and major_version is not None:
            prefix += f"{major_version:08d}."
            if revision is not None:
                prefix += f"{revision:08d}#"
        found: list[str] = []
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": _INDEX}},
                "ConsistentRead": True,
            }
            if prefix:
                # DynamoDB refuses an empty begins_with: all of them is the partition alone.
                kwargs["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
                kwargs["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self._client.query(**kwargs)
            found.extend(item["sk"]["S"].rpartition("#")[2] for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                return found


def _listed(scheduled: dict[str, Any]) -> str:
    spec = scheduled["wfSpecId"]
    version = f"{int(spec.get('majorVersion', 0)):08d}.{int(spec.get('revision', 0)):08d}"
    return f"{spec['name']}#{version}#{scheduled['id']['id']}"


def _pk(schedule_id: str) -> str:
    return f"ScheduledWfRun#{schedule_id}"
