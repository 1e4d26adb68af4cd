"""A parent WfRun run again under a deleted id is a new run all the way down
(issue 11, item 1): the child WfRun its RUN_CHILD_WF starts is a new child,
although the child's id, derived from the parent's, may still hold the child
of the deleted run, ended or still running. Neither blocks the new parent nor
answers it."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound
from canter_engine.core.events import JournalEntry, RunRequested, to_journal
from canter_engine.handlers import runtime, scheduler
from canter_engine.store.journal import (
    DELETE_KIND,
    PARENT_INCARNATION,
    REPLACEMENT_INCARNATION,
    REPLACEMENT_RUN,
    RUN_EVENT_ID,
    delete_event_id,
    replace_event_id,
)
from google.protobuf.json_format import ParseDict
from littlehorse.model import WfRun

from .support import Names, int_input, register, wait_deleted, worker

pytestmark = pytest.mark.e2e


def parent_and_child(client: Client, names: Names, gate: str | None) -> tuple[str, str]:
    """A parent passing ``n`` to a child that returns ``3n`` (after ``gate``, if given):
    (parent spec, task)."""
    task = names("triple")

    def child(t: WorkflowThread) -> None:
        n = t.declare_int("n").required()
        if gate is not None:
            t.wait_for_event(gate)
        t.complete(t.execute(task, n))

    def parent(t: WorkflowThread) -> None:
        n = t.declare_int("n").required()
        result = t.declare_int("result")
        spawned = t.run_wf(names("child"), {"n": n})
        t.mutate(result, "ASSIGN", t.wait_for_child_wf(spawned))

    events = (gate,) if gate is not None else ()
    register(client, names("child"), child, {task: int_input()}, events)
    register(client, names("parent"), parent)
    return names("parent"), task


def deleted(client: Client, wf_run_id: str) -> None:
    client.delete_wf_run(wf_run_id)
    wait_deleted(client, wf_run_id, timeout=10)


def run_again(client: Client, spec: str, wf_run_id: str, n: int) -> None:
    """RunWf under the deleted id, as soon as the deletion has freed it."""
    deadline = time.monotonic() + 10
    while True:
        try:
            client.run_wf(spec, {"n": n}, id=wf_run_id)
            return
        except CanterError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def child_of(client: Client, wf_run_id: str) -> str:
    (node,) = [n for n in client.list_node_runs(wf_run_id) if "runChildWf" in n]
    return str(node["runChildWf"]["childWfRunId"]["id"])


def completed_with(client: Client, wf_run_id: str, result: int) -> None:
    wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
    assert ParseDict(wf_run, WfRun(), ignore_unknown_fields=True).status == 2  # COMPLETED
    assert client.variables(wf_run_id)["result"] == result


def test_run_again_after_the_child_ended_starts_a_new_child(client: Client, names: Names) -> None:
    """The old child COMPLETED and is still stored under the id the new
    parent's child takes: without a new child the new parent waits for ever."""
    spec, task = parent_and_child(client, names, None)
    wf_run_id = names("ended")
    with worker(client, {task: lambda n: n * 3}):
        client.run_wf(spec, {"n": 1}, id=wf_run_id)
        completed_with(client, wf_run_id, 3)
        old_child = child_of(client, wf_run_id)
        deleted(client, wf_run_id)
        run_again(client, spec, wf_run_id, 2)
        completed_with(client, wf_run_id, 6)
    assert child_of(client, wf_run_id) == old_child
    assert client.variables(old_child)["n"] == 2


def test_run_again_while_the_child_runs_takes_the_new_childs_result(
    client: Client, names: Names
) -> None:
    """The old child still waits on its event when the parent is deleted and
    run again: the new parent gets its own child's result, never the old's."""
    gate = names("go")
    spec, task = parent_and_child(client, names, gate)
    wf_run_id = names("running")
    client.run_wf(spec, {"n": 1}, id=wf_run_id)
    client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)
    deadline = time.monotonic() + 10
    while not any("runChildWf" in n for n in client.list_node_runs(wf_run_id)):
        assert time.monotonic() < deadline, "the parent never started its child"
        time.sleep(0.05)
    child = child_of(client, wf_run_id)
    client.wait_for_wf_run(child, ["RUNNING"], timeout=10)
    deleted(client, wf_run_id)
    run_again(client, spec, wf_run_id, 2)
    deadline = time.monotonic() + 10
    while True:
        try:
            if client.variables(child).get("n") == 2:
                break
        except NotFound:
            pass
        assert time.monotonic() < deadline, "the new parent's child never started"
        time.sleep(0.05)
    with worker(client, {task: lambda n: n * 3}):
        client.put_external_event(child, gate, True)
        completed_with(client, wf_run_id, 6)


