"""Bytes written and capacity per step of a 10,000-iteration loop, first 100 vs last 100.

Ten thousand round trips through the asynchronous local stack (worker long
poll, stream pump polling, moto over HTTP) take longer than the bench may
run, so this run drives the same handlers synchronously, on moto in-process
(``mock_aws``, no HTTP): the bench stands in for the worker, API Gateway and
the stream event source. Each step is one iteration: receive the task
message, invoke the API handler with the report (it journals it), read the
journal stream, invoke the scheduler with those records (it loads, applies,
writes state and sends the next task), delete the message. The store code
and the items are the real ones; only the transport and pacing are the
bench's, and they do not change what is written.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from canter.local.lambda_context import LocalLambdaContext
from canter.local.provision import provision
from canter.worker import report
from canter.worker.context import WorkerContext
from canter_engine import resources
from moto import mock_aws

from bench.harness import STAGE, Handlers, metered_handlers
from bench.meter import Meter, Tally
from bench.pricing import counted_request, load_prices, price, total
from bench.workflows import STEP, STEP_TASK_DEF, loop

if TYPE_CHECKING:
    pass

WINDOW = 100
STREAMS_ENDPOINT = "https://streams.dynamodb.us-east-1.amazonaws.com"


@dataclass
class Step:
    bytes_written: int
    write_units: float
    read_units: float
    dollars: float
    largest_item: int


@dataclass
class Growth:
    iterations: int
    seconds: float
    steps: list[Step]

    def window(self, first: int) -> list[Step]:
        return self.steps[first : first + WINDOW]

    @property
    def early(self) -> list[Step]:
        return self.window(0)

    @property
    def late(self) -> list[Step]:
        return self.window(len(self.steps) - WINDOW)

    @property
    def largest_item(self) -> int:
        return max(step.largest_item for step in self.steps)


def mean(steps: list[Step], value: Callable[[Step], float]) -> float:
    return sum(value(step) for step in steps) / len(steps)


def ratio(growth: Growth, value: Callable[[Step], float]) -> float:
    return mean(growth.late, value) / mean(growth.early, value)


def run(iterations: int) -> Growth:
    meter = Meter(STAGE)
    with _in_process_aws() as stream_arn, metered_handlers(meter) as handlers, meter.installed():
        driver = _Driver(meter, handlers, stream_arn)
        driver.api("PutTaskDef", STEP_TASK_DEF)
        driver.api("PutWfSpec", _growth_workflow())
        driver.start(iterations)
        meter.take()
        prices = load_prices()
        steps: list[Step] = []
        started = time.perf_counter()
        for _ in range(iterations):
            driver.step()
            steps.append(_step(meter.take(), prices))
        return Growth(iterations, time.perf_counter() - started, steps)


def _growth_workflow() -> dict[str, Any]:
    from canter import Workflow

    return Workflow("bench-growth", loop).compile()


@contextmanager
def _in_process_aws() -> Iterator[str]:
    """moto in this process, the tables and queues provisioned, the handlers pointed at them."""
    env = {
        "AWS_ACCESS_KEY_ID": "canter-bench",
        "AWS_SECRET_ACCESS_KEY": "canter-bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        resources.ENV_STAGE: STAGE,
        resources.ENV_JOURNAL_TABLE: resources.JOURNAL_TABLE.physical_name(STAGE),
        resources.ENV_STATE_TABLE: resources.STATE_TABLE.physical_name(STAGE),
        resources.ENV_METADATA_TABLE: resources.METADATA_TABLE.physical_name(STAGE),
        resources.ENV_TASK_QUEUE_PREFIX: resources.task_queue_prefix(STAGE),
        resources.ENV_DYNAMIC_QUEUES: "true",
    }
    names = [*env, "AWS_ENDPOINT_URL", resources.ENV_TIMER_QUEUE_URL]
    names.append(resources.ENV_SCHEDULER_DLQ_URL)
    saved = {name: os.environ.get(name) for name in names}
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(env)
    from canter_engine.handlers import runtime

    try:
        with mock_aws():
            provisioned = provision(boto3.client("dynamodb"), boto3.client("sqs"), STAGE)
            os.environ[resources.ENV_TIMER_QUEUE_URL] = provisioned.timer_queue_url
            os.environ[resources.ENV_SCHEDULER_DLQ_URL] = provisioned.failure_queue_url
            runtime.reset()
            yield provisioned.journal_stream_arn
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        runtime.reset()


class _Driver:
    """The worker, API Gateway and the stream event source, one synchronous step at a time."""

    def __init__(self, meter: Meter, handlers: Handlers, stream_arn: str) -> None:
        self._meter = meter
        self._handlers = handlers
        self._sqs = boto3.client("sqs")
        # moto's in-process mock only recognises the stream endpoint when it is given outright.
        self._streams = boto3.client("dynamodbstreams", endpoint_url=STREAMS_ENDPOINT)
        self._arn = stream_arn
        self._iterators: list[str] = []
        self._queue_url = ""

    def api(
        self, rpc: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """What API Gateway's HTTP API hands the API Lambda (payload v2), minus the network."""
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": f"/{rpc}",
            "rawQueryString": "",
            "headers": {"content-type": "application/json", **(headers or {})},
            "requestContext": {
                "http": {"method": "POST", "path": f"/{rpc}", "sourceIp": "127.0.0.1"},
                "requestId": rpc,
                "routeKey": "$default",
                "stage": "$default",
            },
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
        context = LocalLambdaContext("canter-bench-api", resources.API_FUNCTION.timeout_seconds)
        response = self._handlers.api(event, context)
        answer: dict[str, Any] = json.loads(response.get("body") or "{}")
        if int(response.get("statusCode", 200)) >= 300:
            raise RuntimeError(f"{rpc} refused: {answer}")
        return answer

    def start(self, iterations: int) -> None:
        self._queue_url = str(self.api("GetTaskDefQueue", {"name": STEP})["queueUrl"])
        with self._meter.acting_as("scheduler event source"):
            shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
            self._iterators = [
                self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                for shard in shards["Shards"]
            ]
        count = {"int": str(iterations)}
        self.api("RunWf", {"wfSpecName": "bench-growth", "variables": {"count": count}})
        self.apply_journal()

    def step(self) -> None:
        with self._meter.acting_as("worker"):
            (message,) = self._sqs.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=1, MessageAttributeNames=["All"]
            )["Messages"]
        token = message["MessageAttributes"]["canter.taskToken"]["StringValue"]
        self.api("ReportTask", _success(json.loads(message["Body"])), {"canter-task-token": token})
        with self._meter.acting_as("worker"):
            self._sqs.delete_message(
                QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        self.apply_journal()

    def apply_journal(self) -> None:
        """Everything new in the journal's stream, in one scheduler invocation (as Lambda would)."""
        records: list[dict[str, Any]] = []
        with self._meter.acting_as("scheduler event source"):
            for index, iterator in enumerate(self._iterators):
                page = self._streams.get_records(
                    ShardIterator=iterator, Limit=resources.SCHEDULER_BATCH_SIZE
                )
                self._iterators[index] = page.get("NextShardIterator") or iterator
                records += [{**r, "eventSourceARN": self._arn} for r in page.get("Records", [])]
        context = LocalLambdaContext(
            "canter-bench-scheduler", resources.SCHEDULER_FUNCTION.timeout_seconds
        )
        response = self._handlers.scheduler({"Records": records}, context)
        if response and response.get("batchItemFailures"):
            raise RuntimeError(f"the scheduler failed records: {response}")


def _success(scheduled_task: dict[str, Any]) -> dict[str, Any]:
    run_id = scheduled_task["taskRunId"]
    context = WorkerContext(
        wf_run_id=str(run_id["wfRunId"]["id"]),
        task_guid=str(run_id["taskGuid"]),
        attempt_number=int(scheduled_task.get("attemptNumber", 0)),
        task_def_name=STEP,
    )
    return report.success(scheduled_task, context, 1)


def _step(tally: Tally, prices: dict[str, Any]) -> Step:
    counted = [r for r in tally.requests if counted_request(r)]
    return Step(
        bytes_written=sum(r.bytes_written for r in counted),
        write_units=sum(r.write_units + r.index_write_units for r in counted),
        read_units=sum(r.read_units for r in counted),
        # Lambda duration is left out: here moto runs on the handler's own thread.
        dollars=total(line for line in price(tally, prices) if line.unit != "GB-s"),
        largest_item=max((r.largest_item for r in counted), default=0),
    )


def chart(growth: Growth, path: str) -> None:
    """Cost and bytes written per step against step number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = range(1, len(growth.steps) + 1)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(x, [s.dollars * 1e6 for s in growth.steps], linewidth=0.6)
    top.set_ylabel("µ$ per step\n(requests and capacity)")
    top.set_ylim(bottom=0)
    top.set_title(f"{growth.iterations:,}-iteration loop: cost and bytes written per step")
    bottom.plot(x, [s.bytes_written for s in growth.steps], linewidth=0.6, color="tab:orange")
    bottom.set_ylabel("bytes written per step")
    bottom.set_ylim(bottom=0)
    bottom.set_xlabel("step (loop iteration)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def save(growth: Growth, path: Path) -> None:
    path.write_text(json.dumps(asdict(growth)))


def load(path: Path) -> Growth:
    data = json.loads(path.read_text())
    steps = [Step(**step) for step in data.pop("steps")]
    return Growth(steps=steps, **data)


if __name__ == "__main__":
    # ``python -m bench.growth ITERATIONS OUT.json``: bench/run.py runs this in a process of
    # its own, on the second core, while the local stack measures cost on the first.
    save(run(int(sys.argv[1])), Path(sys.argv[2]))
