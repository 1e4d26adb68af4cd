"""An ExternalEvent's items in the State table, removed when its retention runs out.

An unclaimed ExternalEvent of a WfRun is a record item (``event#<def>#<guid>``)
and a search entry (``idx#`` + that key, store/record_index.py) in the
WfRun's partition, unless the head still holds the record (store/held.py),
in which case the scheduler drops it from the head it commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canter_engine.store.batch import batch_write
from canter_engine.store.record_index import INDEX_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def event_sk(def_name: str, guid: str) -> str:
    """As ``core.state.ExternalEvent.sk``."""
    return f"event#{def_name}#{guid}"


def delete_event(client: DynamoDBClient, table: str, wf_run_id: str, sk: str) -> None:
    """Delete the record item and its search entry; absent ones are no error (idempotent)."""
    batch_write(
        client,
        table,
        [
            {"DeleteRequest": {"Key": {"pk": {"S": wf_run_id}, "sk": {"S": key}}}}
            for key in (sk, INDEX_PREFIX + sk)
        ],
    )
