"""The scheduler's cached heads (handlers/head_cache.py): a stale copy never
loses or misapplies an event.

A copy goes stale when another process committed the WfRun since; here the
test puts an old head back into the cache, as that process would have left it.
"""

from __future__ import annotations

import secrets
import time

import pytest
from canter import Client, WorkflowThread
from canter_engine.core.state import WfRunState
from canter_engine.handlers import runtime, scheduler
from canter_engine.handlers.head_cache import HeadCache
from canter_engine.handlers.transitions import Outcome
from canter_engine.store.held import Held
from canter_engine.store.state import Head, HeadUpdate, head_body

from .support import Names, int_input, register, worker

pytestmark = pytest.mark.e2e


def current_head(wf_run_id: str) -> Head:
    head = runtime.current().state.load_head(wf_run_id)
    assert head is not None
    return head


def wait_for_version(wf_run_id: str, version: int) -> None:
    deadline = time.monotonic() + 20
    while (head := runtime.current().state.load_head(wf_run_id)) is None or (
        head.version < version
    ):
        assert time.monotonic() < deadline, f"head of {wf_run_id} never reached v{version}"
        time.sleep(0.05)


def cache_stale(wf_run_id: str, head: Head) -> None:
    scheduler._HEADS.put(wf_run_id, head)


def test_an_event_applied_to_a_stale_copy_is_applied_again_to_the_head(
    client: Client, names: Names
) -> None:
    first, second = names("first"), names("second")

    def body(t: WorkflowThread) -> None:
        got = t.declare_str("got")
        t.mutate(got, "ASSIGN", t.wait_for_event(first))
        t.mutate(got, "EXTEND", t.wait_for_event(second))

    register(client, names("wf"), body, events=(first, second))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    wait_for_version(wf_run_id, 1)
    stale = current_head(wf_run_id)
    client.put_external_event(wf_run_id, first, "a")
    wait_for_version(wf_run_id, 2)
    cache_stale(wf_run_id, stale)
    # Applied to the stale copy, the second event would sit unclaimed; the
    # commit's version check refuses that, and it is applied to the head.
    client.put_external_event(wf_run_id, second, "b")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["got"] == "ab"


def test_an_event_a_stale_copy_ignores_is_applied_to_the_head(client: Client, names: Names) -> None:
    go, task = names("go"), names("double")

    def body(t: WorkflowThread) -> None:
        out = t.declare_int("out")
        t.wait_for_event(go)
        t.mutate(out, "ASSIGN", t.execute(task, 21))

    register(client, names("wf"), body, {task: int_input()}, events=(go,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    wait_for_version(wf_run_id, 1)
    stale = current_head(wf_run_id)
    client.put_external_event(wf_run_id, go, None)
    wait_for_version(wf_run_id, 2)
    cache_stale(wf_run_id, stale)
    # The stale copy has no such task and ignores the report: nothing to
    # commit, so the version check would never catch it. The head is read.
    with worker(client, {task: lambda n: n * 2}):
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["out"] == 42


def committed(state_bytes: int) -> Outcome:
    """An outcome whose head holds a variable of ``state_bytes`` random hex digits
    (about half that compressed)."""
    state = WfRunState("wf-1", "wf", 0, 0, "RUNNING", 1)
    state.variables[0] = {"blob": secrets.token_hex(state_bytes // 2)}
    update = HeadUpdate(head_body(state.to_item(), Held()), "RUNNING", "wf", 7, "inc")
    return Outcome(state, update, incarnation="inc", applied_seq=7)


def test_a_small_head_is_kept_decoded_a_larger_one_as_stored_and_a_large_one_not_at_all() -> None:
    cache = HeadCache()
    small, larger, large = committed(100), committed(12_000), committed(80_000)
    for wf_run_id, outcome in (("small", small), ("larger", larger), ("large", large)):
        cache.remember(wf_run_id, outcome, 3)
    kept = cache.get("small")
    # The very state the event produced: the core never changes a state it is given.
    assert kept is not None and kept.decoded is small.state and kept.version == 3
    stored = cache.get("larger")
    assert stored is not None and stored.decoded is None
    assert (stored.version, stored.applied_seq, stored.incarnation) == (3, 7, "inc")
    assert WfRunState.from_item(stored.state) == larger.state
    assert cache.get("large") is None
