"""``bench/RESULTS.md`` and the console summary, from one run's measurements."""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from canter_engine import resources

from bench import growth as growth_module
from bench.cost import ASSUMED_AWS_CALL_MS, WorkflowCost, per_node, requeues_for
from bench.fixes import Fix
from bench.growth import Growth
from bench.lambda_tasks import MEMORY_MB, TASK_MS, LambdaTasks
from bench.payloads import TASKS, PayloadCost
from bench.profile import MOTO, Profile
from bench.throughput import Throughput

TARGET_PER_MILLION = 2.50
TARGET_BELOW_SFN = 10.0
GROWTH_LIMIT = 1.1
ITEM_LIMIT = 400 * 1024


@dataclass
class CoreFigures:
    """Microseconds per node transition in the pure core (bench/core.py's drivers)."""

    rows: list[tuple[str, float]]


@dataclass
class Results:
    started: datetime
    seconds: float
    core: CoreFigures
    costs: list[WorkflowCost]
    fixes: list[Fix]
    lambda_tasks: LambdaTasks
    growth: Growth
    chart: str
    throughput: list[Throughput]
    profiled: Throughput
    profile: Profile
    sleep_seconds: int
    prices: dict[str, Any]
    # (baseline with a 10-byte value, the same three tasks with a 1 MB value)
    payloads: tuple[PayloadCost, PayloadCost]


def summary(results: Results) -> str:
    """The table ``make bench`` prints."""
    lines = [
        f"{'workflow':48} {'in flight':>9} {'$/M units':>10} {'SFN $/M':>8} {'ratio':>6}",
    ]
    for c in results.costs:
        lines.append(
            f"{c.reference.title[:48]:48} {c.runs:9d} {c.per_million:10.2f} "
            f"{c.sfn_per_million:8.2f} {c.sfn_per_million / c.per_million:6.1f}"
        )
    lines.append(_target_line(results.costs[0]))
    lt = results.lambda_tasks
    lines.append(
        f"10-task chain, $/M task nodes: polling worker {lt.worker_per_million:.2f}, "
        f"Lambda-backed tasks {lt.lambda_per_million:.2f}"
    )
    small, large = results.payloads
    lines.append(
        f"{large.value_bytes:,}-byte value through {TASKS} tasks: "
        f"${large.per_million_wf_runs:.2f} per M WfRuns "
        f"(10-byte value ${small.per_million_wf_runs:.2f})"
    )
    g = results.growth
    lines.append(
        f"growth over {g.iterations:,} iterations: bytes x{_bytes_ratio(g):.3f}, "
        f"capacity x{_units_ratio(g):.3f}, largest item {g.largest_item:,} B"
    )
    lines.append(
        "throughput (task nodes/s): "
        + ", ".join(f"{t.in_flight} in flight {t.per_second:.1f}" for t in results.throughput)
    )
    return "\n".join(lines)


def markdown(results: Results) -> str:
    parts = [
        _header(results),
        _cost_section(results),
        _fix_section(results),
        _lambda_tasks_section(results),
        _payload_section(results),
        _breakdown_section(results),
        _cpu_section(results),
        _growth_section(results),
        _throughput_section(results),
        _method_section(results),
    ]
    return "\n\n".join(parts) + "\n"


# --- sections ------------------------------------------------------------------


def _header(results: Results) -> str:
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {results.started:%Y-%m-%d %H:%M} UTC",
            f"- commit: {_commit()}",
            f"- machine: {platform.machine()}, {_cores()} cores, Python "
            f"{platform.python_version()}, moto {_version('moto')}, boto3 {_version('boto3')}",
            f"- `make bench` run time: {results.seconds:.0f} s",
            "",
            "Every figure below is computed by `make bench` from runs of the local stack "
            "(`bench/run.py`); nothing is typed in by hand. Prices: `bench/pricing.json` "
            "(us-east-1 list prices, arm64 Lambda, HTTP API).",
        ]
    )


