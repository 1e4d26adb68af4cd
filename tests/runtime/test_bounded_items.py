"""Invariant 5: a WfRun that loops 10,000 times works, its state stays the
size it was after 10 iterations, and its head stays inside one billed kilobyte
(the NodeRuns it holds leave in pages when they would not)."""

from __future__ import annotations

import json

import boto3
import pytest
from canter import Client, WorkflowThread
from canter_engine import resources
from canter_engine.handlers import runtime
from canter_engine.store.item_size import item_size

from .support import Names, register

pytestmark = pytest.mark.e2e


def head_bytes(wf_run_id: str) -> int:
    item = boto3.client("dynamodb").get_item(
        TableName=resources.STATE_TABLE.physical_name("local"),
        Key={"pk": {"S": wf_run_id}, "sk": {"S": "wfrun"}},
    )["Item"]
    return item_size(item)


def test_head_does_not_grow_with_loop_iterations(client: Client, names: Names) -> None:
    def body(t: WorkflowThread) -> None:
        count = t.declare_int("count").required()
        i = t.declare_int("i", 0)
        t.do_while(i.is_less_than(count), lambda b: b.mutate(i, "ADD", 1))
        t.sleep_seconds(600)

    register(client, names("wf"), body)
    sizes = {}
    for count in (10, 10_000):
        wf_run_id = client.run_wf(names("wf"), {"count": count})["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=60)
        assert client.variables(wf_run_id)["i"] == count
        assert head_bytes(wf_run_id) <= 1024
        head = runtime.current().state.load_head(wf_run_id)
        assert head is not None
        sizes[count] = len(json.dumps(head.state))
        assert len(client.list_node_runs(wf_run_id)) > 2 * count
    assert abs(sizes[10_000] - sizes[10]) < 64, sizes
