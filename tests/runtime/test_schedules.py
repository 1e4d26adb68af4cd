"""Scheduled WfRuns through the local stack's HTTP API: ScheduleWf, Get, Search, Delete,
and the firings ``canter dev`` makes from the EventBridge schedules on moto.

Answers parse strictly into LittleHorse's ``ScheduledWfRun`` and ``ScheduledWfRunIdList``.
"""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from canter import Client, Workflow, WorkflowThread
from canter.client import CanterError
from canter.local import LocalStack
from canter_engine.handlers.runtime import current
from canter_engine.handlers.scheduled_runs import fire, wf_run_id_of
from canter_engine.model import values
from google.protobuf.json_format import ParseDict
from littlehorse.model import ScheduledWfRun, ScheduledWfRunIdList

from .support import Names

pytestmark = pytest.mark.e2e


def _greeting(client: Client, names: Names) -> str:
    def body(wf: WorkflowThread) -> None:
        wf.declare_str("who").required()

    client.put_wf_spec(Workflow(names("wf"), body).compile())
    return names("wf")


def _started(client: Client, spec: str) -> list[str]:
    return [r["id"] for r in client.search_wf_run(spec)["results"]]


def test_schedule_get_search_and_delete(client: Client, names: Names, stack: LocalStack) -> None:
    spec = _greeting(client, names)
    scheduled = client.schedule_wf(spec, "0 9 * * MON-FRI", {"who": "Ada"}, id=names("daily"))
    ParseDict(scheduled, ScheduledWfRun())
    assert scheduled["id"] == {"id": names("daily")}
    assert scheduled["wfSpecId"] == {"name": spec}
    assert scheduled["cronExpression"] == "0 9 * * MON-FRI"
    assert scheduled["variables"] == {"who": {"str": "Ada"}}
    again = client.schedule_wf(spec, "0 9 * * MON-FRI", {"who": "Ada"}, id=names("daily"))
    assert again == scheduled, "the same request again returns the ScheduledWfRun"
    assert client.get_scheduled_wf_run(names("daily")) == scheduled
    found = client.call("SearchScheduledWfRun", {"wfSpecName": spec})
    ParseDict(found, ScheduledWfRunIdList())
    assert client.search_scheduled_wf_run(spec) == [names("daily")]
    assert client.search_scheduled_wf_run(spec, 0, 0) == [names("daily")]
    assert client.search_scheduled_wf_run(spec, 1) == []
    eventbridge = boto3.client("scheduler", endpoint_url=stack.endpoint_url)
    made = eventbridge.get_schedule(Name=names("daily"), GroupName="canter-local")
    assert made["ScheduleExpression"] == "cron(0 9 ? * MON,TUE,WED,THU,FRI *)"
    assert made["ScheduleExpressionTimezone"] == "UTC"
    client.delete_scheduled_wf_run(names("daily"))
    assert client.search_scheduled_wf_run(spec) == []
    with pytest.raises(CanterError) as gone:
        client.get_scheduled_wf_run(names("daily"))
    assert gone.value.code == "NOT_FOUND"
    with pytest.raises(eventbridge.exceptions.ResourceNotFoundException):
        eventbridge.get_schedule(Name=names("daily"), GroupName="canter-local")


@pytest.mark.parametrize(
    ("request_body", "complaint"),
    [
        ({"cronExpression": "61 * * * *"}, "minute '61' is not in 0-59"),
        ({"cronExpression": "* * *"}, "has 3 fields"),
        ({"cronExpression": "0 0 1 * MON"}, "restrict only one of them"),
        ({"cronExpression": "0 0 31 FEB *"}, "does not yield a next execution time"),
        ({"cronExpression": "* * * * *", "id": "a b"}, "id must be 1-64 letters"),
        ({"cronExpression": "* * * * *", "id": "a_b"}, "id must be 1-64 letters"),
        ({"cronExpression": "* * * * *", "id": "x" * 65}, "id must be 1-64 letters"),
        ({"cronExpression": "* * * * *", "variables": {"who": {"int": 1}}}, "who"),
        ({"cronExpression": "* * * * *", "parentWfRunId": {"id": "p"}}, "parentWfRunId"),
        ({"cronExpression": "* * * * *", "colour": 1}, "unknown field(s) colour"),
    ],
)
def test_bad_schedules_are_refused_with_what_is_wrong(
    client: Client, names: Names, request_body: dict[str, Any], complaint: str
) -> None:
    spec = _greeting(client, names)
    body = {"wfSpecName": spec, "variables": {"who": {"str": "x"}}, **request_body}
    with pytest.raises(CanterError) as refused:
        client.call("ScheduleWf", body)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert complaint in refused.value.message


def test_a_firing_starts_one_wf_run_however_often_it_is_delivered(
    client: Client, names: Names
) -> None:
    spec = _greeting(client, names)
    client.schedule_wf(spec, "*/5 * * * *", {"who": "Bo"}, id=names("every5"))
    due = values.parse_timestamp("2026-12-06T03:05:00Z")
    event = {"scheduledWfRunId": names("every5"), "scheduledTime": "2026-12-06T03:05:00Z"}
    first = fire(current(), event)
    assert first == {"wfRunId": wf_run_id_of(names("every5"), due)}
    assert first["wfRunId"].endswith("-202612060305")
    assert fire(current(), event) == first, "a repeated firing is a no-op"
    wf_run = client.wait_for_wf_run(first["wfRunId"], timeout=20)
    assert wf_run["status"] == "COMPLETED"
    assert client.variables(first["wfRunId"]) == {"who": "Bo"}
    assert _started(client, spec) == [first["wfRunId"]]
    client.delete_scheduled_wf_run(names("every5"))
    assert fire(current(), event) == {}, "a deleted schedule starts nothing"


@pytest.mark.slow
def test_canter_dev_fires_the_schedule_on_time(client: Client, names: Names) -> None:
    """An every-minute schedule fires within its minute (so this test takes up to a minute)."""
    spec = _greeting(client, names)
    client.schedule_wf(spec, "* * * * *", {"who": "Cy"}, id=names("minutely"))
    deadline = time.monotonic() + 75
    while not (started := _started(client, spec)):
        assert time.monotonic() < deadline, "no WfRun started within the minute"
        time.sleep(0.5)
    client.delete_scheduled_wf_run(names("minutely"))
    assert started[0].startswith(names("minutely") + "-")
    assert client.wait_for_wf_run(started[0], timeout=20)["status"] == "COMPLETED"