def stream_record(
    seq: int, wf_run_id: str, event_id: str, entry: JournalEntry, incarnation: str
) -> dict[str, Any]:
    """A journal INSERT as the DynamoDB stream delivers it to the scheduler."""
    image = {
        "wfRunId": {"S": wf_run_id},
        "eventId": {"S": event_id},
        "kind": {"S": entry.kind},
        "body": {"S": json.dumps(entry.body)},
        "incarnation": {"S": incarnation},
    }
    keys = {"wfRunId": image["wfRunId"], "eventId": image["eventId"]}
    return {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": str(seq), "Keys": keys, "NewImage": image},
    }


def test_a_stale_delete_batched_before_a_new_run_does_not_drop_the_run(
    client: Client, names: Names
) -> None:
    """A second DeleteWfRun that lands after the first one emptied the journal
    is stale; the RunWf that follows it in the same stream batch still runs."""
    gate = names("go")
    register(client, names("wf"), lambda t: t.wait_for_event(gate) and None, events=(gate,))
    spec = client.get_wf_spec(names("wf"))["id"]
    wf_run_id = names("stale-delete")
    run = to_journal(
        RunRequested(
            wf_run_id, spec["name"], spec.get("majorVersion", 0), spec.get("revision", 0), {}, 1_000
        )
    )
    stale = JournalEntry(DELETE_KIND, {"time": 1_000})
    batch = [
        stream_record(1, wf_run_id, delete_event_id("old"), stale, "old"),
        stream_record(2, wf_run_id, RUN_EVENT_ID, run, "new"),
    ]
    assert scheduler.process_batch(batch, runtime.current()) == {"batchItemFailures": []}
    head = runtime.current().state.load_head(wf_run_id)
    assert head is not None and head.incarnation == "new"
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"


def head_incarnation(wf_run_id: str, wanted: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        head = runtime.current().state.load_head(wf_run_id)
        if head is not None and head.incarnation == wanted:
            return
        found = None if head is None else head.incarnation
        assert time.monotonic() < deadline, f"{wf_run_id} runs {found!r}, not {wanted!r}"
        time.sleep(0.05)


def test_a_replacement_that_finds_another_old_child_replaces_that_one(
    client: Client, names: Names
) -> None:
    """The parent deleted and run again twice in quick succession: the third
    run's replacement was journalled against the first run's child, but the
    second run's child holds the id when it applies. It is journalled again
    against that one, and the third run's child starts."""
    gate = names("go")
    register(client, names("child"), lambda t: t.wait_for_event(gate) and None, events=(gate,))
    spec = client.get_wf_spec(names("child"))["id"]
    parent, child = names("parent"), names("parent") + "_0-1"
    journal = runtime.current().journal

    def run_record(parent_incarnation: str) -> JournalEntry:
        entry = to_journal(
            RunRequested(
                child,
                spec["name"],
                spec.get("majorVersion", 0),
                spec.get("revision", 0),
                {},
                1_000,
                parent_wf_run_id=parent,
            )
        )
        entry.body[PARENT_INCARNATION] = parent_incarnation
        return entry

    assert journal.append(child, RUN_EVENT_ID, run_record("p2"), "c2")
    head_incarnation(child, "c2")
    replacement = JournalEntry(
        DELETE_KIND,
        {
            "time": 2_000,
            REPLACEMENT_RUN: run_record("p3").body,
            REPLACEMENT_INCARNATION: "c3",
        },
    )
    assert journal.append(child, replace_event_id("p3", "c1"), replacement, "c1")
    head_incarnation(child, "c3")
    record = journal.get_record(child, RUN_EVENT_ID)
    assert record is not None and record.entry.body[PARENT_INCARNATION] == "p3"
