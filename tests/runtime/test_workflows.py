"""End to end: real HTTP, the stream pump, real SQS long-polling workers, moto."""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client, WorkerContext, WorkflowThread

from .support import Names, int_input, node_statuses, register, worker

pytestmark = pytest.mark.e2e


def loop_and_condition(task: str) -> Any:
    def body(t: WorkflowThread) -> None:
        count = t.declare_int("count").required()
        i = t.declare_int("i", 0)
        total = t.declare_int("total", 0)
        size = t.declare_str("size")

        def step(b: WorkflowThread) -> None:
            doubled = b.execute(task, i)
            b.mutate(total, "ADD", doubled)
            b.mutate(i, "ADD", 1)

        t.do_while(i.is_less_than(count), step)
        t.do_if(
            total.is_greater_than(10),
            lambda b: b.mutate(size, "ASSIGN", "big"),
            lambda b: b.mutate(size, "ASSIGN", "small"),
        )

    return body


def test_loop_and_condition_complete_with_the_right_variables(client: Client, names: Names) -> None:
    task = names("double")
    register(client, names("wf"), loop_and_condition(task), {task: int_input()})
    calls: list[int] = []

    def double(n: int) -> int:
        calls.append(n)
        return n * 2

    with worker(client, {task: double}):
        big = client.run_wf(names("wf"), {"count": 4})["id"]["id"]
        small = client.run_wf(names("wf"), {"count": 2})["id"]["id"]
        assert client.wait_for_wf_run(big, timeout=20)["status"] == "COMPLETED"
        assert client.wait_for_wf_run(small, timeout=20)["status"] == "COMPLETED"
    assert client.variables(big) == {"count": 4, "i": 4, "total": 12, "size": "big"}
    assert client.variables(small) == {"count": 2, "i": 2, "total": 2, "size": "small"}
    assert sorted(calls) == [0, 0, 1, 1, 2, 3]


def gate_then_event(task: str, event: str) -> Any:
    def body(t: WorkflowThread) -> None:
        got = t.declare_str("got")
        t.execute(task, 1)
        t.mutate(got, "ASSIGN", t.wait_for_event(event))

    return body


def test_external_event_posted_before_the_node_is_reached(client: Client, names: Names) -> None:
    task, event = names("gate"), names("approved")
    register(client, names("wf"), gate_then_event(task, event), {task: int_input()}, (event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.put_external_event(wf_run_id, event, "early")
    assert client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)["status"] == "RUNNING"
    with worker(client, {task: lambda n: n}):
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["got"] == "early"


def test_external_event_posted_after_the_node_is_reached(client: Client, names: Names) -> None:
    task, event = names("gate"), names("approved")
    register(client, names("wf"), gate_then_event(task, event), {task: int_input()}, (event,))
    with worker(client, {task: lambda n: n}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        deadline = time.monotonic() + 20
        while ("2-" + event + "-EXTERNAL_EVENT", "RUNNING") not in node_statuses(client, wf_run_id):
            assert time.monotonic() < deadline, node_statuses(client, wf_run_id)
            time.sleep(0.1)
        client.put_external_event(wf_run_id, event, "late")
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["got"] == "late"
    (stored,) = client.list_external_events(wf_run_id)
    assert stored["claimed"] is True


def test_sleep_waits_then_completes(client: Client, names: Names) -> None:
    register(client, names("wf"), lambda t: t.sleep_seconds(1))
    started = time.monotonic()
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert time.monotonic() - started >= 1.0
    sleep_node = client.get_node_run(wf_run_id, 0, 1)
    assert sleep_node["status"] == "COMPLETED"


def test_task_failing_twice_succeeds_on_its_third_attempt(client: Client, names: Names) -> None:
    task = names("flaky")

    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        t.mutate(out, "ASSIGN", t.execute(task, 5, retries=2))

    register(client, names("wf"), body, {task: int_input()})
    attempts: list[int] = []

    def flaky(n: int, ctx: WorkerContext) -> int:
        attempts.append(ctx.attempt_number)
        if ctx.attempt_number < 2:
            raise RuntimeError(f"transient failure {ctx.attempt_number}")
        return n * 10

    with worker(client, {task: flaky}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert attempts == [0, 1, 2]
    assert client.variables(wf_run_id)["out"] == 50
    task_run = client.get_task_run(wf_run_id, "0-1")
    statuses = [a.get("status") for a in task_run["attempts"]]
    assert statuses == ["TASK_FAILED", "TASK_FAILED", "TASK_SUCCESS"]
    assert "transient failure 0" in task_run["attempts"][0]["error"]["message"]


def test_business_exception_is_not_retried(client: Client, names: Names) -> None:
    from canter import TaskException

    task = names("refuse")
    register(
        client,
        names("wf"),
        lambda t: t.execute(task, 1, retries=3),
        {task: int_input()},
    )
    calls: list[int] = []

    def refuse(n: int) -> int:
        calls.append(n)
        raise TaskException("out-of-stock", "no more widgets", {"sku": "w-1"})

    with worker(client, {task: refuse}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "EXCEPTION"
    assert calls == [1]
    assert client.get_task_run(wf_run_id, "0-1")["status"] == "TASK_EXCEPTION"


def test_child_wf_run_result_reaches_its_parent(client: Client, names: Names) -> None:
    task = names("triple")

    def child(t: WorkflowThread) -> None:
        n = t.declare_int("n").required()
        t.complete(t.execute(task, n))

    def parent(t: WorkflowThread) -> None:
        result = t.declare_int("result")
        spawned = t.run_wf(names("child"), {"n": 4})
        t.mutate(result, "ASSIGN", t.wait_for_child_wf(spawned))

    register(client, names("child"), child, {task: int_input()})
    register(client, names("parent"), parent)
    with worker(client, {task: lambda n: n * 3}):
        wf_run_id = client.run_wf(names("parent"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["result"] == 12
    (child_run,) = client.search_wf_run(names("child"))["results"]
    assert client.get_wf_run(child_run["id"])["status"] == "COMPLETED"


def test_stop_resume_and_delete(client: Client, names: Names) -> None:
    from canter.client import NotFound

    event = names("go")
    register(client, names("wf"), lambda t: t.wait_for_event(event) and None, events=(event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)
    client.stop_wf_run(wf_run_id)
    client.wait_for_wf_run(wf_run_id, ["HALTED"], timeout=10)
    client.resume_wf_run(wf_run_id)
    client.wait_for_wf_run(wf_run_id, ["RUNNING"], timeout=10)
    client.put_external_event(wf_run_id, event, True)
    assert client.wait_for_wf_run(wf_run_id, timeout=10)["status"] == "COMPLETED"
    client.delete_wf_run(wf_run_id)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.get_wf_run(wf_run_id)
        except NotFound:
            break
        time.sleep(0.05)
    with pytest.raises(NotFound):
        client.get_wf_run(wf_run_id)
    with pytest.raises(NotFound):
        client.delete_wf_run(wf_run_id)


def test_heartbeat_keeps_a_long_task_from_running_twice(client: Client, names: Names) -> None:
    task = names("long")
    register(
        client, names("wf"), lambda t: t.execute(task, 1, timeout_seconds=30), {task: int_input()}
    )
    runs: list[str] = []

    def slow(n: int, ctx: WorkerContext) -> int:
        runs.append(ctx.idempotency_key)
        time.sleep(3)
        return n

    with (
        worker(client, {task: slow}, visibility_timeout_seconds=1),
        worker(client, {task: slow}, visibility_timeout_seconds=1),
    ):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert runs == [f"{wf_run_id}/0-1"]
