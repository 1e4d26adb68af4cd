"""``canter.lambda_handler``: task functions run by Lambda, fed by their TaskQueue's queue.

Lambda's SQS event source receives up to a batch of ScheduledTask messages,
invokes the handler with them, and deletes those the handler does not list
in ``batchItemFailures``. The handler runs each attempt exactly as
:class:`canter.Worker` does (same binding, same ``WorkerContext``, same
reports), then reports the batch's outcomes in ``ReportTasks`` calls of up
to ten, each with its message's task token. A message whose report was not
accepted is listed in ``batchItemFailures``, so SQS delivers only that one
again.

Timeouts: an attempt's deadline is its first receive plus its
``canter.timeoutSeconds``, as for the polling worker, and never later than
the invocation's end less a margin kept for reporting. An attempt still
running then is reported ``TASK_TIMEOUT`` (retried by the engine) before
Lambda would kill the whole invocation and lose every report in it.

Powertools' ``BatchProcessor`` handles records one by one; its per-record
success/failure model does not fit an invocation that reports all its
records in one request, so only the ``batchItemFailures`` response shape
is shared with it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from canter.client import Client
from canter.worker import report
from canter.worker.binding import Binding
from canter.worker.payloads import PayloadError, scheduled_task_text
from canter.worker.reporter import Finished, Reporter, batches
from canter.worker.worker import (
    TOKEN_ATTRIBUTE,
    QueueInfo,
    context_of,
    named,
    not_to_run,
    received,
    run_task,
)

log = logging.getLogger("canter.worker")

# Seconds kept at the end of an invocation to send its reports (and their
# retries); at most a quarter of the invocation's time.
REPORT_MARGIN_SECONDS = 10.0
# Attempts this execution environment had reported, remembered so that a
# duplicate delivery is not run and reported again.
REMEMBERED_ATTEMPTS = 10_000
# The queue's redrive maxReceiveCount (canter.cdk.TaskFunction sets it): the
# last receive before the dead-letter queue is reported TASK_TIMEOUT, not run.
ENV_MAX_RECEIVES = "CANTER_TASK_QUEUE_MAX_RECEIVES"


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(slots=True)
class _Attempt:
    record: Mapping[str, Any]
    scheduled_task: dict[str, Any]
    deadline: float  # epoch seconds
    why_late: str  # the TASK_TIMEOUT message if it runs past its deadline
    outcome: dict[str, Any] | None = None  # decided without running (already late)
    future: Future[dict[str, Any]] | None = None
    started: float | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return _attempt_key(self.scheduled_task)


def lambda_handler(
    tasks: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]],
    *,
    client: Client | None = None,
    report_margin_seconds: float = REPORT_MARGIN_SECONDS,
) -> TaskHandler:
    """An AWS Lambda handler running ``tasks`` (as :class:`canter.Worker` takes them).

    The API is found as the CLI finds it (``CANTER_API_URL``) unless
    ``client`` is given. Use it as the module's handler::

        handler = canter.lambda_handler([charge, ship])
    """
    return TaskHandler(
        {name: Binding.of(fn) for name, fn in named(tasks).items()}, client, report_margin_seconds
    )


class TaskHandler:
    """The handler ``lambda_handler`` returns; it keeps what it reported between invocations."""

    def __init__(self, bindings: dict[str, Binding], client: Client | None, margin: float) -> None:
        self._bindings = bindings
        self._client = client
        self._margin = margin
        self._reported: OrderedDict[tuple[str, str, int], None] = OrderedDict()
        self._lock = threading.Lock()
        limit = os.environ.get(ENV_MAX_RECEIVES)
        self._max_receives = int(limit) if limit else None

    @property
    def functions(self) -> dict[str, Callable[..., Any]]:
        """The task functions this handler runs, by TaskDef name."""
        return {name: binding.fn for name, binding in sorted(self._bindings.items())}

    def uses(self, client: Client) -> None:
        """Report through ``client`` when none was given (``canter dev`` passes its own)."""
        if self._client is None:
            self._client = client

    def __call__(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        now = time.time()
        remaining = context.get_remaining_time_in_millis() / 1000
        end = now + remaining - min(self._margin, remaining / 4)
        failures: list[str] = []
        attempts: list[_Attempt] = []
        seen: set[tuple[str, str, int]] = set()
        for record in event.get("Records") or []:
            attempt = self._attempt(record, now, end)
            if attempt is None:
                failures.append(str(record["messageId"]))
            elif attempt.key in seen or self._was_reported(attempt.key):
                log.info("attempt %s delivered again; already run, not run again", attempt.key)
            else:
                seen.add(attempt.key)
                attempts.append(attempt)
        self._run(attempts)
        finished = [self._finished(a) for a in attempts]
        accepted = self._send(finished)
        with self._lock:
            for attempt in attempts:
                if str(attempt.record["messageId"]) in accepted:
                    self._remember(attempt.key)
        failures += [f.message_id for f in finished if f.message_id not in accepted]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}

    def _attempt(self, record: Mapping[str, Any], now: float, end: float) -> _Attempt | None:
        """The record's attempt with its deadline; None (a failure) for a task not served here.

        A body that is no ScheduledTask fails alone: raising would have SQS
        deliver the whole batch again, and again.
        """
        try:
            body = scheduled_task_text(record["body"], _s3)
            scheduled_task: dict[str, Any] = json.loads(body)
            name = str(scheduled_task["taskDefId"]["name"])
            _attempt_key(scheduled_task)
        except (ValueError, KeyError, TypeError, PayloadError, ClientError) as exc:
            log.error("message %s is not a ScheduledTask (%s); left", record.get("messageId"), exc)
            return None
        if name not in self._bindings:
            log.error("no function for TaskDef %r in this Lambda function; message left", name)
            return None
        flight = received(
            QueueInfo(str(record.get("eventSourceARN", "")), 0, self._max_receives),
            {**_message(record), "Body": body},
        )
        attempt = _Attempt(
            record,
            scheduled_task,
            min(flight.deadline, end),
            f"still running {flight.timeout_seconds} s after a worker first received it; "
            "whatever it returns is discarded",
        )
        if end < flight.deadline:
            attempt.why_late = (
                "still running when its Lambda invocation was about to end "
                f"(its timeout is {flight.timeout_seconds} s); whatever it returns is discarded"
            )
        why = not_to_run(flight, now)
        if why is not None:
            attempt.outcome = report.timeout(scheduled_task, context_of(scheduled_task), why)
        return attempt

    def _run(self, attempts: list[_Attempt]) -> None:
        """Run the attempts side by side; time out those still running at their deadline.

        Python cannot stop a thread: a function still running at its
        deadline runs on (frozen with the execution environment between
        invocations) and its result is discarded.
        """
        to_run = [a for a in attempts if a.outcome is None]
        if not to_run:
            return
        pool = ThreadPoolExecutor(len(to_run), thread_name_prefix="canter-task")
        for attempt in to_run:
            attempt.future = pool.submit(self._call, attempt)
        for attempt in to_run:
            assert attempt.future is not None
            try:
                attempt.outcome = attempt.future.result(max(0.0, attempt.deadline - time.time()))
            except FutureTimeout:
                attempt.outcome = report.timeout(
                    attempt.scheduled_task, context_of(attempt.scheduled_task), attempt.why_late
                )
                log.warning("attempt %s timed out: %s", attempt.key, attempt.why_late)
        pool.shutdown(wait=False, cancel_futures=True)

    def _call(self, attempt: _Attempt) -> dict[str, Any]:
        attempt.started = time.time()
        scheduled_task = attempt.scheduled_task
        binding = self._bindings[str(scheduled_task["taskDefId"]["name"])]
        token = (attempt.record.get("messageAttributes") or {}).get(TOKEN_ATTRIBUTE) or {}
        receives = int((attempt.record.get("attributes") or {}).get("ApproximateReceiveCount", 1))
        token_value = str(token.get("stringValue", ""))
        context = context_of(scheduled_task, self._api(), token_value, receives)
        return run_task(binding, scheduled_task, context)

    def _finished(self, attempt: _Attempt) -> Finished:
        record = attempt.record
        token = (record.get("messageAttributes") or {}).get(TOKEN_ATTRIBUTE) or {}
        assert attempt.outcome is not None
        return Finished(
            str(record.get("eventSourceARN", "")),
            str(record["messageId"]),
            str(record.get("receiptHandle", "")),
            attempt.outcome,
            str(token.get("stringValue", "")),
            report.timing(attempt.started),
        )

    def _api(self) -> Client:
        """The client reports and checkpoints go through: the API of the environment
        (``CANTER_API_URL``) unless one was given."""
        with self._lock:
            if self._client is None:
                self._client = Client()
            return self._client

    def _send(self, finished: list[Finished]) -> set[str]:
        """Report in ``ReportTasks`` calls of up to ten (a large output alone); the
        message ids accepted."""
        if not finished:
            return set()
        reporter = Reporter(self._api(), None, lambda _: None, lambda: False)
        accepted: set[str] = set()
        for batch in batches(finished):
            try:
                sent = reporter.send(batch)
            except Exception:
                log.exception("reporting failed; the messages will be delivered again")
                continue
            accepted.update(f.message_id for f in sent)
        return accepted

    def _was_reported(self, key: tuple[str, str, int]) -> bool:
        with self._lock:
            return key in self._reported

    def _remember(self, key: tuple[str, str, int]) -> None:
        self._reported[key] = None
        while len(self._reported) > REMEMBERED_ATTEMPTS:
            self._reported.popitem(last=False)


@cache
def _s3() -> Any:
    """S3, for ScheduledTasks sent by reference (canter.worker.payloads); path-style
    against a local endpoint (``canter dev``)."""
    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    return boto3.client("s3", config=Config(s3={"addressing_style": "path" if local else "auto"}))


def _attempt_key(scheduled_task: Mapping[str, Any]) -> tuple[str, str, int]:
    run_id = scheduled_task["taskRunId"]
    return (
        str(run_id["wfRunId"]["id"]),
        str(run_id["taskGuid"]),
        int(scheduled_task.get("attemptNumber", 0)),
    )


def _message(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Lambda SQS record in the shape ``ReceiveMessage`` gives (the polling worker's)."""
    return {
        "MessageId": record["messageId"],
        "ReceiptHandle": record.get("receiptHandle", ""),
        "Body": record["body"],
        "Attributes": dict(record.get("attributes") or {}),
        "MessageAttributes": {
            name: {"StringValue": value.get("stringValue"), "DataType": value.get("dataType")}
            for name, value in (record.get("messageAttributes") or {}).items()
        },
    }
