"""The client's user-task methods against the local stack, answers parsed strictly.

Registering a ``@canter.user_task`` class, its versions, search and delete;
saving progress and completing a UserTaskRun from Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import canter
import pytest
from canter import Client
from canter.client import NotFound
from google.protobuf.json_format import ParseDict
from littlehorse.model import UserTaskDef, UserTaskDefIdList, UserTaskRun

pytestmark = pytest.mark.e2e


@canter.user_task(name="client-sign-off")
@dataclass
class SignOff:
    signed: bool


@canter.user_task(name="client-sign-off")
@dataclass
class SignOffWithNote:
    signed: bool
    note: str = ""


def test_a_user_task_class_is_registered_once_per_change(client: Client) -> None:
    first = client.put_user_task_def(SignOff).get("version", 0)
    assert client.put_user_task_def(SignOff).get("version", 0) == first
    second = client.put_user_task_def(SignOffWithNote)
    assert second["version"] == first + 1
    ParseDict(second, UserTaskDef())
    fetched = client.get_user_task_def("client-sign-off", first)
    assert [f["name"] for f in fetched["fields"]] == ["signed"]
    page = client.search_user_task_def(name="client-sign-off")
    ParseDict(page, UserTaskDefIdList())
    assert {"name": "client-sign-off", "version": second["version"]} in page["results"]
    assert client.search_user_task_def("client-sign")["results"]
    client.delete_user_task_def("client-sign-off", second["version"])
    with pytest.raises(NotFound):
        client.get_user_task_def("client-sign-off", second["version"])


def test_progress_is_saved_then_the_run_completed_from_python(client: Client, run_id: str) -> None:
    client.put_user_task_def(SignOffWithNote)

    def wf(t: canter.WorkflowThread) -> None:
        note = t.declare_str("note")
        note.assign(t.assign_user_task("client-sign-off", user_id="bo").with_json_path("$.note"))

    client.put_wf_spec(canter.Workflow("client-sign-off-wf", wf))
    client.run_wf("client-sign-off-wf", id=run_id)
    runs: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not (runs := client.list_user_task_runs(run_id)):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    guid = runs[0]["id"]["userTaskGuid"]
    saved = client.save_user_task_run_progress(run_id, guid, {"note": "half"}, user_id="bo")
    ParseDict(saved, UserTaskRun())
    assert saved["results"] == {"note": {"str": "half"}}
    client.complete_user_task_run(run_id, guid, {"signed": True, "note": "done"}, user_id="bo")
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(run_id)["note"] == "done"
    done = client.get_user_task_run(run_id, guid)
    assert [next(k for k in e if k != "time") for e in done["events"]][-2:] == [
        "saved",
        "completed",
    ]
