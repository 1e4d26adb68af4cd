"""What operating WfRuns over time costs (issue 18): a scheduled run, and a retention delete.

Both are measured through the metered local stack like the reference
workflows (bench/cost.py), and priced at bench/pricing.json:

- a scheduled run: each firing of a ScheduledWfRun is one EventBridge
  Scheduler invocation of the ScheduledRuns function, which reads the
  ScheduledWfRun and starts the WfRun as RunWf does; the WfRun itself (here
  one with no task, so that what is measured is the start) is the same as
  any other. Compared with the same WfRun started by an API RunWf.
- a retention delete: a WfSpec with a retention policy writes one journal
  marker as each WfRun ends; DynamoDB's TTL removes the marker for free and
  the stream hands the removal to the scheduler, which deletes the WfRun.
  Measured from the moment every WfRun has ended to the moment every one is
  gone, so the bill is the delete alone (the marker's write is listed apart).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from canter import Workflow, WorkflowThread
from canter_engine import resources

from bench.harness import (
    STAGE,
    Stack,
    StepCounter,
    metered_stack,
    step_worker,
    wait_all,
    wait_until,
)
from bench.pricing import Line, load_prices, price, total
from bench.workflows import STEP

SCHEDULED_RUNS = 50
RETAINED_RUNS = 50
# Long enough for every WfRun to be seen COMPLETED before the first is deleted.
RETENTION_SECONDS = 20
CHAIN_TASKS = 3
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class Operations:
    scheduled_runs: int
    scheduled_lines: list[Line]
    eventbridge_dollars: float
    api_lines: list[Line]
    retained_runs: int
    retention_lines: list[Line]
    marker_dollars: float
    delete_requests: float

    @property
    def per_million_scheduled(self) -> float:
        return (total(self.scheduled_lines) + self.eventbridge_dollars) / self.scheduled_runs * 1e6

    @property
    def per_million_api(self) -> float:
        return total(self.api_lines) / self.scheduled_runs * 1e6

    @property
    def per_million_deleted(self) -> float:
        return total(self.retention_lines) / self.retained_runs * 1e6

    @property
    def per_million_markers(self) -> float:
        return self.marker_dollars / self.retained_runs * 1e6


def _started(wf: WorkflowThread) -> None:
    wf.declare_str("who", "scheduled")


def _chain(wf: WorkflowThread) -> None:
    for n in range(CHAIN_TASKS):
        wf.execute(STEP, n)


def measure(stack: Stack) -> Operations:
    from canter_engine.handlers import scheduled_runs

    client, meter = stack.client, stack.meter
    prices = load_prices()
    fire = meter.lambda_function(
        "scheduled runs", resources.SCHEDULED_RUNS_FUNCTION.memory_mb, scheduled_runs.handler
    )
    client.put_wf_spec(Workflow("bench-scheduled", _started))
    client.schedule_wf("bench-scheduled", "0 0 1 1 *", id="bench-yearly")
    meter.take()
    for minute in range(SCHEDULED_RUNS):
        at = f"2027-01-01T{minute // 60:02d}:{minute % 60:02d}:00Z"
        fire({"scheduledWfRunId": "bench-yearly", "scheduledTime": at}, _Context())
    wait_all(client, "bench-scheduled", SCHEDULED_RUNS, TIMEOUT_SECONDS)
    time.sleep(1)
    scheduled = price(meter.take(), prices)
    client.delete_scheduled_wf_run("bench-yearly")
    eventbridge = SCHEDULED_RUNS * prices["eventbridge_scheduler"]["invocation_per_million"] / 1e6

    client.put_wf_spec(Workflow("bench-started", _started))
    meter.take()
    for _ in range(SCHEDULED_RUNS):
        client.run_wf("bench-started")
    wait_all(client, "bench-started", SCHEDULED_RUNS, TIMEOUT_SECONDS)
    time.sleep(1)
    by_api = price(meter.take(), prices)

    retained = Workflow("bench-retained", _chain).with_retention_policy(RETENTION_SECONDS)
    client.put_wf_spec(retained)
    with step_worker(client, StepCounter()):
        for _ in range(RETAINED_RUNS):
            client.run_wf("bench-retained")
        wait_all(client, "bench-retained", RETAINED_RUNS, TIMEOUT_SECONDS)
    ran = meter.take()
    # The scheduler's only journal writes here (no child WfRuns): the markers.
    journal = resources.JOURNAL_TABLE.physical_name(STAGE)
    marker_units = sum(
        r.write_units
        for r in ran.requests
        if r.caller == "scheduler" and r.operation == "PutItem" and r.resource == journal
    )
    markers = marker_units * prices["dynamodb"]["write_request_unit_per_million"] / 1e6
    wait_until(
        lambda: not client.search_wf_run("bench-retained")["results"],
        TIMEOUT_SECONDS,
        "the retained WfRuns were never deleted",
    )
    time.sleep(1)
    deleted = meter.take()
    removed = sum(
        1
        for r in deleted.requests
        if r.service == "dynamodb" and r.operation in ("DeleteItem", "BatchWriteItem")
    )
    return Operations(
        scheduled_runs=SCHEDULED_RUNS,
        scheduled_lines=scheduled,
        eventbridge_dollars=eventbridge,
        api_lines=by_api,
        retained_runs=RETAINED_RUNS,
        retention_lines=price(deleted, prices),
        marker_dollars=markers,
        delete_requests=removed / RETAINED_RUNS,
    )


class _Context:
    """What a Lambda context offers the handler's logger."""

    function_name = "canter-bench-scheduled-runs"
    memory_limit_in_mb = resources.SCHEDULED_RUNS_FUNCTION.memory_mb
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench"
    function_version = "$LATEST"


