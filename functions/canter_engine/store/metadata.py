"""TaskDefs, ExternalEventDefs, versioned WfSpecs and versioned UserTaskDefs.

A WfSpec version is stored together with the TaskDefs it referenced when it
was put, so the scheduler builds a Blueprint from one read and a later
change to a TaskDef cannot change a running WfSpec under its WfRuns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.model.spec import TaskDef, WfSpec
from canter_engine.store.catalog import Catalog, entries_for

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SK = "def"


class AlreadyExists(Exception):
    """Another request registered the same version first."""


class Missing(Exception):
    """The definition to delete is not there (or another request deleted it first)."""


@dataclass(frozen=True, slots=True)
class StoredWfSpec:
    spec: WfSpec
    task_defs: dict[str, TaskDef]


class MetadataStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def catalog(self) -> Catalog:
        """The search index of these definitions."""
        return Catalog(self._client, self._table)

    def put_task_def(self, task_def: TaskDef) -> None:
        self._put(f"TaskDef#{task_def.id.name}", _SK, {"json": task_def.to_json()})

    def get_task_def(self, name: str) -> TaskDef | None:
        item = self._get(f"TaskDef#{name}", _SK)
        return None if item is None else TaskDef.model_validate(item["json"])

    def put_external_event_def(self, body: dict[str, Any]) -> None:
        name = str(body["id"]["name"])
        self._put(f"ExternalEventDef#{name}", _SK, {"json": body})

    def get_external_event_def(self, name: str) -> dict[str, Any] | None:
        item = self._get(f"ExternalEventDef#{name}", _SK)
        return None if item is None else dict(item["json"])

    def put_workflow_event_def(self, body: dict[str, Any]) -> None:
        name = str(body["id"]["name"])
        self._put(f"WorkflowEventDef#{name}", _SK, {"json": body})

    def get_workflow_event_def(self, name: str) -> dict[str, Any] | None:
        item = self._get(f"WorkflowEventDef#{name}", _SK)
        return None if item is None else dict(item["json"])

    # --- UserTaskDefs: versioned, one item per version (sort key the version) ---

    def put_user_task_def(self, body: dict[str, Any]) -> None:
        """Store a UserTaskDef version; AlreadyExists if another put took that version."""
        name, version = str(body["name"]), int(body.get("version", 0))
        self._put(
            f"UserTaskDef#{name}",
            _user_task_def_sk(version),
            {"json": body},
            condition="attribute_not_exists(pk)",
        )

    def get_user_task_def(self, name: str, version: int | None = None) -> dict[str, Any] | None:
        """A version, or the latest when ``version`` is None."""
        if version is not None:
            item = self._get(f"UserTaskDef#{name}", _user_task_def_sk(version))
            return None if item is None else dict(item["json"])
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"UserTaskDef#{name}"}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = page.get("Items", [])
        return dict(json.loads(items[0]["body"]["S"])["json"]) if items else None

    def delete_user_task_def(self, name: str, version: int) -> None:
        self._delete(f"UserTaskDef#{name}", _user_task_def_sk(version), {})

    def delete_definition(self, kind: str, name: str) -> None:
        """Delete a TaskDef, ExternalEventDef or WorkflowEventDef with its index entry."""
        self._delete(f"{kind}#{name}", _SK, {})

    def delete_wf_spec(self, stored: StoredWfSpec) -> None:
        spec_id = stored.spec.id
        body: dict[str, Any] = {"taskDefs": {name: {} for name in stored.task_defs}}
        self._delete(
            f"WfSpec#{spec_id.name}", _version_sk(spec_id.major_version, spec_id.revision), body
        )

    def put_wf_spec(self, stored: StoredWfSpec) -> None:
        spec_id = stored.spec.id
        body: dict[str, Any] = {
            "json": stored.spec.to_json(),
            "taskDefs": {name: td.to_json() for name, td in stored.task_defs.items()},
        }
        if stored.spec.struct_defs:
            body["structDefs"] = [
                {"name": name, "version": version, "structDef": schema}
                for (name, version), schema in sorted(stored.spec.struct_defs.items())
            ]
        self._put(
            f"WfSpec#{spec_id.name}",
            _version_sk(spec_id.major_version, spec_id.revision),
            body,
            condition="attribute_not_exists(pk)",
        )

    def replace_wf_spec(self, stored: StoredWfSpec) -> None:
        """Rewrite a stored version's body (MigrateWfSpec records its ``migration``).

        The version, its TaskDefs and so its index entries stay as they are;
        :class:`Missing` if the version was deleted meanwhile.
        """
        spec_id = stored.spec.id
        body = {
            "json": stored.spec.to_json(),
            "taskDefs": {name: td.to_json() for name, td in stored.task_defs.items()},
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"WfSpec#{spec_id.name}"},
                    "sk": {"S": _version_sk(spec_id.major_version, spec_id.revision)},
                    "body": {"S": json.dumps(body, separators=(",", ":"))},
                },
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Missing(f"WfSpec {spec_id.name} v{spec_id.major_version}") from None
            raise

    def get_wf_spec(
        self, name: str, major_version: int | None = None, revision: int | None = None
    ) -> StoredWfSpec | None:
        """A version, or the latest (of a major version) when parts are left out."""
        if major_version is not None and revision is not None:
            item = self._get(f"WfSpec#{name}", _version_sk(major_version, revision))
            return None if item is None else _stored(item)
        values: dict[str, Any] = {":pk": {"S": f"WfSpec#{name}"}}
        condition = "pk = :pk"
        if major_version is not None:
            condition += " AND begins_with(sk, :major)"
            values[":major"] = {"S": f"{major_version:08d}."}
        page = self._client.query(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = page.get("Items", [])
        return _stored(json.loads(items[0]["body"]["S"])) if items else None

    def _put(self, pk: str, sk: str, body: dict[str, Any], condition: str | None = None) -> None:
        """Write a definition and its search index entries in one transaction."""
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": {
                "pk": {"S": pk},
                "sk": {"S": sk},
                "body": {"S": json.dumps(body, separators=(",", ":"))},
            },
        }
        if condition:
            put["ConditionExpression"] = condition
        items: list[Any] = [{"Put": put}]
        items.extend(
            {"Put": {"TableName": self._table, "Item": e.key()}} for e in entries_for(pk, sk, body)
        )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _condition_failed(exc):
                raise AlreadyExists(f"{pk} {sk}") from None
            raise

    def _delete(self, pk: str, sk: str, body: dict[str, Any]) -> None:
        items: list[Any] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            }
        ]
        items.extend(
            {"Delete": {"TableName": self._table, "Key": e.key()}}
            for e in entries_for(pk, sk, body)
        )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _condition_failed(exc):
                raise Missing(f"{pk} {sk}") from None
            raise

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        body = json.loads(item["body"]["S"])
        return body if isinstance(body, dict) else None


def _condition_failed(exc: ClientError) -> bool:
    """A transaction cancelled because its first item's condition failed."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []
    if reasons:
        return reasons[0].get("Code") == "ConditionalCheckFailed"
    return "ConditionalCheckFailed" in str(exc)


def _user_task_def_sk(version: int) -> str:
    return f"{version:08d}"


def _version_sk(major_version: int, revision: int) -> str:
    return f"{major_version:08d}.{revision:08d}"


def _stored(item: dict[str, Any]) -> StoredWfSpec:
    struct_defs = {
        (d["name"], int(d["version"])): d["structDef"] for d in item.get("structDefs", [])
    }
    return StoredWfSpec(
        spec=WfSpec.model_validate(item["json"]).with_struct_defs(struct_defs),
        task_defs={
            name: TaskDef.model_validate(td) for name, td in item.get("taskDefs", {}).items()
        },
    )
