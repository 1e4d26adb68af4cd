"""AWS cost per task node of each reference workflow, from real runs of the local stack.

One phase per workflow: start its WfRuns (several in flight, so receives and
stream batches are as shared as they would be under load), post events when
the WfRuns wait for them, wait for all to complete, stop the worker, then
wait until every timer the phase set (a sleep, a retry's backoff) has fired
and been applied. Everything the meter saw in between is the phase's bill.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import boto3
from canter import Client
from canter_engine import resources

from bench import stepfunctions
from bench.harness import (
    Stack,
    StepCounter,
    node_runs,
    start_runs,
    step_worker,
    wait_all,
    wait_until,
)
from bench.meter import Tally
from bench.pricing import (
    Line,
    counted_invocation,
    counted_request,
    idle_receives,
    load_prices,
    price,
    total,
)
from bench.workflows import APPROVAL_USER_TASK_DEF, EVENT, Reference

RUN_TIMEOUT_SECONDS = 240
SETTLE_SECONDS = 1.0  # for the stream pump to apply the last TimerFired records
ASSUMED_AWS_CALL_MS = 5.0  # only for the "Lambda billed on wall time" sensitivity line


@dataclass
class WorkflowCost:
    reference: Reference
    runs: int
    task_nodes: int
    node_runs: int
    seconds: float
    lines: list[Line]
    idle_receives: int
    scheduler_invocations: int
    scheduler_cpu_seconds: float
    lambda_aws_calls: int
    largest_item: int
    sfn_per_million_transitions: float
    written: dict[str, tuple[int, int]]  # item kind -> (items written, bytes)

    @property
    def dollars(self) -> float:
        return total(self.lines)

    @property
    def per_unit(self) -> int:
        """What "per million" counts: user tasks, task nodes, or WfRuns for a workflow
        without either."""
        if self.reference.user_tasks_per_run:
            return self.runs * self.reference.user_tasks_per_run
        return self.task_nodes or self.runs

    @property
    def unit_name(self) -> str:
        if self.reference.user_tasks_per_run:
            return "user tasks"
        return "task nodes" if self.task_nodes else "WfRuns"

    @property
    def per_million(self) -> float:
        return self.dollars / self.per_unit * 1e6

    @property
    def sfn_per_million(self) -> float:
        transitions = self.reference.sfn_transitions * self.runs
        return stepfunctions.dollars(transitions, self.sfn_per_million_transitions) / (
            self.per_unit / 1e6
        )

    @property
    def scheduler_cpu_us_per_node(self) -> float:
        return self.scheduler_cpu_seconds / self.node_runs * 1e6

    @property
    def wall_duration_per_million(self) -> float:
        """Lambda duration if every AWS call inside a handler also waited ASSUMED_AWS_CALL_MS."""
        lam = load_prices()["lambda_arm64"]
        memory_gb = resources.SCHEDULER_FUNCTION.memory_mb / 1024
        seconds = self.lambda_aws_calls * ASSUMED_AWS_CALL_MS / 1000
        return float(seconds * memory_gb * lam["gb_second"] / self.per_unit * 1e6)


def measure(stack: Stack, reference: Reference) -> WorkflowCost:
    client = stack.client
    spec = reference.workflow.name
    if reference.user_tasks_per_run:
        client.put_user_task_def(APPROVAL_USER_TASK_DEF)
    client.put_wf_spec(reference.workflow)
    counter = StepCounter()
    with step_worker(client, counter):
        stack.meter.take()
        started = time.perf_counter()
        ids = start_runs(client, spec, reference.in_flight, reference.variables)
        if reference.needs_event:
            for wf_run_id in ids:
                wait_until(
                    lambda w=wf_run_id: _waiting_for_event(stack, w),  # type: ignore[misc]
                    30,
                    f"{wf_run_id} never waited for {EVENT}",
                )
                client.put_external_event(wf_run_id, EVENT, "approved")
        if reference.user_tasks_per_run:
            for wf_run_id in ids:
                _approve_once_reminded(client, wf_run_id)
        wait_all(client, spec, len(ids), RUN_TIMEOUT_SECONDS)
        seconds = time.perf_counter() - started
    _drain_timers(stack)
    tally = stack.meter.take()
    prices = load_prices()
    scheduler = [i for i in tally.invocations if i.function == "scheduler"]
    return WorkflowCost(
        reference=reference,
        runs=len(ids),
        task_nodes=counter.calls,
        node_runs=node_runs(client, ids),
        seconds=seconds,
        lines=price(tally, prices),
        idle_receives=idle_receives(tally),
        scheduler_invocations=len(scheduler),
        scheduler_cpu_seconds=sum(i.cpu_seconds for i in scheduler),
        lambda_aws_calls=_lambda_aws_calls(tally),
        largest_item=max((r.largest_item for r in tally.requests), default=0),
        sfn_per_million_transitions=prices["step_functions_reference"][
            "standard_per_million_state_transitions"
        ],
        written=_written(tally),
    )


def _approve_once_reminded(client: Client, wf_run_id: str) -> None:
    """Assign each of the WfRun's UserTaskRuns to a person, once reminded, who completes it."""

    def reminded() -> list[dict[str, Any]]:
        runs = client.list_user_task_runs(wf_run_id)
        return [run for run in runs if any("taskExecuted" in e for e in run.get("events", []))]

    wait_until(lambda: bool(reminded()), 30, f"{wf_run_id}: no reminder ran")
    for run in reminded():
        guid = str(run["id"]["userTaskGuid"])
        client.assign_user_task_run(wf_run_id, guid, user_id="bench-person")
        client.complete_user_task_run(wf_run_id, guid, {"approved": True})