def markdown(ops: Operations) -> str:
    def rows(lines: list[Line], runs: int) -> list[str]:
        return [
            f"| {line.caller} | {line.item} | {line.requests / runs:.2f} | "
            f"{line.units / runs:.3f} {line.unit} | ${line.dollars / runs * 1e6:.3f} |"
            for line in lines
            if line.dollars or line.requests
        ]

    head = "| caller | item | requests per run | units per run | $ per million runs |"
    rule = "|---|---|---|---|---|"
    return "\n".join(
        [
            "## Operating WfRuns: scheduled runs and retention deletes",
            "",
            f"A scheduled start ({ops.scheduled_runs} firings of a ScheduledWfRun, each "
            "starting a WfRun with no task) costs "
            f"**${ops.per_million_scheduled:.2f} per million runs**, EventBridge Scheduler's "
            f"invocation (${ops.eventbridge_dollars / ops.scheduled_runs * 1e6:.2f} per "
            f"million) included; the same WfRun started by RunWf through the API costs "
            f"${ops.per_million_api:.2f} per million.",
            "",
            head,
            rule,
            *rows(ops.scheduled_lines, ops.scheduled_runs),
            "",
            f"A retention delete ({ops.retained_runs} WfRuns of a {CHAIN_TASKS}-task chain "
            f"kept {RETENTION_SECONDS} s after they end) costs "
            f"**${ops.per_million_deleted:.2f} per million WfRuns deleted**: the TTL removal "
            "of the marker is free, the scheduler then deletes the WfRun's items, pages, "
            f"search entries and journal records ({ops.delete_requests:.1f} delete requests "
            "per WfRun). "
            f"Writing the marker as the WfRun ends: ${ops.per_million_markers:.2f} per "
            "million WfRuns.",
            "",
            head,
            rule,
            *rows(ops.retention_lines, ops.retained_runs),
        ]
    )


SECTION = re.compile(r"## Operating WfRuns:.*?(?=\n## |\Z)", re.DOTALL)


def splice(document: str, section: str) -> str:
    """``document`` with its operations section replaced by ``section`` (or added at the end)."""
    if SECTION.search(document):
        return SECTION.sub(lambda _: section, document, count=1)
    return document.rstrip("\n") + "\n\n" + section + "\n"


def main() -> None:
    """``python -m bench.operations``: measure and rewrite this section of RESULTS.md alone."""
    with metered_stack() as stack:
        ops = measure(stack)
    results = Path(__file__).with_name("RESULTS.md")
    results.write_text(splice(results.read_text(), markdown(ops)))
    print(markdown(ops))


if __name__ == "__main__":
    main()
