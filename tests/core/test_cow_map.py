"""The per-thread maps of a WfRun's state: copies share storage until written,
and never see each other's writes (core/cow_map.py)."""

from typing import Any

from canter_engine.core import apply
from canter_engine.core.cow_map import (
    SMALL,
    CowMap,
    by_number,
    by_thread_prefix,
    copied_tasks,
    copied_threads,
    thread_map,
)
from canter_engine.core.events import TaskReported
from canter_engine.core.state import WfRunState
from hypothesis import given, settings
from hypothesis import strategies as st
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness

keys = st.integers(min_value=0, max_value=300)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("set"), keys, st.integers()),
        st.tuples(st.just("delete"), keys, st.just(0)),
        st.tuples(st.just("fork"), st.just(0), st.just(0)),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_a_fork_and_its_original_see_only_their_own_writes(ops: list[tuple[str, int, int]]) -> None:
    maps: list[tuple[CowMap[int, int], dict[int, int]]] = [(thread_map(), {})]
    for index, (op, key, value) in enumerate(ops):
        cow, model = maps[index % len(maps)]
        if op == "set":
            cow[key] = value
            model[key] = value
        elif op == "delete" and key in model:
            del cow[key]
            del model[key]
        elif op == "fork":
            maps.append((cow.fork(), dict(model)))
    for cow, model in maps:
        assert dict(cow.items()) == model
        assert len(cow) == len(model) == len(cow.values()) == len(cow.items())
        assert list(cow.values()) == list(cow.values()) == [cow[k] for k in cow]
        assert all(k in cow and cow[k] == v and cow.get(k) == v for k, v in model.items())
        absent = [k for k in range(301) if k not in model]
        assert all(k not in cow and cow.get(k, "none") == "none" for k in absent)
        # A map rebuilt from its items (a state decoded from its item) iterates the same.
        assert list(thread_map(cow.items()).items()) == list(cow.items())


def test_thread_numbers_inserted_in_order_iterate_in_order() -> None:
    threads = thread_map((n, str(n)) for n in range(1000))
    copy = threads.fork()
    copy[500] = "changed"
    assert list(threads) == list(range(1000)) == list(copy)
    assert threads[500] == "500"


def test_task_run_guids_of_one_thread_share_a_bucket() -> None:
    tasks = CowMap(by_thread_prefix, [("70-3", 1), ("1-2", 2), ("65-9", 3), ("oddly-named", 4)])
    assert list(tasks.items()) == [("70-3", 1), ("65-9", 3), ("1-2", 2), ("oddly-named", 4)]
    assert "70-3" in tasks and 70 not in tasks and "70" not in tasks


def test_a_map_stays_a_dict_until_it_outgrows_a_bucket() -> None:
    small = {n: str(n) for n in range(SMALL)}
    copy = copied_threads(small)
    assert type(copy) is dict
    copy[0] = "changed"
    assert small[0] == "0"
    large = {n: str(n) for n in range(SMALL + 1)}
    shared = copied_threads(large)
    assert isinstance(shared, CowMap) and list(shared.items()) == list(large.items())
    again = copied_threads(shared)
    again[3] = "changed"
    assert shared[3] == large[3] == "3"
    tasks = copied_tasks({f"{n}-1": n for n in range(SMALL + 1)})
    assert isinstance(tasks, CowMap) and tasks["64-1"] == 64


def test_missing_keys_raise_key_error() -> None:
    cow: CowMap[int, int] = CowMap(by_number)
    try:
        cow[5]
    except KeyError as exc:
        assert exc.args == (5,)
    else:
        raise AssertionError("no KeyError")
    try:
        del cow[5]
    except KeyError:
        pass
    else:
        raise AssertionError("no KeyError")


def fan_out(wf: WorkflowThread) -> None:
    def child(t: WorkflowThread) -> None:
        t.execute("work")

    items = wf.declare_json_arr("items", list(range(200)))
    spawned = wf.spawn_thread_for_each(items, child, "child")
    wf.wait_for_threads(spawned)


def test_an_event_leaves_the_state_it_was_given_as_it_was() -> None:
    h = Harness(fan_out, tasks={"work": ()})
    h.run()
    before = h.state
    assert before is not None and len(before.threads) == 201
    snapshot: dict[str, Any] = before.to_item()
    guid = next(iter(before.task_runs))
    after = apply(h.bp, before, TaskReported(guid, 0, "TASK_SUCCESS", 5, output=None)).state
    assert after is not None and after.to_item() != snapshot
    assert before.to_item() == snapshot
    assert WfRunState.from_item(snapshot) == before
