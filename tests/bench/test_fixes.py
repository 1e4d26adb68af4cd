"""Savings are arithmetic on measured lines, so they shrink to nothing once a fix lands."""

from __future__ import annotations

from typing import Any

import pytest

from bench.cost import WorkflowCost
from bench.fixes import estimate
from bench.pricing import Line, load_prices
from bench.workflows import references

PRICES = load_prices()


def _cost(lines: list[Line], tasks: int = 10) -> WorkflowCost:
    fields: dict[str, Any] = dict.fromkeys(
        ("scheduler_invocations", "lambda_aws_calls", "largest_item", "idle_receives"), 0
    )
    return WorkflowCost(
        reference=references(10, 1, 1, 1)[0],
        runs=1,
        task_nodes=tasks,
        node_runs=12,
        seconds=1.0,
        lines=lines,
        scheduler_cpu_seconds=0.0,
        sfn_per_million_transitions=25.0,
        written={},
        **fields,
    )


def test_reports_through_the_api_save_everything_but_the_journal_write() -> None:
    lines = [
        Line("api ReportTask", "API Gateway HTTP API", 10, 10, "requests", 10e-6),
        Line("api ReportTask", "Lambda api requests", 10, 10, "invocations", 2e-6),
        Line("api ReportTask", "DynamoDB PutItem", 10, 10, "WRU", 6.25e-6),
    ]
    (fix,) = estimate(_cost(lines), PRICES)
    assert fix.saving_per_million == pytest.approx(1.20)


def test_a_head_over_1kb_is_the_saving() -> None:
    lines = [Line("scheduler", "DynamoDB PutItem", 10, 20, "WRU", 20 * 0.625e-6)]
    (fix,) = estimate(_cost(lines), PRICES)
    assert fix.change.startswith("Keep") and fix.saving_per_million == pytest.approx(0.625)


def test_half_full_report_batches_save_half_of_what_the_calls_cost() -> None:
    lines = [
        Line("api ReportTasks", "API Gateway HTTP API", 2, 2, "requests", 2e-6),
        Line("api ReportTasks", "Lambda api requests", 2, 2, "invocations", 0.4e-6),
        Line("api ReportTasks", "DynamoDB PutItem", 10, 10, "WRU", 6.25e-6),
    ]
    savings = {f.change.split(" ")[0]: f.saving_per_million for f in estimate(_cost(lines), PRICES)}
    assert savings["Fuller"] == pytest.approx((2.0 + 0.4) / 10 * 0.5)


def test_a_fixed_system_has_nothing_left_to_save() -> None:
    lines = [Line("scheduler", "DynamoDB BatchWriteItem", 10, 10, "WRU", 10 * 0.625e-6)]
    assert estimate(_cost(lines), PRICES) == []
