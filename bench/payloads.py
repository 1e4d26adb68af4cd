"""What a large value costs: a workflow passing a 1 MB value through three tasks.

The value goes in with RunWf, each task gets it as its input and returns it,
and its output becomes the variable the next task gets. Over the inline
limit it lives in the payload bucket (canter_engine/store/payloads.py):
DynamoDB and SQS carry a reference, the API stores the value once when it
arrives (RunWf, each report) and the scheduler reads it back from memory or
S3. The same workflow with a 10-byte value is the baseline; both run on the
metered local stack and are priced like every other reference workflow
(S3 requests and API Gateway's 512 KB metering included).
"""

from __future__ import annotations

import base64
import os
import time
from dataclasses import dataclass
from pathlib import Path

from canter import Client, Worker, Workflow, WorkflowThread

from bench.harness import Stack, wait_all
from bench.pricing import Line, load_prices, price, total

ECHO = "bench-echo"
ECHO_TASK_DEF = {"name": ECHO, "inputVars": [{"name": "text", "type": "STR"}]}
TASKS = 3
VALUE_BYTES = 1_000_000
BASELINE_BYTES = 10
RUNS = 5
RUN_TIMEOUT_SECONDS = 240
RESULTS = Path(__file__).with_name("RESULTS.md")


def three_tasks(t: WorkflowThread) -> None:
    data = t.declare_str("data").required()
    for _ in range(TASKS):
        t.mutate(data, "ASSIGN", t.execute(ECHO, data))


def echo(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class PayloadCost:
    value_bytes: int
    runs: int
    seconds: float
    lines: list[Line]
    largest_item: int
    stored_objects: int

    @property
    def per_wf_run(self) -> float:
        return total(self.lines) / self.runs

    @property
    def per_million_wf_runs(self) -> float:
        return self.per_wf_run * 1e6

    def dollars_of(self, service: str) -> float:
        """Per WfRun, for lines whose item starts with ``service`` (S3, DynamoDB, ...)."""
        return sum(line.dollars for line in self.lines if line.item.startswith(service)) / (
            self.runs
        )


def measure(stack: Stack, value_bytes: int, runs: int = RUNS) -> PayloadCost:
    client = stack.client
    spec = f"bench-payload-{value_bytes}"
    client.put_task_def(ECHO_TASK_DEF)
    client.put_wf_spec(Workflow(spec, three_tasks))
    value = base64.b64encode(os.urandom(value_bytes))[:value_bytes].decode()
    with _worker(client):
        stack.meter.take()
        started = time.perf_counter()
        for _ in range(runs):
            client.run_wf(spec, {"data": value})
        wait_all(client, spec, runs, RUN_TIMEOUT_SECONDS)
        seconds = time.perf_counter() - started
    tally = stack.meter.take()
    return PayloadCost(
        value_bytes=value_bytes,
        runs=runs,
        seconds=seconds,
        lines=price(tally, load_prices()),
        largest_item=max((r.largest_item for r in tally.requests), default=0),
        stored_objects=sum(
            1 for r in tally.requests if r.service == "s3" and r.operation == "PutObject"
        ),
    )


def compare(stack: Stack) -> tuple[PayloadCost, PayloadCost]:
    """(the 10-byte baseline, the 1 MB value) through the same three tasks."""
    return measure(stack, BASELINE_BYTES), measure(stack, VALUE_BYTES)


def _worker(client: Client) -> Worker:
    return Worker(
        client, {ECHO: echo}, concurrency=4, poll_wait_seconds=1, shutdown_grace_seconds=5
    )


def splice(results_md: str, section: str) -> str:
    """``results_md`` with its large-value section replaced by ``section`` (or added
    before the request breakdown), so this measurement can be refreshed on its own."""
    title = section.split("\n", 1)[0].removeprefix("## ")
    parts = results_md.split("\n\n## ")
    kept = [p for p in parts if not p.startswith(title)]
    at = next((i for i, p in enumerate(kept) if p.startswith("Request breakdown")), len(kept))
    kept.insert(at, section.removeprefix("## "))
    return "\n\n## ".join(kept)


def main() -> None:
    """``python -m bench.payloads``: measure and splice the section into RESULTS.md."""
    from bench.harness import metered_stack
    from bench.report import payload_section

    with metered_stack() as stack:
        small, large = compare(stack)
    section = payload_section(small, large, load_prices())
    results = RESULTS.read_text()
    RESULTS.write_text(splice(results, section) + ("" if results.endswith("\n") else "\n"))
    print(section)


if __name__ == "__main__":
    main()
