"""Masked stays masked: in every API response, every error message and every log line
at INFO and above (what Lambda ships to CloudWatch).

A ``masked()`` variable's value goes through a task (as an input whose
TaskDef input is not masked), comes back as the task's output assigned to
another masked variable, appears in a task's exception and error messages,
and arrives as an ExternalEvent assigned to a masked variable. Every read
rpc's answer and every log record of the run is searched for it; the
workers still get it in clear. (LittleHorse masks TaskRun inputs, attempts'
outputs and Variables with ``*****``, ``LHConstants.STRING_MASK``.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from canter import Client, TaskException, WorkflowThread
from canter.client import InvalidArgument
from canter.local import LocalStack
from google.protobuf.json_format import ParseDict
from littlehorse.model import TaskRun, Variable

from .support import Names, post, register, worker

pytestmark = pytest.mark.e2e

SECRET = "hunter2-correct-horse"
PIN = "s3cr3t-pin-9931"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    records = _Records()
    loggers = [logging.getLogger(), logging.getLogger("canter")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(records)
        lg.setLevel(logging.INFO)
    yield records.lines
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(records)
        lg.setLevel(level)


def _every_read(client: Client, wf_run_id: str) -> list[dict[str, Any]]:
    answers = [client.get_wf_run(wf_run_id)]
    node_runs = client.list_node_runs(wf_run_id)
    answers += node_runs
    for node_run in node_runs:
        node_id = node_run["id"]
        thread, position = node_id.get("threadRunNumber", 0), node_id.get("position", 0)
        answers.append(client.get_node_run(wf_run_id, thread, position))
        task_run_id = node_run.get("task", {}).get("taskRunId")
        if task_run_id:
            answers.append(client.get_task_run(wf_run_id, task_run_id["taskGuid"]))
    variables = client.list_variables(wf_run_id)
    answers += variables
    answers += [client.call("GetVariable", {"threadRunNumber": 0, **v["id"]}) for v in variables]
    answers += client.list_external_events(wf_run_id)
    return answers


def test_a_masked_value_never_leaves_the_api_in_clear(
    client: Client, names: Names, stack: LocalStack, log_lines: list[str]
) -> None:
    echo, leak, fail = names("echo"), names("leak"), names("fail")
    event = names("event")
    received: list[str] = []

    def body(t: WorkflowThread) -> None:
        password = t.declare_str("password").masked().required()
        copy = t.declare_str("copy").masked()
        answer = t.declare_str("answer").masked()
        copy.assign(t.execute(echo, password))
        t.handle_exception(t.execute(leak, password), lambda h: None)
        t.handle_error(t.execute(fail, password), lambda h: None)
        answer.assign(t.wait_for_event(event))

    string_input = {"inputVars": [{"name": "s", "type": "STR"}]}
    register(
        client,
        names("wf"),
        body,
        {echo: string_input, leak: string_input, fail: string_input},
        events=(event,),
    )

    def echo_fn(s: str) -> str:
        received.append(s)
        return s

    def leak_fn(s: str) -> str:
        raise TaskException("bad-password", f"the password {s} was refused")

    def fail_fn(s: str) -> str:
        raise ValueError(f"cannot parse {s}")

    with worker(client, {echo: echo_fn, leak: leak_fn, fail: fail_fn}):
        wf_run_id = client.run_wf(names("wf"), {"password": SECRET})["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=30)
        deadline_answers = client.list_node_runs(wf_run_id)
        # Its answer echoes the caller's own content: not yet a masked variable's value.
        client.put_external_event(wf_run_id, event, SECRET)
        finished = client.wait_for_wf_run(wf_run_id, timeout=30)
    assert finished["status"] == "COMPLETED"
    assert received == [SECRET], "workers get the clear value"

    answers = [*_every_read(client, wf_run_id), deadline_answers]
    text = json.dumps(answers)
    assert SECRET not in text
    assert '"*****"' in text
    variables = {v["id"]["name"]: v for v in client.list_variables(wf_run_id)}
    assert {name: v["value"] for name, v in variables.items()} == {
        "password": {"str": "*****"},
        "copy": {"str": "*****"},
        "answer": {"str": "*****"},
    }
    task_runs = [a for a in answers if isinstance(a, dict) and "inputVariables" in a]
    for task_run in task_runs:
        ParseDict(task_run, TaskRun())
    for variable in variables.values():
        ParseDict(variable, Variable())
    inputs = [i for t in task_runs for i in t["inputVariables"]]
    assert inputs and all(i["value"] == {"str": "*****"} and i["masked"] for i in inputs)
    assert not [line for line in log_lines if SECRET in line]


def test_a_masked_value_in_a_refused_run_wf_is_not_echoed_or_logged(
    client: Client, names: Names, stack: LocalStack, log_lines: list[str]
) -> None:
    """Issue 11 item 3: ``invalid literal for int() ... '<secret>'`` was answered and logged."""
    register(client, names("wf"), lambda t: t.declare_int("pin").masked() and None)
    status, answer = post(
        stack.api_url,
        "RunWf",
        json.dumps({"wfSpecName": names("wf"), "variables": {"pin": {"int": PIN}}}).encode(),
    )
    assert (status, answer["code"]) == (400, "INVALID_ARGUMENT")
    assert "pin" in answer["message"] and PIN not in answer["message"]
    assert log_lines and not [line for line in log_lines if PIN in line]
    with pytest.raises(InvalidArgument) as refused:
        client.run_wf(names("wf"), {"pin": PIN})
    assert PIN not in refused.value.message
