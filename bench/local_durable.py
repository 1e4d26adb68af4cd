"""The local stack with and without durable state, and the test kit.

Run from the repository root: ``python -m bench.local_durable``.

Throughput is the 10-task chain of :mod:`bench.throughput` with 1, 10 and
100 WfRuns in flight, on an in-memory stack and on one that snapshots its
state every second (what ``canter dev`` does by default); the latency is
RunWf to COMPLETED of a 3-task chain, the median of ten runs one after
another. The test-kit figure is the wall time of a workflow that sleeps a
day and then runs three tasks that each fail once and are retried after a
backoff, from RunWf to COMPLETED under ``TestEnv.advance``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from canter import ExponentialBackoff, Workflow, WorkflowThread
from canter.local import LocalStack
from canter.local.snapshot import STATE_FILE
from moto.moto_api._internal.models import moto_api_backend

from bench import throughput
from bench.harness import StepCounter, step_worker
from bench.workflows import STEP_TASK_DEF, chain

LEVELS = (1, 10, 100)
LATENCY_RUNS = 10


def stack_figures(state_dir: Path | None) -> dict[str, float]:
    figures: dict[str, float] = {}
    with LocalStack(port=0, state_dir=state_dir) as local:
        from canter import Client

        client = Client(local.api_url, timeout=30)
        client.put_task_def(STEP_TASK_DEF)
        counter = StepCounter()
        with step_worker(client, counter):
            for level in LEVELS:
                figures[f"{level} in flight"] = throughput._one(client, counter, level).per_second
            client.put_wf_spec(Workflow("bench-three", chain(3)))
            latencies = []
            for _ in range(LATENCY_RUNS):
                started = time.perf_counter()
                wf_run_id = client.run_wf("bench-three")["id"]["id"]
                client.wait_for_wf_run(wf_run_id, poll_seconds=0.005)
                latencies.append(time.perf_counter() - started)
            figures["3-task RunWf->COMPLETED s"] = statistics.median(latencies)
    if state_dir is not None:
        figures["state file KB"] = (state_dir / STATE_FILE).stat().st_size / 1024
    moto_api_backend.reset()
    return figures


attempts: dict[str, int] = {}


def flaky(key: str) -> str:
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] == 1:
        raise RuntimeError("first attempt fails")
    return key


def day_then_three_retried(wf: WorkflowThread) -> None:
    wf.sleep_seconds(24 * 3600)
    for n in range(3):
        wf.execute(
            "bench-flaky",
            f"task-{n}",
            retries=1,
            exponential_backoff=ExponentialBackoff(base_interval_ms=30_000, multiplier=2),
        )


def test_kit_seconds() -> float:
    from canter.testing import TestEnv

    with TestEnv() as env:
        env.register(Workflow("bench-kit", day_then_three_retried), tasks={"bench-flaky": flaky})
        started = time.perf_counter()
        wf_run_id = env.run("bench-kit")
        env.advance(days=1, minutes=5)
        env.wait_for(wf_run_id, "COMPLETED")
        assert attempts == {"task-0": 2, "task-1": 2, "task-2": 2}, attempts
        return time.perf_counter() - started


def main() -> None:
    print(f"test kit, one-day sleep + 3 retried tasks: {test_kit_seconds():.2f} s wall")
    with tempfile.TemporaryDirectory() as state:
        for name, state_dir in (("in memory", None), ("durable", Path(state))):
            figures = stack_figures(state_dir)
            print(name + ": " + ", ".join(f"{k}: {v:.3g}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
