"""WorkflowMigrationPlans: stored in the metadata table, listed by name and by WfSpec.

A plan lives at ``WorkflowMigrationPlan#<name>`` (LittleHorse's
``WorkflowMigrationPlan`` as JSON) and is listed twice in the catalog's
index partitions (store/catalog.py): ``idx#WorkflowMigrationPlan`` by name,
for SearchWorkflowMigrationPlan by prefix, and
``idx#WorkflowMigrationPlanByWfSpec#<old WfSpec name>`` by name, for the
search by ``wfSpecName``. The three items are written and deleted in one
transaction, so a search never names a plan that is not there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.store.catalog import INDEX_PREFIX, Catalog

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KIND = "WorkflowMigrationPlan"
BY_WF_SPEC = "WorkflowMigrationPlanByWfSpec#"
_SK = "def"


class PlanMissing(Exception):
    """The plan to delete is not there (or another request deleted it first)."""


class MigrationPlanStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put(self, plan: dict[str, Any]) -> None:
        """Store a plan, replacing one of the same name (LittleHorse's metadata put)."""
        previous = self.get(_name(plan))
        items: list[Any] = []
        if previous is not None and _spec_name(previous) != _spec_name(plan):
            items.append({"Delete": {"TableName": self._table, "Key": _by_spec(previous)}})
        items.extend(
            {"Put": {"TableName": self._table, "Item": item}}
            for item in (
                {**_key(_name(plan)), "body": {"S": json.dumps(plan, separators=(",", ":"))}},
                _by_name(plan),
                _by_spec(plan),
            )
        )
        self._client.transact_write_items(TransactItems=items)

    def get(self, name: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(name), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        plan: dict[str, Any] = json.loads(item["body"]["S"])
        return plan

    def delete(self, plan: dict[str, Any]) -> None:
        """Delete a plan and its listings; :class:`PlanMissing` if it is already gone."""
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": _key(_name(plan)),
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {"Delete": {"TableName": self._table, "Key": _by_name(plan)}},
            {"Delete": {"TableName": self._table, "Key": _by_spec(plan)}},
        ]
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                raise PlanMissing(_name(plan)) from None
            raise

    def search(
        self, wf_spec_name: str | None, prefix: str, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """Plan names, in order: of one old WfSpec, or starting with ``prefix``.

        Raises ValueError for a bookmark this search did not hand out.
        """
        catalog = Catalog(self._client, self._table)
        if wf_spec_name is not None:
            return catalog.search(BY_WF_SPEC + wf_spec_name, "", limit, bookmark)
        return catalog.search(KIND, prefix, limit, bookmark)


def _name(plan: dict[str, Any]) -> str:
    return str(plan["workflowMigrationPlanId"]["name"])


def _spec_name(plan: dict[str, Any]) -> str:
    return str(plan["oldWfSpec"]["name"])


def _key(name: str) -> dict[str, Any]:
    return {"pk": {"S": f"{KIND}#{name}"}, "sk": {"S": _SK}}


def _by_name(plan: dict[str, Any]) -> dict[str, Any]:
    return {"pk": {"S": INDEX_PREFIX + KIND}, "sk": {"S": _name(plan)}}


def _by_spec(plan: dict[str, Any]) -> dict[str, Any]:
    return {"pk": {"S": INDEX_PREFIX + BY_WF_SPEC + _spec_name(plan)}, "sk": {"S": _name(plan)}}
