"""Dollars from a :class:`bench.meter.Tally`, at the list prices in ``bench/pricing.json``.

What is left out, and why: receives that returned nothing (idle long
polling costs per hour of uptime, not per node; it is reported apart) and
API rpcs that only read or register (the bench's own polling and setup,
not the work of a WfRun), with every request those made. Every other rpc
counts, so an input rpc added later (a batched report) is billed unasked.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.meter import Invocation, Request, Tally

PRICES_PATH = Path(__file__).with_name("pricing.json")

# Rpcs that only read, or register definitions: the bench's observing and setup.
READ_PREFIXES = ("Get", "List", "Search")
REGISTRATION_SUFFIXES = ("Def", "WfSpec")
LAMBDA_BILLING_MS = 1
FREE_SERVICES = frozenset({"dynamodbstreams"})  # stream reads by a Lambda event source


@dataclass(frozen=True, slots=True)
class Line:
    """One priced line: what was bought, by whom, how many requests, which units, what cost."""

    caller: str
    item: str
    requests: int
    units: float
    unit: str
    dollars: float


def load_prices(path: Path = PRICES_PATH) -> dict[str, Any]:
    prices: dict[str, Any] = json.loads(path.read_text())
    return prices


def counted_request(request: Request) -> bool:
    return not request.empty_receive and _counted_caller(request.caller)


def counted_invocation(invocation: Invocation) -> bool:
    return _counted_caller(invocation.caller)


def _counted_caller(caller: str) -> bool:
    if caller == "harness":
        return False
    if caller.startswith("api "):
        return is_input_rpc(caller.removeprefix("api "))
    return True


def is_input_rpc(rpc: str) -> bool:
    """RunWf, ReportTask(s), PutExternalEvent, Stop/Resume/DeleteWfRun: a WfRun's inputs."""
    registers = rpc.startswith("Put") and rpc.endswith(REGISTRATION_SUFFIXES)
    return not (rpc.startswith(READ_PREFIXES) or registers)


def billed_gb_seconds(cpu_seconds: float, memory_mb: int) -> float:
    """Lambda bills duration in 1 ms steps (at least 1 ms) times the configured memory."""
    ms = max(LAMBDA_BILLING_MS, math.ceil(cpu_seconds * 1000 / LAMBDA_BILLING_MS))
    return ms / 1000 * memory_mb / 1024


def price(tally: Tally, prices: dict[str, Any]) -> list[Line]:
    """Every counted request and invocation, priced and grouped by caller and item."""
    ddb, sqs, s3 = prices["dynamodb"], prices["sqs"], prices["s3"]
    lam, api = prices["lambda_arm64"], prices["api_gateway"]
    grouped: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])

    def add(caller: str, item: str, unit: str, requests: int, units: float, dollars: float) -> None:
        row = grouped[(caller, item, unit)]
        row[0] += requests
        row[1] += units
        row[2] += dollars

    for r in filter(counted_request, tally.requests):
        item = f"{_SERVICE_NAMES.get(r.service, r.service)} {r.operation}"
        if r.service == "dynamodb":
            writes = r.write_units * ddb["write_request_unit_per_million"] / 1e6
            reads = r.read_units * ddb["read_request_unit_per_million"] / 1e6
            unit = "WRU" if r.write_units else "RRU"
            add(r.caller, item, unit, 1, r.write_units or r.read_units, writes + reads)
            if r.index_write_units:
                dollars = r.index_write_units * ddb["write_request_unit_per_million"] / 1e6
                add(r.caller, f"{item}: index entries", "WRU", 0, r.index_write_units, dollars)
        elif r.service == "sqs":
            dollars = r.sqs_requests * sqs["standard_request_per_million"] / 1e6
            item += f" ({_queue_kind(r.resource)})" if r.resource else ""
            add(r.caller, item, "SQS requests", 1, r.sqs_requests, dollars)
        elif r.service == "s3":
            per_million = s3[_S3_CLASSES.get(r.operation, "put_request_per_million")]
            add(r.caller, item, "S3 requests", 1, 1, per_million / 1e6)
        elif r.service in FREE_SERVICES:
            add(r.caller, item, "free", 1, 0, 0.0)
        else:
            add(r.caller, item, "unpriced", 1, 0, 0.0)
    for inv in filter(counted_invocation, tally.invocations):
        function = f"Lambda {inv.function}"
        add(
            inv.caller,
            f"{function} requests",
            "invocations",
            1,
            1,
            lam["request_per_million"] / 1e6,
        )
        gbs = billed_gb_seconds(inv.cpu_seconds, inv.memory_mb)
        add(inv.caller, f"{function} duration", "GB-s", 0, gbs, gbs * lam["gb_second"])
        if inv.function == "api":
            metered = api_gateway_requests(inv.request_bytes, api["http_api_metering_kb"])
            dollars = metered * api["http_api_request_per_million"] / 1e6
            add(inv.caller, "API Gateway HTTP API", "requests", 1, metered, dollars)
    return [
        Line(caller, item, int(row[0]), row[1], unit, row[2])
        for (caller, item, unit), row in sorted(grouped.items())
    ]


def api_gateway_requests(body_bytes: int, metering_kb: int) -> int:
    """HTTP API requests are metered in 512 KB increments: a 1 MB report is two."""
    return max(1, math.ceil(body_bytes / (metering_kb * 1024)))


def total(lines: Iterable[Line]) -> float:
    return sum(line.dollars for line in lines)


def idle_receives(tally: Tally) -> int:
    return sum(1 for r in tally.requests if r.empty_receive)


def _queue_kind(queue_name: str) -> str:
    """``canter-<stage>-task-x`` is a task queue, ``canter-<stage>-timers`` the timer queue."""
    parts = queue_name.split("-", 2)
    kind = parts[2] if len(parts) == 3 else queue_name
    return "task queue" if kind.startswith("task-") else f"{kind} queue"


_SERVICE_NAMES = {
    "dynamodb": "DynamoDB",
    "sqs": "SQS",
    "dynamodbstreams": "DynamoDB Streams",
    "s3": "S3",
}
# S3 bills PUT, COPY, POST and LIST requests at one price, GET and the other
# reads at another; DELETE is free.
_S3_CLASSES = {
    "GetObject": "get_request_per_million",
    "HeadObject": "get_request_per_million",
    "DeleteObject": "delete_request_per_million",
    "DeleteObjects": "delete_request_per_million",
}
