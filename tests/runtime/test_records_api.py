"""ListTaskRuns and GetExternalEvent through the local stack's HTTP API."""

from __future__ import annotations

import pytest
from canter import Client, WorkflowThread
from canter.client import NotFound
from google.protobuf.json_format import ParseDict
from littlehorse.model import ExternalEvent, TaskRunList

from .support import Names, int_input, register, worker


def test_list_task_runs_ended_and_in_flight(client: Client, names: Names) -> None:
    task, event = names("inc"), names("go")

    def body(t: WorkflowThread) -> None:
        n = t.declare_int("n", 1)
        t.execute(task, n)
        t.execute(task, n)
        t.wait_for_event(event)

    register(client, names("wf"), body, {task: int_input()}, events=(event,))
    with worker(client, {task: lambda n: n + 1}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)
        page = client.call("ListTaskRuns", {"wfRunId": {"id": wf_run_id}})
        while len(page["results"]) < 2 or any(
            r.get("status") != "TASK_SUCCESS" for r in page["results"]
        ):
            page = client.call("ListTaskRuns", {"wfRunId": {"id": wf_run_id}})
    ParseDict(page, TaskRunList())
    assert [r["id"]["taskGuid"] for r in page["results"]] == ["0-1", "0-2"]
    # Pages are of NodeRuns: one that ran no task leaves its page short.
    request = {"wfRunId": {"id": wf_run_id}, "limit": 1}
    paged = []
    while True:
        one = client.call("ListTaskRuns", request)
        assert len(one["results"]) <= 1
        paged += [r["id"]["taskGuid"] for r in one["results"]]
        if "bookmark" not in one:
            break
        request["bookmark"] = one["bookmark"]
    assert paged == ["0-1", "0-2"]
    with pytest.raises(NotFound):
        client.list_task_runs(names("missing"))


def test_list_task_runs_shows_a_task_waiting_for_a_worker(client: Client, names: Names) -> None:
    task = names("nobody")

    def body(t: WorkflowThread) -> None:
        t.execute(task)

    register(client, names("wf"), body, {task: {}})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=20)
    runs = client.list_task_runs(wf_run_id)
    ParseDict({"results": runs}, TaskRunList())
    # TASK_SCHEDULED is the enum default, absent in proto3 JSON.
    assert [(r["id"]["taskGuid"], r.get("status")) for r in runs] == [("0-1", None)]


def test_get_external_event(client: Client, names: Names) -> None:
    event = names("go")

    def body(t: WorkflowThread) -> None:
        t.wait_for_event(event)

    register(client, names("wf"), body, events=(event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.put_external_event(wf_run_id, event, "hi", guid="g1")
    client.wait_for_wf_run(wf_run_id, timeout=20)
    got = client.get_external_event(wf_run_id, event, "g1")
    ParseDict(got, ExternalEvent())
    assert got["content"] == {"str": "hi"}
    assert got["claimed"] is True
    with pytest.raises(NotFound, match="guid 'g2'"):
        client.get_external_event(wf_run_id, event, "g2")
