"""Fan-out width against bytes and CPU per event, through the scheduler's own planning.

Runs one fan-out WfRun of N children (one task each, WAIT_FOR_ALL) through
``handlers.transitions.apply_records`` (the pure core plus everything the
scheduler decides to write) without DynamoDB, and prices each commit with
DynamoDB's rules (``bench/sizes.py``): the head, thread items, pages and
items. Reports arrive either one per stream batch
(one commit each, as on AWS when tasks take varied times) or ``BATCH`` per
batch. For each N: write units per event, the largest item, the head with
every child in flight, and CPU microseconds per transition (a NodeRun
moving from arrival to completion) for applying and planning.

Prints a table; asserts nothing. ``python -m bench.fanout [N ...] [--write]``
(``--write``: also into RESULTS.md, as ``make bench`` does).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from canter_engine.core import Blueprint, WfRunState
from canter_engine.core.events import Event, RunRequested, TaskReported, to_journal
from canter_engine.handlers.head_cache import HeadCache
from canter_engine.handlers.transitions import Outcome, apply_records
from canter_engine.model.spec import NameId, TaskDef, VariableDef
from canter_engine.store.held import Writes
from canter_engine.store.item_size import item_size
from canter_engine.store.state import (
    Head,
    _page_item,
    _record_item,
    head_item,
    thread_item,
)

from bench.core import fan_out_spec
from bench.pricing import load_prices
from bench.sizes import write_units

BATCH = 100
WIDTHS = (10, 1000, 10_000)
# CPU per transition is timed over at least this many transitions: a
# 10-child fan-out has 34, milliseconds in all, which one stray pause skews.
MIN_TRANSITIONS = 3000
RESULTS = Path(__file__).parent / "RESULTS.md"
# Measured the same way on main at 66c2eed, before threads became items of
# their own (a WfRun could not hold 1,000 children then, so 999).
BEFORE = (
    "Before threads were items of their own (every ThreadRun in the head; same "
    "measure): write units per task node 3.40 / 6.60 / 35.5 at 10 / 100 / 999 "
    "children with reports one per batch ($2.12 / $4.12 / $22.2 per million task "
    "nodes), 2.50 / 3.11 / 3.37 with 100 per batch; the head 895 B / 3,146 B / "
    "34,166 B, past DynamoDB's 400 KB item limit at about 10,000 threads; CPU per "
    "transition 189 / 1,270 / 12,400 us."
)
SECTION = "## Fan-out width: state writes and CPU by number of children"


@dataclass
class Figures:
    children: int
    batch: int
    events: int = 0
    transitions: int = 0
    write_units: int = 0
    largest_item: int = 0
    # The head as the spawning event left it.
    head_in_flight: int = 0
    seconds: float = 0.0

    @property
    def units_per_event(self) -> float:
        return self.write_units / self.events

    @property
    def units_per_task(self) -> float:
        return self.write_units / self.children

    @property
    def us_per_transition(self) -> float:
        return self.seconds / self.transitions * 1e6


class Fan:
    """One fan-out WfRun driven through ``apply_records`` and priced per commit."""

    def __init__(self, children: int, batch: int) -> None:
        self.bp = Blueprint(fan_out_spec(children), {"a": _task_def("a")})
        self.wf_run_id = f"fan-{children}"
        self.figures = Figures(children, batch)
        self.head: Head | None = None
        self.heads = HeadCache()
        self.seq = 0

    def resolve(self, name: str, major: int, revision: int) -> Blueprint:
        return self.bp

    def commit(self, events: list[Event]) -> WfRunState:
        records = [self._record(e) for e in events]
        while records:
            started = time.thread_time()
            outcome = apply_records(self.wf_run_id, self.head, records, self.resolve)
            self.figures.seconds += time.thread_time() - started
            assert outcome.state is not None and outcome.update is not None
            self._price(outcome)
            records = outcome.rest
        self.figures.events += len(events)
        assert outcome.state is not None
        return outcome.state

    def _record(self, event: Event) -> dict[str, Any]:
        self.seq += 1
        entry = to_journal(event)
        return {
            "eventName": "INSERT",
            "dynamodb": {
                "SequenceNumber": str(self.seq),
                "NewImage": {
                    "wfRunId": {"S": self.wf_run_id},
                    "eventId": {"S": str(self.seq)},
                    "kind": {"S": entry.kind},
                    "body": {"S": json.dumps(entry.body)},
                },
            },
        }

    def _price(self, outcome: Outcome) -> None:
        update = outcome.update
        assert update is not None and outcome.state is not None
        version = (self.head.version if self.head else 0) + 1
        head = head_item(self.wf_run_id, update, version)
        items = [head]
        items += [
            thread_item(self.wf_run_id, n, body, update.applied_seq, update.previous.get(n))
            for n, body in update.threads.items()
        ]
        items += _written(self.wf_run_id, outcome.writes)
        for item in items:
            size = item_size(item)
            self.figures.largest_item = max(self.figures.largest_item, size)
            self.figures.write_units += write_units(size)
        # A rewrite reads its page back and writes it again: at least a unit.
        self.figures.write_units += len(outcome.writes.rewrites)
        if not self.figures.head_in_flight:
            self.figures.head_in_flight = item_size(head)
        # The next event starts from the head as the scheduler's cache keeps it.
        self.heads.remember(self.wf_run_id, outcome, version)
        self.head = self.heads.get(self.wf_run_id)

    def run(self) -> Figures:
        state = self.commit([RunRequested(self.wf_run_id, self.bp.spec.id.name, 0, 0, {}, 1)])
        clock = 1
        while state.task_runs:
            batch: list[Event] = []
            for task_run in list(state.task_runs.values())[: self.figures.batch]:
                clock += 1
                batch.append(TaskReported(task_run.guid, 0, "TASK_SUCCESS", clock, 1))
            state = self.commit(batch)
        assert state.status == "COMPLETED", state.status
        # The parent's ENTRYPOINT, spawn, wait and EXIT; each child's ENTRYPOINT, TASK, EXIT.
        self.figures.transitions = 4 + 3 * self.figures.children
        return self.figures


def measured(children: int, batch: int) -> Figures:
    """One fan-out's figures, its CPU time averaged over enough runs of it."""
    figures = Fan(children, batch).run()
    runs = -(-MIN_TRANSITIONS // figures.transitions)
    for _ in range(runs - 1):
        figures.seconds += Fan(children, batch).run().seconds
    figures.seconds /= runs
    return figures


def _written(wf_run_id: str, writes: Writes) -> list[dict[str, Any]]:
    items = [_page_item(wf_run_id, sk, page) for sk, page in writes.pages.items()]
    items += [_record_item(wf_run_id, sk, a) for sk, a in writes.items.items()]
    items += [{"pk": {"S": wf_run_id}, **entry} for entry in writes.index.values()]
    return items


def _task_def(name: str) -> TaskDef:
    return TaskDef(
        id=NameId(name=name), input_vars=(VariableDef(name="n", type="INT"),), task_queue=name
    )


def section(rows: list[Figures], prices: dict[str, Any]) -> str:
    """The RESULTS.md section: DynamoDB state writes per task node, priced, by width."""
    per_million = prices["dynamodb"]["write_request_unit_per_million"]
    lines = [
        SECTION,
        "",
        "One fan-out WfRun per width (one task per child, WAIT_FOR_ALL) through the "
        "scheduler's own planning (`python -m bench.fanout`): every item it writes "
        "(head, thread items, pages, Variables) priced with DynamoDB's rules. "
        "Writes are the part of the cost that grew with width; the other requests "
        "per task node (SQS, Lambda, API, reads) do not depend on it. Reports "
        f"arrive one per stream batch, or {BATCH} per batch. Up to 32 threads stay "
        "in the head (10 children); past that each thread is an item of its own "
        "that also keeps its ended NodeRuns until it ends. CPU per transition: "
        "applying and planning, the spawn included, divided by the NodeRuns moved, "
        f"over at least {MIN_TRANSITIONS:,} transitions (narrow fan-outs are run again). "
        "At 10,000 children the list of items (49 KB) is in the payload bucket: one "
        "S3 PUT per fan-out, $0.0005 per million task nodes, not in the table.",
        "",
        "| children | reports per batch | write units per task node | "
        "$ per M task nodes (state writes) | largest item (B) | head (B) | "
        "CPU us per transition |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in rows:
        lines.append(
            f"| {f.children:,} | {f.batch} | {f.units_per_task:.2f} | "
            f"{f.units_per_task * per_million:.2f} | {f.largest_item:,} | "
            f"{f.head_in_flight:,} | {f.us_per_transition:.0f} |"
        )
    return "\n".join([*lines, "", targets(rows), "", BEFORE]) + "\n"


def targets(rows: list[Figures]) -> str:
    """Issue 17's targets, judged on these rows."""
    narrow, wide = min(f.children for f in rows), max(f.children for f in rows)
    ratios = []
    for batch in sorted({f.batch for f in rows}):
        by_width = {f.children: f for f in rows if f.batch == batch}
        ratios.append(by_width[wide].units_per_task / by_width[narrow].units_per_task)
    largest = max(f.largest_item for f in rows)
    cpu = [f.us_per_transition for f in rows]
    spread = max(cpu) / min(cpu)

    def verdict(met: bool) -> str:
        return "met" if met else "MISSED"

    return (
        f"**Targets**: cost per task node at {wide:,} children within 1.3x of {narrow:,}: "
        + " / ".join(f"{r:.2f}x" for r in ratios)
        + f" ({verdict(max(ratios) <= 1.3)}); largest item under 64 KB: {largest:,} B "
        f"({verdict(largest < 64 * 1024)}); CPU per transition within 2x across widths: "
        f"{min(cpu):.0f} to {max(cpu):.0f} us, {spread:.2f}x ({verdict(spread <= 2)})."
    )


def write_results(text: str, path: Path = RESULTS) -> None:
    """Replace (or append) this section of RESULTS.md; bench.run rewrites the rest."""
    current = path.read_text() if path.exists() else ""
    start = current.find(SECTION)
    if start >= 0:
        end = current.find("\n## ", start + len(SECTION))
        current = current[:start] + current[end + 1 if end >= 0 else len(current) :]
    path.write_text(current.rstrip("\n") + "\n\n" + text)


def main(widths: tuple[int, ...] = WIDTHS, write: bool = False) -> list[Figures]:
    # The planning builds the runtime's clients (payload store, journal) but
    # sends no request: the values here are small and stay inline.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    Fan(10, 1).run()  # imports and per-process caches, as a warm Lambda has them
    rows = [measured(n, b) for n in widths for b in (1, BATCH)]
    if write:
        write_results(section(rows, load_prices()))
    print(
        f"{'children':>8} {'batch':>5} {'events':>7} {'WCU/event':>9} {'WCU/task':>9} "
        f"{'largest B':>10} {'head B':>7} {'us/transition':>13}"
    )
    for f in rows:
        print(
            f"{f.children:8d} {f.batch:5d} {f.events:7d} {f.units_per_event:9.2f} "
            f"{f.units_per_task:9.2f} {f.largest_item:10d} {f.head_in_flight:7d} "
            f"{f.us_per_transition:13.1f}",
            flush=True,
        )
    return rows


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--write"]
    main(tuple(int(a) for a in arguments) or WIDTHS, "--write" in sys.argv)
