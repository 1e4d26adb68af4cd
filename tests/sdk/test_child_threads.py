"""Child threads: spawn one, spawn one per element, wait for them."""

from __future__ import annotations

from canter import WorkflowThread
from canter.builder import SpawnedThreads

from .helpers import compile_wf, raises_at


def child(t: WorkflowThread) -> None:
    t.declare_str("greeting")
    t.execute("child-work")


def per_item(t: WorkflowThread) -> None:
    t.execute("process", t.declare_json_obj("INPUT"))


def test_spawn_thread_records_its_number_and_waits() -> None:
    def wf(t: WorkflowThread) -> None:
        name = t.declare_str("name")
        first = t.spawn_thread(child, "greeter", input={"greeting": name})
        t.wait_for_threads(first, strategy="WAIT_FOR_FIRST")

    compiled = compile_wf(wf)
    entry = compiled["threadSpecs"]["entrypoint"]
    assert set(compiled["threadSpecs"]) == {"entrypoint", "greeter"}
    start = entry["nodes"]["1-greeter-START_THREAD"]
    assert start["startThread"] == {
        "threadSpecName": "greeter",
        "variables": {"greeting": {"variableName": "name"}},
    }
    assert start["outgoingEdges"][0]["variableMutations"] == [
        {
            "lhsName": "1-greeter-START_THREAD",
            "rhsAssignment": {"nodeOutput": {"nodeName": "1-greeter-START_THREAD"}},
        }
    ]
    assert entry["variableDefs"][-1]["varDef"] == {
        "name": "1-greeter-START_THREAD",
        "typeDef": {"primitiveType": "INT"},
    }
    assert entry["nodes"]["2-threads-WAIT_FOR_THREADS"]["waitForThreads"] == {
        "threads": {"threads": [{"threadRunNumber": {"variableName": "1-greeter-START_THREAD"}}]},
        "strategy": "WAIT_FOR_FIRST",
    }


def test_spawn_thread_for_each_iterates_a_json_arr() -> None:
    def wf(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items")
        t.wait_for_threads(t.spawn_thread_for_each(items, per_item, "per-item"))

    entry = compile_wf(wf)["threadSpecs"]["entrypoint"]
    assert entry["nodes"]["1-per-item-START_MULTIPLE_THREADS"]["startMultipleThreads"] == {
        "threadSpecName": "per-item",
        "iterable": {"variableName": "items"},
    }
    assert entry["nodes"]["2-threads-WAIT_FOR_THREADS"]["waitForThreads"] == {
        "threadList": {"variableName": "1-per-item-START_MULTIPLE_THREADS"}
    }


def test_iterating_over_a_non_array_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.spawn_thread_for_each(t.declare_json_obj("o"), per_item, "x")  # not-array

    with raises_at("not-array", "iterates over a JSON_ARR, not JSON_OBJ variable 'o'"):
        compile_wf(wf)


def test_wait_for_threads_needs_spawned_threads() -> None:
    def wf(t: WorkflowThread) -> None:
        t.wait_for_threads()  # nothing-to-wait

    with raises_at("nothing-to-wait", "wait_for_threads\\(\\) takes the results of spawn_thread"):
        compile_wf(wf)


def test_thread_names_are_unique() -> None:
    def wf(t: WorkflowThread) -> None:
        t.spawn_thread(child, "twin")
        t.spawn_thread(child, "twin")  # twin

    with raises_at("twin", "workflow 'wf' already has a thread 'twin'"):
        compile_wf(wf)


def test_unknown_wait_strategy_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.wait_for_threads(t.spawn_thread(child, "c"), strategy="FASTEST")  # strategy

    with raises_at("strategy", "'FASTEST' is not a wait strategy"):
        compile_wf(wf)


def test_input_must_name_variables_the_child_declares() -> None:
    def wf(t: WorkflowThread) -> None:
        t.spawn_thread(child, "greeter", input={"greting": "hi"})  # typo-input

    with raises_at("typo-input", "thread 'greeter' is given greting but declares no such variable"):
        compile_wf(wf)


def test_spawned_threads_from_list_is_waiting_for_each() -> None:
    """LittleHorse's ``wait_for_threads(SpawnedThreads.from_list(a, b))``."""

    def child(t: WorkflowThread) -> None:
        t.execute("work")

    def with_from_list(t: WorkflowThread) -> None:
        a = t.spawn_thread(child, "a")
        b = t.spawn_thread(child, "b")
        t.wait_for_threads(SpawnedThreads.from_list(a, b), strategy="WAIT_FOR_FIRST")

    def with_arguments(t: WorkflowThread) -> None:
        a = t.spawn_thread(child, "a")
        b = t.spawn_thread(child, "b")
        t.wait_for_threads(a, b, strategy="WAIT_FOR_FIRST")

    assert compile_wf(with_from_list) == compile_wf(with_arguments)


def test_an_empty_list_of_threads_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.wait_for_threads(SpawnedThreads.from_list())  # empty-list

    with raises_at("empty-list", "wait_for_threads\\(\\) takes the results of spawn_thread"):
        compile_wf(wf)
