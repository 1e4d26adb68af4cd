"""The Lambda-backed tasks estimate: the worker's lines replaced, every other line kept."""

from __future__ import annotations

import pytest

from bench.lambda_tasks import compare
from bench.pricing import Line, load_prices

SQS = 0.40 / 1e6


def chain_lines() -> list[Line]:
    """The 10-task chain's lines as bench/RESULTS.md measured them (200 task nodes)."""
    return [
        Line("scheduler", "DynamoDB PutItem", 220, 220, "WRU", 220 * 0.625e-6),
        Line("api ReportTasks", "API Gateway HTTP API", 47, 47, "requests", 47e-6),
        Line("worker", "SQS ReceiveMessage (task queue)", 47, 47, "SQS requests", 47 * SQS),
        Line("worker", "SQS DeleteMessageBatch (task queue)", 41, 41, "SQS requests", 41 * SQS),
        Line("worker", "SQS DeleteMessage (task queue)", 6, 6, "SQS requests", 6 * SQS),
    ]


def test_lambda_backed_tasks_replace_receives_and_deletes_with_invocations() -> None:
    lines = chain_lines()
    result = compare(lines, 200, load_prices())
    assert [line.caller for line in result.replaced] == ["worker"] * 3
    receives, deletes, requests, duration = result.added
    assert receives.requests == deletes.requests == requests.requests == 47
    assert duration.units == pytest.approx(47 * 0.090 * 128 / 1024)
    kept = sum(line.dollars for line in lines if line.caller != "worker")
    worker = sum(line.dollars for line in result.replaced)
    added = sum(line.dollars for line in result.added)
    assert result.worker_per_million == pytest.approx((kept + worker) / 200 * 1e6)
    assert result.lambda_per_million == pytest.approx((kept + added) / 200 * 1e6)
    # As many SQS requests either way (a receive and a delete per batch), so the
    # difference is the task function's requests and duration.
    assert result.lambda_per_million - result.worker_per_million == pytest.approx(
        (47 * 0.2e-6 + 47 * 0.090 * 0.125 * 0.0000133334) / 200 * 1e6
    )
