"""BulkJobs: stored in the metadata table, listed by id and by status.

A job lives at ``BulkJob#<id>`` (LittleHorse's ``BulkJob`` as JSON) and is
listed twice in the catalog's index partitions (store/catalog.py):
``idx#BulkJob`` for SearchBulkJob without a status, and
``idx#BulkJobByStatus#<status>`` for the search by status. A job's status
moves its second listing; the items change in one transaction, so a search
never names a job that is not there or lists it under a status it left.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.store.catalog import INDEX_PREFIX, Catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KIND = "BulkJob"
BY_STATUS = "BulkJobByStatus#"
_SK = "def"


class JobExists(Exception):
    """A job of that id is already stored."""


class JobMissing(Exception):
    """The job is not there (or another request deleted it first)."""


class BulkJobStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def create(self, job: dict[str, Any]) -> None:
        """Store a new job; :class:`JobExists` if its id is taken."""
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(job),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": _by_id(job)}},
            {"Put": {"TableName": self._table, "Item": _by_status(job)}},
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise JobExists(job_id(job)) from None
            raise

    def get(self, bulk_job_id: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(bulk_job_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        job: dict[str, Any] = json.loads(item["body"]["S"])
        return job

    def update(self, previous: dict[str, Any], job: dict[str, Any]) -> None:
        """Record a job's progress; :class:`JobMissing` if it was deleted meanwhile."""
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(job),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        if status(previous) != status(job):
            items.append({"Delete": {"TableName": self._table, "Key": _by_status(previous)}})
            items.append({"Put": {"TableName": self._table, "Item": _by_status(job)}})
        self._write(items, job)

    def delete(self, job: dict[str, Any]) -> None:
        """Delete a job and its listings; :class:`JobMissing` if it is already gone."""
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _key(job_id(job)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {"Delete": {"TableName": self._table, "Key": _by_id(job)}},
            {"Delete": {"TableName": self._table, "Key": _by_status(job)}},
        ]
        self._write(items, job)

    def search(
        self, job_status: str | None, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """Job ids in order: all, or those of one status.

        Raises ValueError for a bookmark this search did not hand out.
        """
        catalog = Catalog(self._client, self._table)
        if job_status is not None:
            return catalog.search(BY_STATUS + job_status, "", limit, bookmark)
        return catalog.search(KIND, "", limit, bookmark)

    def _write(self, items: list[Any], job: dict[str, Any]) -> None:
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise JobMissing(job_id(job)) from None
            raise


def job_id(job: dict[str, Any]) -> str:
    return str(job["id"]["id"])


def status(job: dict[str, Any]) -> str:
    return str(job.get("status", "BULK_JOB_RUNNING"))


def _key(bulk_job_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{KIND}#{bulk_job_id}"}, "sk": {"S": _SK}}


def _item(job: dict[str, Any]) -> dict[str, Any]:
    return {**_key(job_id(job)), "body": {"S": json.dumps(job, separators=(",", ":"))}}


def _by_id(job: dict[str, Any]) -> dict[str, Any]:
    return {"pk": {"S": INDEX_PREFIX + KIND}, "sk": {"S": job_id(job)}}


def _by_status(job: dict[str, Any]) -> dict[str, Any]:
    return {"pk": {"S": INDEX_PREFIX + BY_STATUS + status(job)}, "sk": {"S": job_id(job)}}
