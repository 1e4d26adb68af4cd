"""Invariants 1-4 under faults: crashes at the scheduler's I/O boundaries,
duplicated and reshuffled stream batches, and repeated inputs."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import NotFound
from canter.local import LocalStack
from canter.local.stream_pump import single_batch
from canter.worker.context import WorkerContext
from canter_engine.handlers import faults

from .support import (
    InjectedCrash,
    Names,
    crashing_every_first_try,
    int_input,
    node_statuses,
    register,
    worker,
)

pytestmark = pytest.mark.e2e


def looping(task: str, nap: bool = False) -> Any:
    """Task nodes in a loop, one per step.

    With ``nap``, each step also starts a child thread that sleeps a second,
    so that one transition sends both a task message and a timer: two queues,
    and a crash can come between the two sends.
    """

    def body(t: WorkflowThread) -> None:
        count = t.declare_int("count").required()
        i = t.declare_int("i", 0)
        total = t.declare_int("total", 0)

        def step(b: WorkflowThread) -> None:
            napping = b.spawn_thread(lambda c: c.sleep_seconds(1), "nap") if nap else None
            b.mutate(total, "ADD", b.execute(task, i, timeout_seconds=30))
            b.mutate(i, "ADD", 1)
            if napping is not None:
                b.wait_for_threads(napping)

        t.do_while(i.is_less_than(count), step)

    return body


def outcome(client: Client, wf_run_id: str) -> tuple[Any, ...]:
    """Everything a fault could corrupt, without ids or times."""
    wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
    attempts = [
        [
            a.get("status")
            for a in client.get_task_run(wf_run_id, f"0-{n['id']['position']}")["attempts"]
        ]
        for n in client.list_node_runs(wf_run_id)
        if "task" in n
    ]
    return (
        wf_run["status"],
        client.variables(wf_run_id),
        node_statuses(client, wf_run_id),
        attempts,
    )


@contextmanager
def served(client: Client, names: Names, nap: bool = False) -> Iterator[str]:
    """The looping WfSpec, registered, with a worker for its task."""
    task = names("double")
    register(client, names("wf"), looping(task, nap), {task: int_input()})
    with worker(client, {task: lambda n: n * 2}):
        yield names("wf")


@pytest.fixture
def looping_spec(client: Client, names: Names) -> Iterator[str]:
    with served(client, names) as spec:
        yield spec


def test_fault_free_baseline(client: Client, looping_spec: str) -> None:
    wf_run_id = client.run_wf(looping_spec, {"count": 3})["id"]["id"]
    status, variables, nodes, attempts = outcome(client, wf_run_id)
    assert status == "COMPLETED"
    assert variables == {"count": 3, "i": 3, "total": 6}
    assert attempts == [["TASK_SUCCESS"]] * 3
    assert {status for _, status in nodes} == {"COMPLETED"}


@pytest.mark.parametrize(
    "point",
    [faults.BEFORE_WRITES, faults.BEFORE_COMMIT, faults.AFTER_COMMIT, faults.BETWEEN_EFFECTS],
)
def test_crash_at_each_boundary_then_redelivery_gives_the_fault_free_result(
    client: Client, names: Names, point: str
) -> None:
    with served(client, names, nap=point == faults.BETWEEN_EFFECTS) as looping_spec:
        crash_at(client, looping_spec, point)


def crash_at(client: Client, looping_spec: str, point: str) -> None:
    expected = outcome(client, client.run_wf(looping_spec, {"count": 3})["id"]["id"])
    with crashing_every_first_try(point) as hits:
        wf_run_id = client.run_wf(looping_spec, {"count": 3})["id"]["id"]
        result = outcome(client, wf_run_id)
    assert hits[point] >= 2, f"{point} was never reached"
    assert result == expected


def chaos(seed: int) -> Any:
    """Lambda at its worst: WfRuns shuffled across batches, every batch delivered twice."""
    rng = random.Random(seed)

    def plan(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        by_run: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_run.setdefault(record["dynamodb"]["Keys"]["wfRunId"]["S"], []).append(record)
        runs = list(by_run)
        rng.shuffle(runs)
        batches: list[list[dict[str, Any]]] = []
        while runs:
            size = rng.randint(1, 3)
            take, runs = runs[:size], runs[size:]
            batches.append([r for run in take for r in by_run[run]])
        return [batch for batch in batches for _ in range(2)]

    return plan


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_duplicated_and_shuffled_batches_give_the_same_result(
    stack: LocalStack, client: Client, looping_spec: str, seed: int
) -> None:
    assert stack.stream_pump is not None
    stack.stream_pump.plan = chaos(seed)
    invocations = stack.stream_pump.invocations
    try:
        runs = {client.run_wf(looping_spec, {"count": n})["id"]["id"]: n for n in (1, 2, 3, 4, 5)}
        results = {wf_run_id: outcome(client, wf_run_id) for wf_run_id in runs}
    finally:
        stack.stream_pump.plan = single_batch
    assert stack.stream_pump.invocations - invocations >= 2 * 5
    for wf_run_id, n in runs.items():
        status, variables, _, attempts = results[wf_run_id]
        assert status == "COMPLETED"
        assert variables == {"count": n, "i": n, "total": n * (n - 1)}
        assert attempts == [["TASK_SUCCESS"]] * n


def test_a_redelivered_event_is_not_applied_twice(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """The head's applied-sequence mark, not the core's tolerance, stops a replayed event.

    The first event is consumed by the first wait; replayed after that, it
    would be a new pending event for the second wait if it were applied again.
    """
    event = names("ping")

    def body(t: WorkflowThread) -> None:
        first, second = t.declare_str("first"), t.declare_str("second")
        t.mutate(first, "ASSIGN", t.wait_for_event(event))
        t.mutate(second, "ASSIGN", t.wait_for_event(event))

    register(client, names("wf"), body, events=(event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)
    assert stack.stream_pump is not None
    stack.stream_pump.plan = lambda records: [records, records, records]
    try:
        client.put_external_event(wf_run_id, event, "a", guid="g-1")
        deadline = time.monotonic() + 10
        while client.variables(wf_run_id).get("first") != "a":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)
    finally:
        stack.stream_pump.plan = single_batch
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    client.put_external_event(wf_run_id, event, "b", guid="g-2")
    assert client.wait_for_wf_run(wf_run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"first": "a", "second": "b"}


class CrashSometimes:
    """Crash at the first reach of each fault point, then with probability
    ``rate``; never twice in a row.

    Never twice in a row, so that every retry gets through and no batch
    exhausts the event source's retries: the test is about what a crash
    costs, not about the dead-letter path.
    """

    def __init__(self, seed: int, rate: float) -> None:
        self._rng = random.Random(seed)
        self._rate = rate
        self._lock = threading.Lock()
        self._last_crashed = False
        self.crashes: Counter[str] = Counter()
        self.reached: Counter[str] = Counter()

    def __call__(self, point: str) -> None:
        with self._lock:
            self.reached[point] += 1
            crash = not self._last_crashed and (
                not self.crashes[point] or self._rng.random() < self._rate
            )
            self._last_crashed = crash
            if crash:
                self.crashes[point] += 1
        if crash:
            raise InjectedCrash(point)


@pytest.mark.slow
def test_crashes_at_every_boundary_over_200_wf_runs_cost_no_extra_task_runs(
    client: Client, names: Names
) -> None:
    """Issue 11, item 7: a crash re-runs no task of another WfRun.

    Two TaskDefs on two queues, so that a batch's sends span queues and a
    crash can come between them. Every WfRun's final state must equal its
    fault-free twin's; executions beyond one per attempt are counted per crash.
    """
    first, second = names("first"), names("second")

    def body(t: WorkflowThread) -> None:
        a, b = t.declare_int("a"), t.declare_int("b")
        t.mutate(a, "ASSIGN", t.execute(first, t.declare_int("n").required(), timeout_seconds=60))
        t.mutate(b, "ASSIGN", t.execute(second, a, timeout_seconds=60))

    register(client, names("wf"), body, {first: int_input(), second: int_input()})
    executions: Counter[tuple[str, str, int]] = Counter()
    lock = threading.Lock()

    def counted(fn: Any) -> Any:
        def run(n: int, context: WorkerContext) -> int:
            with lock:
                executions[(context.wf_run_id, context.task_guid, context.attempt_number)] += 1
            return int(fn(n))

        return run

    tasks = {first: counted(lambda n: n * 2), second: counted(lambda n: n + 1)}

    def run_all(prefix: str) -> dict[int, tuple[Any, ...]]:
        ids = {
            n: client.run_wf(names("wf"), {"n": n}, id=names(f"{prefix}-{n}")) for n in range(200)
        }
        return {n: settled(client, wf_run["id"]["id"]) for n, wf_run in ids.items()}

    with worker(client, tasks, concurrency=16):
        expected = run_all("calm")
        calm_executions = sum(executions.values())
        executions.clear()
        crash = CrashSometimes(seed=11, rate=0.03)
        faults.install(crash)
        try:
            result = run_all("crashy")
        finally:
            faults.install(None)
    assert calm_executions == 400
    assert result == expected
    crashes = sum(crash.crashes.values())
    extra = sum(executions.values()) - 400
    print(
        f"\n200 WfRuns, 400 task attempts: {crashes} crashes {dict(crash.crashes)} "
        f"at {dict(crash.reached)} boundaries reached; {extra} extra task executions "
        f"({extra / max(crashes, 1):.2f} per crash)"
    )
    assert set(crash.crashes) >= {*faults.SCHEDULER_POINTS, *faults.API_POINTS} - {
        faults.BETWEEN_EFFECTS
    }, "a crash at every boundary"
    # Only a crash between two queues' sends can leave a WfRun with a message
    # sent and the redelivery sending it again: its own in-flight task.
    assert extra <= crash.crashes[faults.BETWEEN_EFFECTS]


def settled(client: Client, wf_run_id: str) -> tuple[Any, ...]:
    wf_run = client.wait_for_wf_run(wf_run_id, timeout=120)
    attempts = [
        [a.get("status") for a in client.get_task_run(wf_run_id, guid)["attempts"]]
        for guid in ("0-1", "0-2")
    ]
    return (wf_run["status"], client.variables(wf_run_id), attempts)


def test_a_delete_that_crashed_half_way_finishes_and_the_id_runs_again(
    client: Client, looping_spec: str, names: Names
) -> None:
    """The state is gone, the journal not yet: the redelivered DeleteWfRun,
    finding no state, still frees the id, and a new run under it completes."""
    wf_run_id = names("half-deleted")
    client.run_wf(looping_spec, {"count": 1}, id=wf_run_id)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    hits: Counter[str] = Counter()

    def crash_once(reached: str) -> None:
        if reached == faults.DURING_DELETE:
            hits[reached] += 1
            if hits[reached] == 1:
                raise InjectedCrash(reached)

    faults.install(crash_once)
    try:
        client.delete_wf_run(wf_run_id)
        deadline = time.monotonic() + 20
        while hits[faults.DURING_DELETE] < 2:
            assert time.monotonic() < deadline, "the delete was not redelivered"
            time.sleep(0.05)
    finally:
        faults.install(None)
    while True:
        try:
            client.get_wf_run(wf_run_id)
        except NotFound:
            break
        assert time.monotonic() < deadline, "the WfRun id was never freed"
        time.sleep(0.05)
    client.run_wf(looping_spec, {"count": 2}, id=wf_run_id)
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"count": 2, "i": 2, "total": 2}
