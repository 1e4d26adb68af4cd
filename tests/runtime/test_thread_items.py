"""A WfRun whose threads are items of their own (store/thread_items.py) under
faults: thread items written for a commit that never happened must neither
be read nor change the result (invariants 2 and 3)."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.local import LocalStack
from canter_engine import resources
from canter_engine.handlers import faults, runtime
from canter_engine.store import blob
from canter_engine.store.payloads import INLINE_BYTES, REF
from canter_engine.store.thread_items import INLINE_THREADS, THREAD_PREFIX

from .support import (
    Names,
    crashing_every_first_try,
    int_input,
    node_statuses,
    register,
    worker,
)
from .test_large_values import largest_state_item, stored_objects, text_of

pytestmark = pytest.mark.e2e

# Enough children for the threads to be items of their own.
CHILDREN = INLINE_THREADS + 2


def fan_out(task: str) -> Any:
    """Each child runs the task on its item; the parent sums what they return."""

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items").required()
        total = t.declare_int("total", 0)

        def child(c: WorkflowThread) -> None:
            c.mutate(total, "ADD", c.execute(task, c.declare_int("INPUT"), timeout_seconds=30))

        t.wait_for_threads(t.spawn_thread_for_each(items, child, "child"))

    return body


def outcome(client: Client, wf_run_id: str) -> tuple[Any, ...]:
    wf_run = client.wait_for_wf_run(wf_run_id, timeout=60)
    return (
        wf_run["status"],
        sorted(t["status"] for t in wf_run["threadRuns"]),
        client.get_variable(wf_run_id, "total"),
        sorted(node_statuses(client, wf_run_id)),
    )


@pytest.mark.parametrize("point", [faults.BEFORE_COMMIT, faults.AFTER_COMMIT])
def test_a_crash_around_a_wide_commit_changes_nothing(
    client: Client, names: Names, point: str
) -> None:
    """Every commit first crashes after its thread items are written (before or
    after its head): the stale items are ignored and the WfRun ends as it
    does without faults."""
    task = names("double")
    register(client, names("wf"), fan_out(task), {task: int_input()})
    items = {"items": list(range(1, CHILDREN + 1))}
    with worker(client, {task: lambda n: n * 2}):
        expected = outcome(client, client.run_wf(names("wf"), items)["id"]["id"])
        with crashing_every_first_try(point) as hits:
            wf_run_id = client.run_wf(names("wf"), items)["id"]["id"]
            result = outcome(client, wf_run_id)
    assert hits[point] >= 2, f"{point} was never reached"
    assert expected[0] == "COMPLETED" and expected[2] == 2 * sum(range(1, CHILDREN + 1))
    assert result == expected


def test_each_thread_is_an_item_of_its_own(client: Client, names: Names) -> None:
    """The head holds no thread once a WfRun has several; a reader of one thread
    reads the head and that thread's item only."""
    task = names("double")
    register(client, names("wf"), fan_out(task), {task: int_input()})
    with worker(client, {task: lambda n: n * 2}):
        wf_run_id = client.run_wf(names("wf"), {"items": list(range(CHILDREN))})["id"]["id"]
        client.wait_for_wf_run(wf_run_id, timeout=60)
    store = runtime.current().state
    head = store.load_head(wf_run_id)
    assert head is not None and head.marks is not None
    assert sorted(head.marks) == list(range(CHILDREN + 1))
    one = store.load_head(wf_run_id, 2)
    assert one is not None and [t["n"] for t in one.state["th"]] == [2]


def test_a_thread_items_large_values_are_in_the_payload_bucket(
    client: Client, stack: LocalStack, names: Names
) -> None:
    """Each child holds a value over the inline limit: its thread item names it
    by reference, as the head does; reads give the whole value back, and
    DeleteWfRun removes the objects."""
    task = names("echo")

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items").required()

        def child(c: WorkflowThread) -> None:
            c.mutate(c.declare_str("out"), "ASSIGN", c.execute(task, c.declare_str("INPUT")))

        t.wait_for_threads(t.spawn_thread_for_each(items, child, "child"))

    register(client, names("wf"), body, {task: {"inputVars": [{"name": "s", "type": "STR"}]}})
    texts = [text_of(INLINE_BYTES + 1000) for _ in range(CHILDREN)]
    with worker(client, {task: lambda s: s}):
        wf_run_id = client.run_wf(names("wf"), {"items": texts})["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=60)["status"] == "COMPLETED"
    threads = stored_threads(stack, wf_run_id)
    assert len(threads) == CHILDREN + 1
    assert all(f'"{REF}"'.encode() in body for n, body in threads.items() if n > 0)
    assert largest_state_item(wf_run_id) < 8 * 1024
    head = runtime.current().state.load_head(wf_run_id)
    assert head is not None
    # Read back whole: the head and every thread item's references resolved.
    state = json.dumps(head.state)
    assert REF not in state and all(text in state for text in texts)
    outs = [client.get_variable(wf_run_id, "out", n) for n in range(1, CHILDREN + 1)]
    assert sorted(outs) == sorted(texts)
    client.delete_wf_run(wf_run_id)
    deadline = time.monotonic() + 20
    while stored_objects(stack, wf_run_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not stored_objects(stack, wf_run_id)
    assert not stored_threads(stack, wf_run_id)


def stored_threads(stack: LocalStack, wf_run_id: str) -> dict[int, bytes]:
    """The WfRun's thread items' bodies, decompressed, by thread number."""
    ddb = boto3.client("dynamodb", endpoint_url=stack.endpoint_url)
    items = ddb.query(
        TableName=resources.STATE_TABLE.physical_name("local"),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :t)",
        ExpressionAttributeValues={":pk": {"S": wf_run_id}, ":t": {"S": THREAD_PREFIX}},
    )["Items"]
    return {
        int(i["sk"]["S"][len(THREAD_PREFIX) :]): json.dumps(
            blob.unpack(bytes(i["body"]["B"]))
        ).encode()
        for i in items
    }


def test_node_runs_of_a_wide_wf_run_are_listed_a_page_at_a_time(
    client: Client, names: Names
) -> None:
    """ListNodeRuns of a WfRun whose children are still waiting: pages of 7 give
    every NodeRun once, in order, those in progress included, as the listing
    of each thread does; the parent's wait in progress shows every child."""
    children = CHILDREN
    event = names("go")

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items").required()
        t.wait_for_threads(
            t.spawn_thread_for_each(items, lambda c: c.wait_for_event(event), "child")
        )

    register(client, names("wf"), body, events=(event,))
    wf_run_id = client.run_wf(names("wf"), {"items": list(range(children))})["id"]["id"]
    deadline = time.monotonic() + 60
    while len(client.list_node_runs(wf_run_id, children)) < 2:
        assert time.monotonic() < deadline, "the children never started"
        time.sleep(0.2)
    each = [n for t in range(children + 1) for n in client.list_node_runs(wf_run_id, t)]
    paged: list[dict[str, Any]] = []
    request: dict[str, Any] = {"wfRunId": {"id": wf_run_id}, "limit": 7}
    while True:
        found = client.call("ListNodeRuns", request)
        assert len(found["results"]) <= 7
        paged.extend(found["results"])
        if not found.get("bookmark"):
            break
        request = {**request, "bookmark": found["bookmark"]}
    assert [n["id"] for n in paged] == [n["id"] for n in each]
    assert sum(n["status"] == "RUNNING" for n in paged) == children + 1
    wait = client.get_node_run(wf_run_id, 0, 2)
    assert len(wait["waitForThreads"]["threads"]) == children
