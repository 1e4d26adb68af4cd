"""The local stack with metered handlers, and helpers to run WfRuns through it.

The stack passes ``scheduler.handler``, ``timers.handler`` and
``api.handler`` to its pumps and gateway when it starts, so replacing those
module attributes before ``start()`` meters every invocation without
touching the stack. The handler modules must then be imported first; they
read Powertools' settings on import, so those are set as the stack sets
them (and put back afterwards).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from canter import Client, Worker
from canter.local import LocalStack
from canter_engine import resources
from moto.moto_api._internal.models import moto_api_backend

from bench.meter import Handler, Meter
from bench.workflows import EVENT, STEP, STEP_TASK_DEF

_POWERTOOLS_ENV = {
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}
STAGE = "local"
WORKER_CONCURRENCY = 10


@dataclass
class Stack:
    local: LocalStack
    client: Client
    meter: Meter


@dataclass(frozen=True)
class Handlers:
    scheduler: Handler
    timers: Handler
    api: Handler


@contextmanager
def metered_handlers(meter: Meter) -> Iterator[Handlers]:
    """Replace the three handler functions by metered wrappers for the block."""
    saved = {name: os.environ.get(name) for name in _POWERTOOLS_ENV}
    os.environ.update(_POWERTOOLS_ENV)
    from canter_engine.handlers import api, scheduler, timers

    originals = (scheduler.handler, timers.handler, api.handler)
    scheduler.handler = meter.lambda_function(
        "scheduler", resources.SCHEDULER_FUNCTION.memory_mb, scheduler.handler
    )
    timers.handler = meter.lambda_function(
        "timers", resources.TIMERS_FUNCTION.memory_mb, timers.handler
    )
    api.handler = meter.lambda_function("api", resources.API_FUNCTION.memory_mb, api.handler)
    try:
        yield Handlers(scheduler.handler, timers.handler, api.handler)
    finally:
        scheduler.handler, timers.handler, api.handler = originals
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def metered_stack() -> Iterator[Stack]:
    meter = Meter(STAGE)
    try:
        with metered_handlers(meter), meter.installed(), LocalStack(port=0) as local:
            client = Client(local.api_url, timeout=30)
            client.put_task_def(STEP_TASK_DEF)
            client.put_external_event_def(EVENT)
            yield Stack(local, client, meter)
    finally:
        # moto keeps its state per process, not per server: clear it for the next stack
        # (what its /moto-api/reset endpoint does, once this stack has stopped).
        moto_api_backend.reset()


class StepCounter:
    """The task function: counts what ran, so task nodes come from the run, not the spec."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, n: int) -> int:
        self.calls += 1
        return n + 1


@contextmanager
def step_worker(client: Client, counter: StepCounter) -> Iterator[Worker]:
    with Worker(
        client,
        {STEP: counter},
        concurrency=WORKER_CONCURRENCY,
        poll_wait_seconds=1,
        shutdown_grace_seconds=5,
    ) as worker:
        yield worker


def start_runs(client: Client, spec: str, count: int, variables: dict[str, Any]) -> list[str]:
    return [str(client.run_wf(spec, variables)["id"]["id"]) for _ in range(count)]


def wait_all(client: Client, spec: str, count: int, timeout: float, poll: float = 0.1) -> None:
    """Wait until ``count`` WfRuns of ``spec`` are COMPLETED: one SearchWfRun per poll."""
    deadline = time.monotonic() + timeout
    while _completed(client, spec) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{spec}: {_completed(client, spec)}/{count} completed")
        time.sleep(poll)


def _completed(client: Client, spec: str) -> int:
    return len(client.search_wf_run(spec, "COMPLETED", limit=1000).get("results", []))


def node_runs(client: Client, wf_run_ids: list[str]) -> int:
    return sum(len(client.list_node_runs(wf_run_id)) for wf_run_id in wf_run_ids)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)