def _waiting_for_event(stack: Stack, wf_run_id: str) -> bool:
    return any(
        str(node.get("nodeName", "")).endswith("EXTERNAL_EVENT") and node.get("status") == "RUNNING"
        for node in stack.client.list_node_runs(wf_run_id)
    )


def _drain_timers(stack: Stack) -> None:
    """Wait until the timer queue holds nothing, delayed or in flight, then for the scheduler."""
    assert stack.local.provisioned is not None
    url = stack.local.provisioned.timer_queue_url
    sqs = boto3.client("sqs")
    names = (
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesDelayed",
        "ApproximateNumberOfMessagesNotVisible",
    )

    def empty() -> bool:
        reply = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        attributes = {str(name): value for name, value in reply["Attributes"].items()}
        return all(int(attributes.get(name, "0")) == 0 for name in names)

    wait_until(empty, RUN_TIMEOUT_SECONDS, "the timer queue never drained")
    time.sleep(SETTLE_SECONDS)


def _written(tally: Tally) -> dict[str, tuple[int, int]]:
    kinds: dict[str, tuple[int, int]] = {}
    for request in filter(counted_request, tally.requests):
        for kind, size in request.written:
            count, total_bytes = kinds.get(f"{request.caller}: {kind}", (0, 0))
            kinds[f"{request.caller}: {kind}"] = (count + 1, total_bytes + size)
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1][0]))


def _lambda_aws_calls(tally: Tally) -> int:
    callers = {i.caller for i in tally.invocations if counted_invocation(i)}
    return sum(1 for r in tally.requests if r.caller in callers)


def per_node(lines: list[Line], units: int) -> list[tuple[Line, float, float]]:
    """Each line as (line, requests per unit, dollars per million units), costliest first."""
    rows = [(line, line.requests / units, line.dollars / units * 1e6) for line in lines]
    return sorted(rows, key=lambda row: -row[2])


def requeues_for(seconds: int) -> int:
    """Times a timer goes back to the delay queue before it is due (SQS holds 15 min at most)."""
    return max(0, math.ceil(seconds / resources.SQS_MAX_DELAY_SECONDS) - 1)
