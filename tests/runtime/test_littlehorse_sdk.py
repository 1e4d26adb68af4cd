"""A WfSpec compiled by the official LittleHorse SDK runs unchanged through the API."""

from __future__ import annotations

from typing import Any

import pytest
from canter import Client
from google.protobuf.json_format import MessageToDict
from littlehorse.model import Comparator
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names, worker

pytestmark = pytest.mark.e2e


def test_littlehorse_compiled_wf_spec_runs_to_completion(client: Client, names: Names) -> None:
    fetch, notify = names("fetch"), names("notify")

    def order(wf: WorkflowThread) -> None:
        order_id = wf.declare_str("order-id").required()
        details = wf.declare_json_obj("details")
        tries = wf.declare_int("tries", 0)
        verdict = wf.declare_str("verdict")
        details.assign(wf.execute(fetch, order_id, retries=1, timeout_seconds=30))

        def nag(t: WorkflowThread) -> None:
            t.execute(notify, t.format("attempt {0} for {1}", tries, order_id))
            tries.assign(tries.add(1))

        wf.do_while(wf.condition(tries, Comparator.LESS_THAN, 2), nag)
        wf.do_if(
            wf.condition(details.with_json_path("$.amount"), Comparator.GREATER_THAN, 100),
            lambda t: verdict.assign("large"),
            lambda t: verdict.assign("small"),
        )

    client.put_task_def({"name": fetch, "inputVars": [{"name": "id", "type": "STR"}]})
    client.put_task_def({"name": notify, "inputVars": [{"name": "text", "type": "STR"}]})
    request: dict[str, Any] = MessageToDict(Workflow(names("wf"), order).compile())
    client.put_wf_spec(request)
    notes: list[str] = []
    tasks = {fetch: lambda id: {"id": id, "amount": 250}, notify: notes.append}
    with worker(client, tasks):
        wf_run_id = client.run_wf(names("wf"), {"order-id": "o-9"})["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert notes == ["attempt 0 for o-9", "attempt 1 for o-9"]
    assert client.variables(wf_run_id) == {
        "order-id": "o-9",
        "details": {"id": "o-9", "amount": 250},
        "tries": 2,
        "verdict": "large",
    }
