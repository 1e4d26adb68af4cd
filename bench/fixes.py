"""What each proposed change would save, estimated from a measured breakdown.

Every estimate is arithmetic on the lines the meter priced, so after a fix
lands its line shrinks to what is left and the next run says so by itself.
Savings overlap a little (a cheaper head write also shrinks what a merged
item would cost), so their sum is an upper bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.cost import WorkflowCost
from bench.pricing import Line

WORKER_BATCH = 10  # ReportTasks and DeleteMessageBatch take up to ten


@dataclass(frozen=True)
class Fix:
    change: str
    saving_per_million: float
    how: str


def estimate(result: WorkflowCost, prices: dict[str, Any]) -> list[Fix]:
    per = result.per_unit / 1e6
    wru = prices["dynamodb"]["write_request_unit_per_million"]
    sqs = prices["sqs"]["standard_request_per_million"]
    lines = result.lines

    def dollars(match: Callable[[Line], bool]) -> float:
        return sum(line.dollars for line in lines if match(line)) / per

    def count(match: Callable[[Line], bool], field: str = "requests") -> float:
        return float(sum(getattr(line, field) for line in lines if match(line))) / result.per_unit

    fixes = [
        Fix(
            "Workers append reports to the journal themselves (IAM-scoped PutItem) "
            "instead of through API Gateway and the API Lambda",
            dollars(
                lambda ln: ln.caller.startswith("api ReportTask") and "DynamoDB" not in ln.item
            ),
            "removes the HTTP API request, the Lambda request and its duration per report",
        ),
        Fix(
            "Fuller report batches: a busy worker waits a few milliseconds for a "
            f"ReportTasks batch of {WORKER_BATCH} instead of sending what has queued up",
            dollars(_report_calls) * max(0.0, 1 - _reports_per_call(lines) / WORKER_BATCH),
            f"{_reports_per_call(lines):.1f} reports per ReportTasks call now",
        ),
        Fix(
            "Keep the WfRun head under 1 KB",
            max(0.0, count(_head, "units") - count(_head)) * wru,
            f"head writes now {count(_head, 'units'):.2f} WRU for {count(_head):.2f} "
            "writes per unit",
        ),
        Fix(
            "Write a WfRun's search-index entry once (not when it starts and again, as a "
            "delete and a put, when its status changes)",
            max(0.0, count(_index, "units") - result.runs / result.per_unit) * wru,
            f"index entry writes now {count(_index, 'units'):.2f} WRU per unit",
        ),
        Fix(
            "Worker deletes in DeleteMessageBatch (up to 10 receipts per request)",
            count(_worker_deletes) * (1 - 1 / WORKER_BATCH) * sqs,
            f"{count(_worker_deletes):.2f} DeleteMessage per unit now",
        ),
    ]
    return sorted(
        (f for f in fixes if f.saving_per_million > 0.005), key=lambda f: -f.saving_per_million
    )


def _report_calls(line: Line) -> bool:
    return line.caller == "api ReportTasks" and "DynamoDB" not in line.item


def _reports_per_call(lines: list[Line]) -> float:
    calls = sum(ln.requests for ln in lines if ln.caller == "api ReportTasks" and "API" in ln.item)
    reports = sum(
        ln.requests
        for ln in lines
        if ln.caller == "api ReportTasks" and ln.item == "DynamoDB PutItem"
    )
    return reports / calls if calls else float(WORKER_BATCH)


def _head(line: Line) -> bool:
    return line.caller == "scheduler" and line.item == "DynamoDB PutItem"


def _index(line: Line) -> bool:
    return line.item.endswith(": index entries")


def _worker_deletes(line: Line) -> bool:
    return line.caller == "worker" and line.item.startswith("SQS DeleteMessage ")
