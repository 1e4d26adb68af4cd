"""Task functions run by Lambda (``canter.lambda_handler``) from their queue's SQS events.

On ``canter dev`` the handler is fed by an SQS pump with Lambda-shaped
events, as the deployed event source mapping would; the direct tests hand
it events built from real messages of the local stack's queues.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from canter import Client, TaskException, WorkerContext, WorkflowThread, lambda_handler
from canter.local import LocalStack
from canter.local.lambda_context import LocalLambdaContext
from canter.local.sqs_pump import lambda_records
from canter.worker import reporter

from .support import Names, int_input, register

pytestmark = pytest.mark.e2e


def one_task(
    task: str, timeout_seconds: int = 60, retries: int = 0
) -> Callable[[WorkflowThread], None]:
    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        done = t.execute(task, 5, retries=retries)
        t.mutate(out, "ASSIGN", done)

    return body


def attempts(client: Client, wf_run_id: str) -> list[dict[str, Any]]:
    return list(client.get_task_run(wf_run_id, "0-1")["attempts"])


def event_of(client: Client, task: str, *, copies: int = 1) -> dict[str, Any]:
    """The Lambda event for the task's next message, received from its real queue."""
    sqs = boto3.client("sqs")
    url = client.get_task_def_queue(task)["queueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=url,
            WaitTimeSeconds=1,
            VisibilityTimeout=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if messages:
            return {"Records": lambda_records(messages * copies, arn)}
    raise AssertionError(f"no message for {task}")


def test_tasks_on_canter_dev_succeed_fail_as_business_and_are_retried(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """Sync and async functions, a TaskException, and a failure its retry mends."""
    plain, coroutine, business, flaky = (names(n) for n in ("plain", "async", "biz", "flaky"))

    def triple(n: int) -> int:
        return n * 3

    async def double(n: int) -> int:
        await asyncio.sleep(0)
        return n * 2

    def refuse(n: int) -> int:
        raise TaskException("out-of-stock", f"none of {n}")

    def fail_once(n: int, ctx: WorkerContext) -> int:
        if ctx.attempt_number == 0:
            raise RuntimeError("transient")
        ctx.log(f"key {ctx.idempotency_key}")
        return n + 1

    for task in (plain, coroutine, business, flaky):
        register(client, names(f"wf-{task}"), one_task(task, retries=1), {task: int_input()})
    stack.add_lambda_tasks(
        lambda_handler({plain: triple, coroutine: double, business: refuse, flaky: fail_once})
    )
    runs = {
        task: client.run_wf(names(f"wf-{task}"))["id"]["id"] for task in (plain, coroutine, flaky)
    }
    outs = {}
    for task, run in runs.items():
        assert client.wait_for_wf_run(run, timeout=30)["status"] == "COMPLETED"
        outs[task] = client.variables(run)["out"]
    assert outs == {plain: 15, coroutine: 10, flaky: 6}
    refused = client.run_wf(names(f"wf-{business}"))["id"]["id"]
    assert client.wait_for_wf_run(refused, timeout=30)["status"] == "EXCEPTION"
    [only] = attempts(client, refused)
    assert only["status"] == "TASK_EXCEPTION"
    flaky_run = runs[flaky]
    first, second = attempts(client, flaky_run)
    assert (first["status"], second["status"]) == ("TASK_FAILED", "TASK_SUCCESS")
    assert second["logOutput"] == {"str": f"key {flaky_run}/0-1"}


def test_a_task_still_running_near_the_end_of_its_invocation_is_timed_out_and_retried(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """The invocation's 4 s end comes before the task's 60 s timeout: TASK_TIMEOUT at ~3 s."""
    task = names("slow")
    register(client, names("wf"), one_task(task, retries=1), {task: int_input()})

    def slow_first(n: int, ctx: WorkerContext) -> int:
        if ctx.attempt_number == 0:
            time.sleep(6)
        return n * 7

    stack.add_lambda_tasks({task: slow_first}, timeout_seconds=4)
    run = client.run_wf(names("wf"))["id"]["id"]
    assert client.wait_for_wf_run(run, timeout=30)["status"] == "COMPLETED"
    assert client.variables(run)["out"] == 35
    first, second = attempts(client, run)
    assert (first["status"], second["status"]) == ("TASK_TIMEOUT", "TASK_SUCCESS")
    assert first["error"]["message"].startswith(
        "still running when its Lambda invocation was about to end (its timeout is 60 s)"
    )


class _Unreachable(Client):
    def report_tasks(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise ConnectionError("the API is away")


def test_a_report_that_fails_is_a_batch_item_failure_and_the_redelivery_is_reported(
    client: Client, names: Names, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporter, "RETRY_DELAYS_SECONDS", (0.01,))
    task = names("work")
    register(client, names("wf"), one_task(task), {task: int_input()})
    run = client.run_wf(names("wf"))["id"]["id"]
    event = event_of(client, task)
    failing = lambda_handler({task: lambda n: n * 4}, client=_Unreachable(client.url))
    response = failing(event, LocalLambdaContext("tasks", 60))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert client.get_wf_run(run)["status"] == "RUNNING"
    redelivered = event_of(client, task)
    handler = lambda_handler({task: lambda n: n * 4}, client=client)
    assert handler(redelivered, LocalLambdaContext("tasks", 60)) == {"batchItemFailures": []}
    assert client.wait_for_wf_run(run, timeout=30)["status"] == "COMPLETED"
    assert client.variables(run)["out"] == 20


def test_a_duplicate_delivery_is_neither_run_nor_reported_again(
    client: Client, names: Names
) -> None:
    task = names("work")
    register(client, names("wf"), one_task(task), {task: int_input()})
    run = client.run_wf(names("wf"))["id"]["id"]
    ran: list[int] = []

    def work(n: int) -> int:
        ran.append(n)
        return n

    handler = lambda_handler({task: work}, client=client)
    twice = event_of(client, task, copies=2)  # one message twice in one batch
    assert handler(twice, LocalLambdaContext("tasks", 60)) == {"batchItemFailures": []}
    again = {"Records": twice["Records"][:1]}  # delivered again to the same environment
    assert handler(again, LocalLambdaContext("tasks", 60)) == {"batchItemFailures": []}
    assert ran == [5]
    assert client.wait_for_wf_run(run, timeout=30)["status"] == "COMPLETED"
    assert [a["status"] for a in attempts(client, run)] == ["TASK_SUCCESS"]


def test_a_message_for_a_task_it_does_not_run_is_left_to_come_back(
    client: Client, names: Names
) -> None:
    task = names("work")
    register(client, names("wf"), one_task(task), {task: int_input()})
    client.run_wf(names("wf"))
    event = event_of(client, task)
    handler = lambda_handler({names("other"): lambda n: n}, client=client)
    assert handler(event, LocalLambdaContext("tasks", 60)) == {
        "batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]
    }


def test_a_message_that_is_no_scheduled_task_fails_alone() -> None:
    handler = lambda_handler({"anything": lambda: None}, client=Client("http://127.0.0.1:9"))
    records = [{"messageId": "m1", "body": "not json"}, {"messageId": "m2", "body": "{}"}]
    event = {"Records": records}
    assert handler(event, LocalLambdaContext("tasks", 60)) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]
    }
