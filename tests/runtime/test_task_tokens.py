"""Task tokens and incarnations (issue 11, items 1 and 2): only the worker that
took an attempt can end it, and no request, early, forged or late, can leave
a WfRun stranded, even under an id that was deleted and run again."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.client import to_value
from canter.local import LocalStack
from canter.local.stack import LOCAL_STAGE
from canter_engine import resources
from canter_engine.handlers import task_tokens
from canter_engine.handlers.task_tokens import Attempt, BadToken

from .support import (
    Names,
    int_input,
    post,
    register,
    success_report,
    take_attempt,
    wait_deleted,
    worker,
)

pytestmark = pytest.mark.e2e

SECRET = b"s" * 32


def one_task(client: Client, names: Names) -> tuple[str, str]:
    """A WfSpec whose WfRun assigns the output of one task to ``out``: (spec, task)."""
    task = names("work")

    def body(t: WorkflowThread) -> None:
        t.mutate(t.declare_int("out"), "ASSIGN", t.execute(task, 2, timeout_seconds=30))

    register(client, names("wf"), body, {task: int_input()})
    return names("wf"), task


def report(url: str, body: dict[str, Any], token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {task_tokens.HEADER: token} if token is not None else {}
    return post(url, "ReportTask", json.dumps(body).encode(), headers)


def journal_keys(wf_run_id: str) -> list[str]:
    items = boto3.client("dynamodb").query(
        TableName=resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE),
        KeyConditionExpression="wfRunId = :w",
        ExpressionAttributeValues={":w": {"S": wf_run_id}},
    )["Items"]
    return [item["eventId"]["S"] for item in items]


def forged(wf_run_id: str, attempt: int = 0) -> dict[str, Any]:
    return {
        "taskRunId": {"wfRunId": {"id": wf_run_id}, "taskGuid": "0-1"},
        "attemptNumber": attempt,
        "status": "TASK_SUCCESS",
        "output": {"int": "999"},
    }


def test_a_token_is_bound_to_its_attempt_and_the_secret() -> None:
    token = task_tokens.issue(SECRET, Attempt("run-1", "inc", "0-1", 0))
    assert task_tokens.verify(SECRET, token, "run-1", "0-1", 0) == "inc"
    for wf_run_id, guid, attempt in [("run-2", "0-1", 0), ("run-1", "0-2", 0), ("run-1", "0-1", 1)]:
        with pytest.raises(BadToken):
            task_tokens.verify(SECRET, token, wf_run_id, guid, attempt)
    with pytest.raises(BadToken):
        task_tokens.verify(b"t" * 32, token, "run-1", "0-1", 0)
    mac = token.partition(".")[2]
    with pytest.raises(BadToken):
        task_tokens.verify(SECRET, f"other.{mac}", "run-1", "0-1", 0)
    with pytest.raises(BadToken):
        task_tokens.verify(SECRET, "not a token", "run-1", "0-1", 0)


def test_an_early_forged_report_is_refused_and_the_wf_run_then_completes(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """Issue 11's first reproducer: a report for PRE-1 before RunWf PRE-1."""
    spec, task = one_task(client, names)
    wf_run_id = names("PRE-1")
    status, body = report(stack.api_url, forged(wf_run_id), None)
    assert (status, body["code"]) == (401, "UNAUTHENTICATED"), body
    assert "Canter-Task-Token" in body["message"]
    other = task_tokens.issue(b"guessed-secret", Attempt(wf_run_id, "x", "0-1", 0))
    status, body = report(stack.api_url, forged(wf_run_id), other)
    assert (status, body["code"]) == (403, "PERMISSION_DENIED"), body
    assert journal_keys(wf_run_id) == []
    client.run_wf(spec, id=wf_run_id)
    with worker(client, {task: lambda n: n * 10}):
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 20


@pytest.mark.parametrize("attempt", [-1, 2**63, 2**31])
def test_attempt_numbers_out_of_range_are_refused_and_journal_nothing(
    stack: LocalStack, names: Names, attempt: int
) -> None:
    wf_run_id = names("range")
    token = task_tokens.issue(SECRET, Attempt(wf_run_id, "x", "0-1", 0))
    status, body = report(stack.api_url, forged(wf_run_id, attempt), token)
    assert (status, body["code"]) == (400, "INVALID_ARGUMENT"), body
    assert "attemptNumber" in body["message"]
    assert journal_keys(wf_run_id) == []


def test_a_forged_report_while_the_task_runs_is_refused_and_the_genuine_one_wins(
    stack: LocalStack, client: Client, names: Names
) -> None:
    spec, task = one_task(client, names)
    wf_run_id = client.run_wf(spec)["id"]["id"]
    scheduled, token, _ = take_attempt(client, task)
    wrong_attempt = {**success_report(scheduled, to_value(999)), "attemptNumber": 1}
    for body, used in [
        (success_report(scheduled, to_value(999)), None),
        (success_report(scheduled, to_value(999)), token[:-2] + "AA"),
        (wrong_attempt, token),
    ]:
        status, answer = report(stack.api_url, body, used)
        assert status in (401, 403), answer
    assert not any(key.startswith("rep#") for key in journal_keys(wf_run_id))
    client.report_task(success_report(scheduled, to_value(4)), token)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 4


class Gated:
    """A task function that blocks until released, counting its calls."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, n: int) -> int:
        self.calls += 1
        call = self.calls
        self.started.release()
        self.release.wait(30)
        return n * 100 + call


def deleted(client: Client, wf_run_id: str) -> None:
    client.delete_wf_run(wf_run_id)
    wait_deleted(client, wf_run_id, timeout=10)


def test_delete_during_a_task_then_a_late_report_then_run_again_completes(
    client: Client, names: Names
) -> None:
    """Issue 11's second reproducer: the late report of the deleted run lands
    first; the run under the same id must not find its key taken."""
    spec, task = one_task(client, names)
    wf_run_id = names("again")
    gated = Gated()
    with worker(client, {task: gated}):
        client.run_wf(spec, id=wf_run_id)
        assert gated.started.acquire(timeout=20)
        deleted(client, wf_run_id)
        gated.release.set()  # the late report of the deleted run
        time.sleep(1.0)
        client.run_wf(spec, id=wf_run_id)
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 202


def test_a_late_report_of_a_deleted_run_does_not_apply_to_the_new_run(
    client: Client, names: Names
) -> None:
    """The same, with the new run already waiting on the same TaskRun guid and
    attempt when the deleted run's report lands."""
    spec, task = one_task(client, names)
    wf_run_id = names("overlap")
    client.run_wf(spec, id=wf_run_id)
    old, old_token, _ = take_attempt(client, task)
    deleted(client, wf_run_id)
    client.run_wf(spec, id=wf_run_id)
    new, new_token, _ = take_attempt(client, task)
    assert old["taskRunId"] == new["taskRunId"] and old_token != new_token
    client.report_task(success_report(old, to_value(111)), old_token)
    time.sleep(1.0)
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    client.report_task(success_report(new, to_value(222)), new_token)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 222
