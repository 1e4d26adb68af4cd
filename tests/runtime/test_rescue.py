"""RescueThreadRun through the local stack's HTTP API (LittleHorse's e2e RescueThreadRunTest).

The workflows are compiled by the official LittleHorse SDK; the WfRun each
answer describes parses into ``littlehorse.model.WfRun``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client
from canter.client import CanterError
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import VariableMutationType, WfRun
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names, int_input, node_statuses, worker

pytestmark = pytest.mark.e2e


def fails_until_fixed(task: str, after: str) -> Any:
    def body(wf: WorkflowThread) -> None:
        mutated = wf.declare_bool("did-mutation-happen", False)
        wf.execute(task, 1)
        wf.mutate(mutated, VariableMutationType.ASSIGN, True)
        wf.execute(after)

    return body


def _register(client: Client, names: Names) -> tuple[str, str]:
    task, after = names("flaky"), names("after")
    client.put_task_def({"name": task, **int_input()})
    client.put_task_def({"name": after})
    spec = Workflow(names("wf"), fails_until_fixed(task, after)).compile()
    client.put_wf_spec(MessageToDict(spec))
    return task, after


def _until(client: Client, wf_run_id: str, status: str) -> dict[str, Any]:
    return client.wait_for_wf_run(wf_run_id, (status,), timeout=20)


def test_a_task_that_failed_runs_again_once_fixed(client: Client, names: Names) -> None:
    task, after = _register(client, names)
    fixed = {"flag": False}

    def flaky(n: int) -> int:
        if not fixed["flag"]:
            raise RuntimeError("the downstream service is down")
        return n

    with worker(client, {task: flaky, after: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert _until(client, wf_run_id, "ERROR")["status"] == "ERROR"
        fixed["flag"] = True
        answer = client.rescue_thread_run(wf_run_id, 0)
        ParseDict(answer, WfRun())
        assert _until(client, wf_run_id, "COMPLETED")["status"] == "COMPLETED"
    statuses = [s for _, s in node_statuses(client, wf_run_id)]
    assert statuses[1:4] == ["ERROR", "COMPLETED", "COMPLETED"]
    assert client.variables(wf_run_id)["did-mutation-happen"] is True


def test_skip_current_node_goes_on_without_the_failed_node(client: Client, names: Names) -> None:
    task, after = _register(client, names)

    def broken(n: int) -> int:
        raise RuntimeError("never works")

    with worker(client, {task: broken, after: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        _until(client, wf_run_id, "ERROR")
        client.rescue_thread_run(wf_run_id, 0, skip_current_node=True)
        _until(client, wf_run_id, "COMPLETED")
    assert [s for _, s in node_statuses(client, wf_run_id)][1:3] == ["ERROR", "COMPLETED"]
    assert client.variables(wf_run_id)["did-mutation-happen"] is False


def test_refusals_name_the_reason(client: Client, names: Names) -> None:
    """cantRescueIfThreadIsntError: FAILED_PRECONDITION; a missing thread is INVALID_ARGUMENT."""
    task, after = _register(client, names)
    with worker(client, {task: lambda n: n, after: lambda: None}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        _until(client, wf_run_id, "COMPLETED")
    with pytest.raises(CanterError) as refused:
        client.rescue_thread_run(wf_run_id, 0)
    assert refused.value.code == "FAILED_PRECONDITION"
    assert refused.value.status == 412
    assert "has status COMPLETED, not ERROR" in refused.value.message
    with pytest.raises(CanterError) as missing:
        client.rescue_thread_run(wf_run_id, 3)
    assert missing.value.code == "INVALID_ARGUMENT"
    with pytest.raises(CanterError) as unknown:
        client.rescue_thread_run(names("no-such-run"), 0)
    assert unknown.value.code == "NOT_FOUND"
    time.sleep(0.2)
    assert client.get_wf_run(wf_run_id)["status"] == "COMPLETED"
