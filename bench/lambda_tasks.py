"""The chain's bill with Lambda-backed tasks (``canter.lambda_handler``), beside the worker's.

Arithmetic on the measured lines, as ``bench/fixes.py`` is: everything but
the polling worker's own lines stays (the handler reports a batch in one
``ReportTasks`` call with its tokens, as the worker does, so the API
Gateway, API Lambda and journal lines are the same). The worker's lines,
its ``ReceiveMessage`` and deletes on the task queue, are replaced by what
Lambda's SQS event source and the task function cost for the same messages:

- the event source's ``ReceiveMessage``: one per batch it hands over, as
  many as the worker's non-empty receives (both take up to ten of what is
  waiting); idle long polls are left out for both;
- its ``DeleteMessageBatch``: one per invocation;
- one Lambda request per invocation;
- Lambda duration per invocation: the batch's tasks run side by side, so the
  task's ``TASK_MS`` plus the ``ReportTasks`` round trip ``REPORT_MS``, at
  ``MEMORY_MB``, on arm64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.pricing import Line, total

MEMORY_MB = 128
TASK_MS = 50
# API Gateway + the API Lambda's ReportTasks, seen from a Lambda in the same region.
REPORT_MS = 40
CALLER = "task function"


@dataclass(frozen=True)
class LambdaTasks:
    worker_per_million: float
    lambda_per_million: float
    replaced: list[Line]  # the polling worker's lines
    added: list[Line]  # what replaces them


def compare(
    lines: list[Line],
    task_nodes: int,
    prices: dict[str, Any],
    *,
    memory_mb: int = MEMORY_MB,
    task_ms: int = TASK_MS,
    report_ms: int = REPORT_MS,
) -> LambdaTasks:
    worker = [line for line in lines if line.caller == "worker"]
    invocations = sum(line.requests for line in worker if "ReceiveMessage" in line.item)
    sqs = prices["sqs"]["standard_request_per_million"] / 1e6
    lam = prices["lambda_arm64"]
    gb_seconds = invocations * (task_ms + report_ms) / 1000 * memory_mb / 1024
    added = [
        Line(
            "SQS event source",
            "SQS ReceiveMessage (task queue)",
            invocations,
            invocations,
            "SQS requests",
            invocations * sqs,
        ),
        Line(
            "SQS event source",
            "SQS DeleteMessageBatch (task queue)",
            invocations,
            invocations,
            "SQS requests",
            invocations * sqs,
        ),
        Line(
            CALLER,
            "Lambda requests",
            invocations,
            invocations,
            "invocations",
            invocations * lam["request_per_million"] / 1e6,
        ),
        Line(
            CALLER,
            f"Lambda duration ({memory_mb} MB, {task_ms} + {report_ms} ms)",
            0,
            gb_seconds,
            "GB-s",
            gb_seconds * lam["gb_second"],
        ),
    ]
    kept = [line for line in lines if line.caller != "worker"]
    per = task_nodes / 1e6
    return LambdaTasks(
        worker_per_million=total(lines) / per,
        lambda_per_million=(total(kept) + total(added)) / per,
        replaced=worker,
        added=added,
    )