def _cost_section(results: Results) -> str:
    rows = [
        "## Cost per million task nodes",
        "",
        "| workflow | WfRuns in flight | task nodes | Canter $ per M | Step Functions "
        "Standard $ per M | SFN transitions per WfRun | SFN / Canter |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in results.costs:
        unit = {"task nodes": "", "WfRuns": " (per M WfRuns: no tasks)"}.get(
            c.unit_name, f" (per M {c.unit_name})"
        )
        rows.append(
            f"| {c.reference.title}{unit} | {c.runs} | {c.task_nodes:,} | "
            f"{c.per_million:.2f} | {c.sfn_per_million:.2f} | {c.reference.sfn_transitions:,} | "
            f"{c.sfn_per_million / c.per_million:.1f}x |"
        )
    rows += ["", _target_line(results.costs[0]), "", _item_sizes(results.costs)]
    return "\n".join(rows)


def _item_sizes(costs: list[WorkflowCost]) -> str:
    """The largest item each workflow wrote; the fan-out's grows with its threads."""
    sizes = ", ".join(f"{c.reference.title} {c.largest_item:,} B" for c in costs)
    fan_out = costs[1]
    per_thread = fan_out.largest_item / fan_out.reference.tasks_per_run
    return (
        f"Largest item written: {sizes}. The fan-out's is its WfRun head, which holds every "
        f"thread in flight: about {per_thread:,.0f} B per child thread, so at this rate one "
        f"WfRun would reach DynamoDB's 400 KB item limit with about "
        f"{ITEM_LIMIT / per_thread:,.0f} threads at once."
    )


def _target_line(chain: WorkflowCost) -> str:
    ratio = chain.sfn_per_million / chain.per_million
    met = chain.per_million <= TARGET_PER_MILLION and ratio >= TARGET_BELOW_SFN
    return (
        f"**Target** (10-task chain at most ${TARGET_PER_MILLION:.2f} per million task nodes and "
        f"{TARGET_BELOW_SFN:.0f}x below Step Functions Standard): "
        f"${chain.per_million:.2f}, {ratio:.1f}x below: **{'met' if met else 'MISSED'}**."
    )


def _fix_section(results: Results) -> str:
    chain = results.costs[0]
    rows = [
        "## What dominates, and what would fix it (10-task chain)",
        "",
        "The costliest lines of the chain, per task node:",
        "",
        "| $ per M task nodes | caller | item | requests per task node |",
        "|---:|---|---|---:|",
    ]
    for line, requests, dollars in per_node(chain.lines, chain.per_unit)[:8]:
        rows.append(f"| {dollars:.3f} | {line.caller} | {line.item} | {requests:.2f} |")
    rows += [
        "",
        "Items written per task node (kind = table and sort-key prefix):",
        "",
        "| writer: table kind | items per task node | mean bytes |",
        "|---|---:|---:|",
    ]
    for kind, (count, size) in chain.written.items():
        rows.append(f"| {kind} | {count / chain.per_unit:.2f} | {size / count:,.0f} |")
    rows += [
        "",
        "Changes ranked by estimated saving, each computed from the measured lines above "
        "(`bench/fixes.py`; they overlap a little, so the sum is an upper bound):",
        "",
        "| change | saves $ per M task nodes | basis |",
        "|---|---:|---|",
    ]
    for fix in results.fixes:
        rows.append(f"| {fix.change} | {fix.saving_per_million:.2f} | {fix.how} |")
    after = chain.per_million - sum(f.saving_per_million for f in results.fixes)
    rows += [
        "",
        f"With all of them: about ${after:.2f} per million task nodes "
        f"({chain.sfn_per_million / max(after, 1e-9):.0f}x below Step Functions Standard). "
        "What remains is the floor of this design: one journal write per report, one state "
        "write, one SQS send, receive and delete per task.",
    ]
    return "\n".join(rows)


def _lambda_tasks_section(results: Results) -> str:
    chain, lt = results.costs[0], results.lambda_tasks
    per = chain.per_unit
    rows = [
        "## Lambda-backed tasks (10-task chain)",
        "",
        f"Polling worker: ${lt.worker_per_million:.2f} per million task nodes; tasks on "
        f"`canter.lambda_handler` ({MEMORY_MB} MB, a {TASK_MS} ms task): "
        f"${lt.lambda_per_million:.2f}. Every other line is the same (`bench/lambda_tasks.py`); "
        "these make the difference:",
        "",
        "| runs as | caller | item | requests per task node | $ per M task nodes |",
        "|---|---|---|---:|---:|",
    ]
    for which, lines in (("polling worker", lt.replaced), ("Lambda", lt.added)):
        for line in lines:
            rows.append(
                f"| {which} | {line.caller} | {line.item} | {line.requests / per:.2f} | "
                f"{line.dollars / per * 1e6:.3f} |"
            )
    rows += [
        "",
        "Not in either figure: the polling worker's host (an always-on process) and its idle "
        "long polls, and the event source's idle long polls (Lambda's pollers keep receiving "
        "while the queue is empty, a fixed cost per queue and hour, not per task).",
    ]
    return "\n".join(rows)


def _payload_section(results: Results) -> str:
    return payload_section(*results.payloads, results.prices)


def payload_section(small: PayloadCost, large: PayloadCost, prices: dict[str, Any]) -> str:
    """The large-value section; ``python -m bench.payloads`` also splices it in alone."""
    s3 = prices["s3"]
    rows = [
        f"## A 1 MB value through {TASKS} tasks",
        "",
        f"One workflow: a STR variable given to RunWf, passed to {TASKS} tasks in a row, "
        "each task's output assigned back to it. Values over "
        "the inline limit live in the payload bucket; DynamoDB and SQS carry a reference "
        f"(S3 at ${s3['put_request_per_million']:.2f} per M PUT, "
        f"${s3['get_request_per_million']:.2f} per M GET; API Gateway's HTTP API bills "
        "a request per started 512 KB).",
        "",
        "| value | WfRuns | $ per M WfRuns | of which S3 | DynamoDB | SQS | Lambda | "
        "API Gateway | S3 PUTs per WfRun | largest DynamoDB item |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in (small, large):
        rows.append(
            f"| {c.value_bytes:,} B | {c.runs} | {c.per_million_wf_runs:.2f} | "
            f"{c.dollars_of('S3') * 1e6:.2f} | {c.dollars_of('DynamoDB') * 1e6:.2f} | "
            f"{c.dollars_of('SQS') * 1e6:.2f} | {c.dollars_of('Lambda') * 1e6:.2f} | "
            f"{c.dollars_of('API Gateway') * 1e6:.2f} | {c.stored_objects / c.runs:.1f} | "
            f"{c.largest_item:,} B |"
        )
    rows += [
        "",
        f"The 1 MB value costs {large.per_wf_run / small.per_wf_run:.1f}x the 10-byte one "
        f"per WfRun; storing it for a month would add "
        f"${s3['storage_gb_month'] * large.value_bytes / 1e9 * 1e6:.2f} per M WfRuns.",
    ]
    return "\n".join(rows)


def _breakdown_section(results: Results) -> str:
    rows = ["## Request breakdown per unit, every workflow"]
    for c in results.costs:
        rows += [
            "",
            f"### {c.reference.title}: ${c.per_million:.2f} per million {c.unit_name}",
            "",
            f"{c.runs} WfRuns, {c.task_nodes:,} task nodes, {c.node_runs:,} NodeRuns in "
            f"{c.seconds:.1f} s; {c.scheduler_invocations} scheduler invocations; largest item "
            f"written {c.largest_item:,} B; {c.idle_receives} empty receives (idle polling, not "
            "counted).",
            "",
            f"| caller | item | requests per {c.unit_name[:-1]} | billed units per "
            f"{c.unit_name[:-1]} | $ per M {c.unit_name} |",
            "|---|---|---:|---:|---:|",
        ]
        for line, requests, dollars in per_node(c.lines, c.per_unit):
            rows.append(
                f"| {line.caller} | {line.item} | {requests:.2f} | "
                f"{line.units / c.per_unit:.3g} {line.unit} | {dollars:.3f} |"
            )
    return "\n".join(rows)


def _cpu_section(results: Results) -> str:
    rows = [
        "## CPU per transition",
        "",
        "A transition is one NodeRun moving from arrival to completion. The pure core's "
        "figure is bench/core.py's driver (only `apply`, and `apply` plus what the scheduler "
        "encodes per event: records held in the head or paged, the head compressed); the "
        "scheduler's is the thread CPU time of every scheduler "
        "invocation of a cost run divided by the NodeRuns that run created: loading the "
        "head, parsing records, applying, serializing, botocore and the writes and sends.",
        "",
        "| where | microseconds per transition |",
        "|---|---:|",
    ]
    for name, us in results.core.rows:
        rows.append(f"| pure core, {name} | {us:.1f} |")
    for c in results.costs:
        rows.append(
            f"| scheduler handler, {c.reference.title} | {c.scheduler_cpu_us_per_node:,.0f} |"
        )
    total = sum(results.profile.scheduler_by_bucket.values()) or 1.0
    moto = results.profile.scheduler_by_bucket.get(MOTO, 0.0) / total
    rows += [
        "",
        "Where the scheduler's CPU goes (its thread in the profiled run below; the thread "
        "also reads the stream for it, as Lambda's event source would). moto's share of it "
        f"is {moto:.1%}: moto serves every request on a thread of its own, so the "
        "scheduler's CPU time does not include the fake AWS.",
        "",
        "| bucket | share of the scheduler thread's CPU |",
        "|---|---:|",
    ]
    for bucket, seconds in results.profile.scheduler_by_bucket.items():
        if seconds / total >= 0.005:
            rows.append(f"| {bucket} | {seconds / total:.1%} |")
    return "\n".join(rows)


def _growth_section(results: Results) -> str:
    g = results.growth
    early, late = g.early, g.late
    n = len(g.steps)
    rows = [
        f"## Growth: a {g.iterations:,}-iteration loop",
        "",
        f"Driven synchronously on in-process moto ({g.seconds:.0f} s; see `bench/growth.py` for "
        "why and what that changes: nothing that is written).",
        "",
        f"| per step | steps 1-{len(early)} | steps {n - len(late) + 1:,}-{n:,} | ratio |",
        "|---|---:|---:|---:|",
    ]
    for label, value in (
        ("bytes written", lambda s: s.bytes_written),
        ("write units", lambda s: s.write_units),
        ("read units", lambda s: s.read_units),
        ("cost, requests and capacity (micro-dollars)", lambda s: s.dollars * 1e6),
    ):
        a, b = growth_module.mean(early, value), growth_module.mean(late, value)
        rows.append(f"| {label} | {a:,.2f} | {b:,.2f} | {b / a:.3f} |")
    ok = max(_bytes_ratio(g), _units_ratio(g)) <= GROWTH_LIMIT
    rows += [
        "",
        f"Bytes and capacity ratios must stay at or under {GROWTH_LIMIT}: "
        f"**{'met' if ok else 'MISSED'}**. Largest item written during the run: "
        f"**{g.largest_item:,} bytes** ({g.largest_item / ITEM_LIMIT:.2%} of DynamoDB's "
        "400 KB item limit).",
        "",
        f"![cost and bytes written per step]({results.chart})",
    ]
    return "\n".join(rows)


def _throughput_section(results: Results) -> str:
    rows = [
        "## Local throughput",
        "",
        "The 10-task chain; N WfRuns started at once and timed from the first RunWf to the "
        "last completion, all in one process on this machine (moto's server, pumps, HTTP "
        "gateway, one worker with 10 slots).",
        "",
        "| WfRuns in flight | task nodes | seconds | task nodes per second |",
        "|---:|---:|---:|---:|",
    ]
    for t in results.throughput:
        rows.append(f"| {t.in_flight} | {t.tasks:,} | {t.seconds:.1f} | {t.per_second:.1f} |")
    p = results.profiled
    total = sum(results.profile.seconds_by_bucket.values()) or 1.0
    rows += [
        "",
        f"Where the CPU goes: cProfile on every thread, timed by each thread's CPU clock, "
        f"during a separate run of {p.in_flight} WfRuns in flight ({p.tasks} task nodes, "
        f"{p.seconds:.1f} s under the profiler). Self time by bucket:",
        "",
        "| bucket | CPU seconds | share |",
        "|---|---:|---:|",
    ]
    for bucket, seconds in results.profile.seconds_by_bucket.items():
        if seconds / total >= 0.002:
            rows.append(f"| {bucket} | {seconds:.2f} | {seconds / total:.1%} |")
    rows += [
        "",
        "Canter's own functions by cumulative CPU (including what they call: botocore, "
        "the HTTP client, JSON):",
        "",
        "| function | CPU seconds |",
        "|---|---:|",
    ]
    for name, seconds in results.profile.top_cumulative[:12]:
        rows.append(f"| `{name}` | {seconds:.2f} |")
    return "\n".join(rows)


def _method_section(results: Results) -> str:
    lam = results.prices["lambda_arm64"]
    chain = results.costs[0]
    return "\n".join(
        [
            "## How it is measured",
            "",
            "- **Requests**: `bench/meter.py` wraps botocore's `BaseClient._make_api_call` in "
            "the bench process, where the handlers, pumps, gateway and workers all run, so it "
            "sees every AWS request the system makes. Requests are attributed to the Lambda "
            "invocation they ran in (the bench wraps the three handler functions the local "
            "stack calls) or else to their thread (worker, event sources).",
            "- **DynamoDB capacity** is computed from the items on the wire with DynamoDB's "
            "rules (`bench/sizes.py`): 1 WRU per started KB per item, on the larger of the "
            "old and new item; transactions double; index entries written when they appear "
            "or move; reads 1 RRU per started 4 KB (a Query's items summed), halved when "
            "eventually consistent. SQS: one request per started 64 KB of payload.",
            "- **Lambda**: one request per invocation; duration is the invocation's thread CPU "
            "time (moto serves requests on its own threads, so its CPU is not included; "
            "botocore's is), rounded up to 1 ms, at the memory in `canter_engine.resources` "
            f"(scheduler {resources.SCHEDULER_FUNCTION.memory_mb} MB, timers "
            f"{resources.TIMERS_FUNCTION.memory_mb} MB, API {resources.API_FUNCTION.memory_mb} "
            f"MB), ${lam['gb_second']} per GB-s. On AWS a Lambda also bills the time it waits "
            f"for DynamoDB and SQS: at {ASSUMED_AWS_CALL_MS:.0f} ms per call that would add "
            f"${chain.wall_duration_per_million:.2f} per million task nodes to the chain "
            "(an estimate, not in the totals).",
            "- **API Gateway**: one HTTP API request per API invocation. Only the rpcs through "
            "which a WfRun's inputs arrive are counted (RunWf, ReportTask(s), PutExternalEvent, "
            "Stop, Resume, Delete: every rpc but Get*, List*, Search* and Put*Def/PutWfSpec); "
            "the bench's own reads (waiting for completion, listing NodeRuns) and "
            "registrations are not. Stream reads by the scheduler's event "
            "source are free on AWS; receives that returned nothing (idle polling, a cost "
            "per hour of uptime rather than per node) are counted apart.",
            "- **Timers**: a task sets none (its worker enforces its timeout from the first "
            "receive), so a task's cost does not depend on its timeout. The "
            f"sleep runs {results.sleep_seconds} s instead of 60 s; a "
            f"60 s sleep is re-queued {requeues_for(60)} times (one more SQS send, receive "
            "and timers invocation for every further 15 minutes).",
            "- **Concurrency**: the chain and the event/sleep workflow run "
            f"{results.costs[0].runs} WfRuns at once, the fan-out "
            f"{results.costs[1].runs} (that is {results.costs[1].runs * 20} tasks at once), "
            f"the loop {results.costs[2].runs} (its tasks are sequential anyway), so SQS "
            "receives and stream batches are shared the way load shares them.",
            "- **User tasks**: once a WfRun's reminder task has run, the bench assigns its "
            "UserTaskRun to a person and completes it, as a people's app would "
            "(AssignUserTaskRun and CompleteUserTaskRun are counted); the Step Functions "
            "equivalent is a Parallel state with a callback Task for the person and a Wait "
            "then the reminder Task.",
            "- **Step Functions Standard**: transitions of the smallest equivalent state "
            "machine (`bench/stepfunctions.py`): a Task state per task, an inline Map for "
            "the fan-out, a Choice per loop test, a callback Task for the event, a Wait for "
            "the sleep, plus the execution's Start and End, at "
            f"${chain.sfn_per_million_transitions:.2f} per million transitions.",
        ]
    )


# --- helpers --------------------------------------------------------------------


def _bytes_ratio(g: Growth) -> float:
    return growth_module.ratio(g, lambda s: s.bytes_written)


def _units_ratio(g: Growth) -> float:
    return growth_module.ratio(g, lambda s: s.write_units + s.read_units)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "functions", "sdk", "bench")
    return f"{commit}{' (with uncommitted changes)' if dirty else ''}"


def _cores() -> int:
    return os.cpu_count() or 1


def _version(package: str) -> str:
    return version(package)


def now() -> datetime:
    return datetime.now(UTC)
