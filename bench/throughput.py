"""Task nodes per second through the whole local stack, and where the time goes.

Each measurement starts ``in_flight`` WfRuns of the 10-task chain at once
and times them from the first RunWf to the last completion: everything
runs in this process (moto's server, the pumps, the HTTP gateway, one
worker with ten slots), so the figure is this machine's local capacity, not
AWS's. The profile repeats one measurement under :mod:`bench.profile`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from canter import Client, Workflow

from bench import profile
from bench.harness import StepCounter, metered_stack, start_runs, step_worker, wait_all
from bench.workflows import chain

TASKS_PER_RUN = 10
RUN_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Throughput:
    in_flight: int
    tasks: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.tasks / self.seconds


def measure(levels: tuple[int, ...]) -> list[Throughput]:
    results = []
    with metered_stack() as stack:
        counter = StepCounter()
        with step_worker(stack.client, counter):
            for in_flight in levels:
                results.append(_one(stack.client, counter, in_flight))
                stack.meter.take()
    return results


def profiled(in_flight: int) -> tuple[Throughput, profile.Profile]:
    with profile.every_thread() as prof, metered_stack() as stack:
        counter = StepCounter()
        with step_worker(stack.client, counter):
            result = _one(stack.client, counter, in_flight)
    return result, prof


def _one(client: Client, counter: StepCounter, in_flight: int) -> Throughput:
    workflow = Workflow(f"bench-throughput-{in_flight}", chain(TASKS_PER_RUN))
    client.put_wf_spec(workflow)
    before = counter.calls
    started = time.perf_counter()
    start_runs(client, workflow.name, in_flight, {})
    wait_all(client, workflow.name, in_flight, RUN_TIMEOUT_SECONDS, poll=0.05)
    return Throughput(in_flight, counter.calls - before, time.perf_counter() - started)
