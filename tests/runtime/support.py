"""Helpers shared by the runtime tests: unique names, in-process and separate workers, HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from canter import Client, Worker, Workflow, WorkflowThread
from canter.client import NotFound
from canter.local import LocalStack
from canter_engine import resources
from canter_engine.handlers import faults


class Names:
    def __init__(self, test_name: str) -> None:
        self._base = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[-32:].strip("-")

    def __call__(self, what: str) -> str:
        return f"{self._base}-{what}"


@contextmanager
def worker(
    client: Client,
    tasks: Mapping[str, Callable[..., Any]] | list[Callable[..., Any]],
    **options: Any,
) -> Iterator[Worker]:
    """A real SQS long-polling worker in this process (short polls so it stops quickly)."""
    options.setdefault("poll_wait_seconds", 1)
    options.setdefault("shutdown_grace_seconds", 2)
    with Worker(client, tasks, **options) as running:
        yield running


def register(
    client: Client,
    name: str,
    body: Callable[[WorkflowThread], None],
    task_defs: Mapping[str, Mapping[str, Any]] = {},
    events: tuple[str, ...] = (),
) -> dict[str, Any]:
    for task_name, request in task_defs.items():
        client.put_task_def({"name": task_name, **request})
    for event in events:
        client.put_external_event_def(event)
    return client.put_wf_spec(Workflow(name, body).compile())


def int_input(name: str = "n") -> dict[str, Any]:
    return {"inputVars": [{"name": name, "type": "INT"}]}


def post(
    url: str, rpc: str, raw: bytes, headers: Mapping[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """A raw POST, for requests the client would never send."""
    request = urllib.request.Request(
        f"{url}/{rpc}",
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def node_statuses(client: Client, wf_run_id: str) -> list[tuple[str, str]]:
    return [(n["nodeName"], n.get("status", "")) for n in client.list_node_runs(wf_run_id)]


def start_slow_worker(
    stack: LocalStack, task: str, marker: Path, seconds: float | str, visibility: int = 2
) -> subprocess.Popen[bytes]:
    """A worker in its own process (``slow_worker.py``), to be killed or to crash mid-task."""
    script = Path(__file__).with_name("slow_worker.py")
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            stack.api_url,
            task,
            str(marker),
            str(seconds),
            str(visibility),
        ]
    )


def wait_for(marker: Path, process: subprocess.Popen[bytes]) -> None:
    """Until the separate worker has started the task (it writes ``marker``)."""
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the worker never started the task"
        assert process.poll() is None, "the worker exited early"
        time.sleep(0.05)


def take_attempt(
    client: Client, task: str, wait_seconds: float = 10
) -> tuple[dict[str, Any], str, str]:
    """Receive the next ScheduledTask of ``task`` as a worker would: its body,
    its ``canter.taskToken`` and its receipt handle."""
    sqs = boto3.client("sqs")
    queue_url = client.get_task_def_queue(task)["queueUrl"]
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=queue_url, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", []):
            token = message["MessageAttributes"]["canter.taskToken"]["StringValue"]
            return json.loads(message["Body"]), token, message["ReceiptHandle"]
    raise AssertionError(f"no ScheduledTask of {task!r} within {wait_seconds} s")


def success_report(scheduled: dict[str, Any], output: dict[str, Any]) -> dict[str, Any]:
    """LittleHorse's ReportTaskRun of a successful attempt of ``scheduled``."""
    return {
        "taskRunId": scheduled["taskRunId"],
        "attemptNumber": scheduled.get("attemptNumber", 0),
        "status": "TASK_SUCCESS",
        "output": output,
    }


class InjectedCrash(Exception):
    """A crash a test injects at a fault point (canter_engine.handlers.faults)."""


@contextmanager
def crashing_every_first_try(point: str) -> Iterator[Counter[str]]:
    """Crash the first of every two arrivals at ``point``, so that each crash is
    followed by a retry that goes through; yields the arrivals counted."""
    hits: Counter[str] = Counter()

    def crash(reached: str) -> None:
        if reached == point:
            hits[reached] += 1
            if hits[reached] % 2 == 1:
                raise InjectedCrash(reached)

    faults.install(crash)
    try:
        yield hits
    finally:
        faults.install(None)


def is_deleted(client: Client, wf_run_id: str, timeout: float = 20.0) -> bool:
    """Whether GetWfRun answers NOT_FOUND for the WfRun within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.get_wf_run(wf_run_id)
        except NotFound:
            return True
        time.sleep(0.05)
    return False


def wait_deleted(client: Client, wf_run_id: str, timeout: float = 20.0) -> None:
    assert is_deleted(client, wf_run_id, timeout), f"WfRun {wf_run_id} not deleted in {timeout} s"


def state_items(wf_run_id: str) -> dict[str, dict[str, Any]]:
    """Every item of the WfRun in the local stack's state table (head, thread
    items, pages, records, search entries), by sort key, as DynamoDB returns them."""
    ddb = boto3.client("dynamodb")
    found: dict[str, dict[str, Any]] = {}
    start: dict[str, Any] | None = None
    while True:
        page = ddb.query(
            TableName=resources.STATE_TABLE.physical_name("local"),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": wf_run_id}},
            ConsistentRead=True,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        found.update((item["sk"]["S"], item) for item in page["Items"])
        start = page.get("LastEvaluatedKey")
        if start is None:
            return found
