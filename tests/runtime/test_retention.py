"""WfSpec retention through the local stack: a terminated WfRun is deleted once its
retention has passed, by DynamoDB TTL (``canter dev`` sweeps expired items itself).

LittleHorse's WorkflowRetentionPolicy; the workflow is compiled by its SDK.
"""

from __future__ import annotations

import time

import boto3
import pytest
from canter import Client
from canter.client import CanterError
from canter.local import LocalStack
from canter.local.stack import LOCAL_STAGE
from canter_engine import resources
from google.protobuf.json_format import MessageToDict
from littlehorse.model import WorkflowRetentionPolicy
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names, is_deleted, worker

pytestmark = pytest.mark.e2e


def _register(client: Client, names: Names, seconds: int | None) -> str:
    task = names("work")
    client.put_task_def({"name": task})

    def body(wf: WorkflowThread) -> None:
        wf.declare_int("n", 1).searchable()
        wf.execute(task)

    workflow = Workflow(names("wf"), body)
    if seconds is not None:
        workflow.with_retention_policy(
            WorkflowRetentionPolicy(seconds_after_wf_termination=seconds)
        )
    client.put_wf_spec(MessageToDict(workflow.compile()))
    return task


def _items(stack: LocalStack, wf_run_id: str) -> int:
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    table = resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE)
    found = ddb.query(
        TableName=table,
        KeyConditionExpression="wfRunId = :id",
        ExpressionAttributeValues={":id": {"S": wf_run_id}},
    )
    return int(found["Count"])


def test_a_completed_run_is_deleted_after_its_retention(
    client: Client, names: Names, stack: LocalStack
) -> None:
    task = _register(client, names, 1)
    with worker(client, {task: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=20)
    assert is_deleted(client, wf_run_id, timeout=15), "the WfRun outlived its retention"
    assert client.search_wf_run(names("wf"))["results"] == []
    found = client.call(
        "SearchVariable", {"wfSpecName": names("wf"), "varName": "n", "value": {"int": 1}}
    )
    assert found.get("results", []) == []
    assert _items(stack, wf_run_id) == 0, "journal records, the marker among them, are gone"


def test_without_a_retention_policy_the_run_stays(client: Client, names: Names) -> None:
    task = _register(client, names, None)
    with worker(client, {task: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=20)
    assert not is_deleted(client, wf_run_id, timeout=3)


def test_a_run_deleted_before_its_retention_ends_leaves_nothing_behind(
    client: Client, names: Names, stack: LocalStack
) -> None:
    task = _register(client, names, 2)
    with worker(client, {task: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=20)
    client.delete_wf_run(wf_run_id)
    assert is_deleted(client, wf_run_id, timeout=10)
    time.sleep(3)
    assert _items(stack, wf_run_id) == 0
    again = client.run_wf(names("wf"), id=wf_run_id)["id"]["id"]
    assert again == wf_run_id, "the id is free for a new run"


def test_a_negative_retention_is_refused(client: Client, names: Names) -> None:
    def body(wf: WorkflowThread) -> None:
        wf.declare_int("n")

    request = MessageToDict(Workflow(names("wf"), body).compile())
    request["retentionPolicy"] = {"secondsAfterWfTermination": "-5"}
    with pytest.raises(CanterError) as refused:
        client.put_wf_spec(request)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert "secondsAfterWfTermination: -5 is negative" in refused.value.message
