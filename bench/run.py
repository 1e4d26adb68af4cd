"""``make bench`` after bench/core.py: cost, CPU, growth and throughput; writes RESULTS.md.

Run from the repository root: ``python -m bench.run``. The growth run (on
in-process moto) has a process of its own and runs alongside the cost
phase, whose figures are request counts and per-thread CPU time, which
sharing the machine does not change. Throughput and the profile, which
are about time, run alone afterwards, one stack after another.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from canter_engine.core import Blueprint
from canter_engine.model.spec import NameId, TaskDef, VariableDef

from bench import (
    core,
    cost,
    fixes,
    growth,
    lambda_tasks,
    operations,
    payloads,
    report,
    throughput,
)
from bench.harness import metered_stack
from bench.pricing import load_prices
from bench.workflows import references

HERE = Path(__file__).parent
RESULTS = HERE / "RESULTS.md"
CHART = "growth.png"

IN_FLIGHT = 20
LOOP_ITERATIONS = 1000
LOOP_RUNS = 1
SLEEP_SECONDS = 1
GROWTH_ITERATIONS = 10_000
THROUGHPUT_LEVELS = (1, 10, 100)
PROFILED_IN_FLIGHT = 10
CORE_CHAIN_RUNS = 1000


def main() -> None:
    started, clock = report.now(), time.perf_counter()
    prices = load_prices()
    growth_file = Path(tempfile.mkdtemp()) / "growth.json"
    print(f"growth: {GROWTH_ITERATIONS:,} iterations, in a process of its own ...", flush=True)
    grower = subprocess.Popen(
        [sys.executable, "-m", "bench.growth", str(GROWTH_ITERATIONS), str(growth_file)]
    )
    print("core: microseconds per transition ...", flush=True)
    core_figures = core_transitions()
    print("cost: the reference workflows through the local stack ...", flush=True)
    with metered_stack() as stack:
        costs = [
            _announce(cost.measure(stack, ref))
            for ref in references(LOOP_ITERATIONS, LOOP_RUNS, SLEEP_SECONDS, IN_FLIGHT)
        ]
        print("cost: a 1 MB value through three tasks ...", flush=True)
        payload_costs = payloads.compare(stack)
        print("operations: scheduled runs and retention deletes ...", flush=True)
        operated = operations.measure(stack)
    if grower.wait() != 0:
        raise SystemExit(f"the growth run failed (exit status {grower.returncode})")
    grown = growth.load(growth_file)
    growth.chart(grown, str(HERE / CHART))
    print("throughput ...", flush=True)
    levels = throughput.measure(THROUGHPUT_LEVELS)
    print("profile ...", flush=True)
    profiled, profile = throughput.profiled(PROFILED_IN_FLIGHT)
    results = report.Results(
        started=started,
        seconds=time.perf_counter() - clock,
        core=core_figures,
        costs=costs,
        fixes=fixes.estimate(costs[0], prices),
        lambda_tasks=lambda_tasks.compare(costs[0].lines, costs[0].per_unit, prices),
        growth=grown,
        chart=CHART,
        throughput=levels,
        profiled=profiled,
        profile=profile,
        sleep_seconds=SLEEP_SECONDS,
        prices=prices,
        payloads=payload_costs,
    )
    RESULTS.write_text(operations.splice(report.markdown(results), operations.markdown(operated)))
    print(report.summary(results))
    print(f"wrote {RESULTS.relative_to(HERE.parent)} and bench/{CHART}")


def core_transitions() -> report.CoreFigures:
    """The lead's core drivers (bench/core.py) on its 3-task chain, with and without JSON."""
    tasks = {
        name: TaskDef(
            id=NameId(name=name),
            input_vars=(VariableDef(name="n", type="INT"),),
            task_queue=name,
        )
        for name in "abc"
    }
    rows = []
    for render, label in ((False, "core only"), (True, "core + what the scheduler stores")):
        driver = core.Driver(Blueprint(core.chain_spec(), tasks), render)
        for n in range(CORE_CHAIN_RUNS):
            driver.run_to_end(f"c{n}")
        rows.append((f"3-task chain, {label}", driver.us_per_transition))
    return report.CoreFigures(rows)


def _announce(result: cost.WorkflowCost) -> cost.WorkflowCost:
    print(
        f"  {result.reference.title}: ${result.per_million:.2f} per million "
        f"{result.unit_name} ({result.seconds:.1f} s)",
        flush=True,
    )
    return result


if __name__ == "__main__":
    main()
