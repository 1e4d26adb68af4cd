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

from canter_engine.store.state import HEAD_SK

from bench.cost import WorkflowCost
from bench.pricing import Line

TARGET_ITEMS_PER_TASK = 1  # one NodeRun item, written once, when the task ends
WORKER_BATCH = 10  # DeleteMessageBatch takes up to ten receipts


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
    side = [v for kind, v in result.written.items() if _is_side_item(kind)]
    side_items, side_bytes = sum(n for n, _ in side), sum(b for _, b in side)

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
            "No timeout-timer traffic for a task that already reported (today every task's "
            "timer is sent, received, handled and deleted when it falls due)",
            dollars(
                lambda ln: (
                    ln.caller.startswith("timers")
                    or (ln.caller == "scheduler" and "(timers queue)" in ln.item)
                )
            ),
            "everything the timer path costs now: the send, the timers Lambda and its "
            "event source's receives and deletes, what the Lambda reads and writes; the "
            "scheduler work TimerFired records cause comes on top",
        ),
        Fix(
            "One side item per task node, under 1 KB: a NodeRun written once, when it "
            "ends, holding its TaskRun; Variables only when they change",
            max(0.0, count(_side_items, "units") - TARGET_ITEMS_PER_TASK) * wru,
            f"now {side_items / result.per_unit:.2f} side items per unit, mean "
            f"{side_bytes / max(side_items, 1):,.0f} B, {count(_side_items, 'units'):.2f} WRU "
            "(an item just over 1 KB costs 2)",
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
            "The scheduler keeps each WfRun's head in memory between invocations (the "
            "conditional head write still catches a stale copy) instead of reading it first",
            dollars(lambda ln: ln.caller == "scheduler" and ln.item == "DynamoDB GetItem"),
            f"{count(lambda ln: ln.caller == 'scheduler' and ln.item == 'DynamoDB GetItem'):.2f} "
            "strongly consistent head reads per unit now",
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


def _is_side_item(kind: str) -> bool:
    """Items the scheduler writes to the state table other than the WfRun head."""
    return kind.startswith("scheduler: state ") and kind != f"scheduler: state {HEAD_SK}"


def _side_items(line: Line) -> bool:
    return line.caller == "scheduler" and line.item == "DynamoDB BatchWriteItem"


def _head(line: Line) -> bool:
    return line.caller == "scheduler" and line.item == "DynamoDB PutItem"


def _index(line: Line) -> bool:
    return line.item.endswith(": index entries")


def _worker_deletes(line: Line) -> bool:
    return line.caller == "worker" and line.item.startswith("SQS DeleteMessage ")
