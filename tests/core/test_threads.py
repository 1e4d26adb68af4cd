"""START_THREAD, START_MULTIPLE_THREADS and WAIT_FOR_THREADS, with variable scoping."""

from typing import Any

from littlehorse.workflow import SpawnedThreads, WorkflowThread

from tests.core.harness import Harness, compile_lh


def test_a_child_gets_its_inputs_and_its_parent_waits_for_it() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        def child(t: WorkflowThread) -> None:
            t.execute("work", t.declare_int("x"))

        spawned = wf.spawn_thread(child, "child", {"x": 5})
        wf.wait_for_threads(SpawnedThreads.from_list(spawned))
        wf.execute("after")

    h = Harness(wf_fn, tasks={"work": ("INT",), "after": ()})
    h.run()
    assert h.thread(1).type == "CHILD" and h.thread(1).parent == 0
    assert h.task_input() == [5]
    assert h.node_runs()[-1]["status"] == "RUNNING"
    h.succeed()
    assert h.thread(1).status == "COMPLETED"
    assert h.in_flight().task_def_name == "after"
    h.succeed()
    assert h.status == "COMPLETED"


def fan_out(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items").required()
    total = wf.declare_int("total", 0)

    def each(t: WorkflowThread) -> None:
        item = t.declare_int("INPUT")
        out = t.execute("square", item)
        total.assign(total.add(out))

    wf.wait_for_threads(wf.spawn_thread_for_each(items, each, "each"))


def test_a_fan_out_of_a_hundred_children_waits_for_all() -> None:
    h = Harness(fan_out, tasks={"square": ("INT",)})
    h.run(items=list(range(100)))
    tasks = h.all_in_flight()
    assert len(tasks) == 100
    for task in reversed(tasks):
        (n,) = h.task_input(task.task_guid)
        assert h.status == "RUNNING"
        h.succeed(n * n, guid=task.task_guid)
    assert h.status == "COMPLETED"
    assert h.variables["total"] == sum(n * n for n in range(100))
    assert h.state is not None and h.state.greatest_thread == 100


def test_an_unhandled_child_failure_fails_the_wait_with_child_failed() -> None:
    h = Harness(fan_out, tasks={"square": ("INT",)})
    h.run(items=[1, 2])
    first, second = h.all_in_flight()
    h.throw("bad-input", "cannot square", guid=first.task_guid)
    assert h.thread(1).status == "EXCEPTION"
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "CHILD_FAILED"
    assert "thread 1 ended with bad-input: cannot square" in failure["message"]
    assert h.thread(2).status == "HALTING", "the sibling halts once its task reports"
    h.succeed(4, guid=second.task_guid)
    assert h.thread(2).status == "HALTED"


def test_a_child_exception_caught_by_a_per_thread_handler() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        items = wf.declare_json_arr("items").required()

        def each(t: WorkflowThread) -> None:
            t.execute("square", t.declare_int("INPUT"))

        waited = wf.wait_for_threads(wf.spawn_thread_for_each(items, each, "each"))
        waited.handle_exception_on_child(lambda h: h.execute("compensate"), "bad-input")
        wf.execute("after")

    h = Harness(wf_fn, tasks={"square": ("INT",), "compensate": (), "after": ()})
    h.run(items=[1, 2])
    first, second = h.all_in_flight()
    h.throw("bad-input", guid=first.task_guid)
    h.succeed(4, guid=second.task_guid)
    handler = h.thread(3)
    assert (handler.type, handler.parent) == ("FAILURE_HANDLER", 0)
    assert h.in_flight().task_def_name == "compensate"
    h.succeed()
    assert h.in_flight().task_def_name == "after"
    h.succeed()
    assert h.status == "COMPLETED"


def race(strategy: str) -> dict[str, Any]:
    """Two children raced; LittleHorse's Python SDK has no strategy argument, so set it."""

    def wf_fn(wf: WorkflowThread) -> None:
        a = wf.spawn_thread(lambda t: t.execute("slow"), "a", {})
        b = wf.spawn_thread(lambda t: t.execute("fast"), "b", {})
        wf.wait_for_threads(SpawnedThreads.from_list(a, b))

    spec = compile_lh("race", wf_fn)
    nodes = spec["threadSpecs"]["entrypoint"]["nodes"]
    nodes["3-threads-WAIT_FOR_THREADS"]["waitForThreads"]["strategy"] = strategy
    return spec


def test_wait_for_any_completes_on_the_first_success() -> None:
    h = Harness(race("WAIT_FOR_ANY"), tasks={"slow": (), "fast": ()})
    h.run()
    fast = next(t for t in h.all_in_flight() if t.task_def_name == "fast")
    h.succeed("first!", guid=fast.task_guid)
    wait = next(n for n in h.node_runs() if n["nodeName"] == "3-threads-WAIT_FOR_THREADS")
    assert wait["status"] == "COMPLETED"
    assert wait["output"] == {"jsonArr": '[{"threadRunNumber":2,"output":null}]'}
    assert h.status == "RUNNING", "the parent ends only after its children end"
    h.succeed()
    assert h.status == "COMPLETED"


def test_three_generations_share_the_ancestors_variables() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        shared = wf.declare_int("shared", 1)

        def grandchild(t: WorkflowThread) -> None:
            shared.assign(shared.multiply(10))
            t.execute("peek", shared)

        def child(t: WorkflowThread) -> None:
            shared.assign(shared.add(1))
            t.wait_for_threads(SpawnedThreads.from_list(t.spawn_thread(grandchild, "g", {})))

        def middle(t: WorkflowThread) -> None:
            t.wait_for_threads(SpawnedThreads.from_list(t.spawn_thread(child, "c", {})))

        wf.wait_for_threads(SpawnedThreads.from_list(wf.spawn_thread(middle, "m", {})))

    h = Harness(wf_fn, tasks={"peek": ("INT",)})
    h.run()
    assert h.task_input() == [20]
    assert [h.thread(n).parent for n in (1, 2, 3)] == [0, 1, 2]
    assert h.state is not None and set(h.state.variables[3]) == set()
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.variables["shared"] == 20


def test_wait_for_first_takes_the_first_child_to_end_even_a_failure() -> None:
    h = Harness(race("WAIT_FOR_FIRST"), tasks={"slow": (), "fast": ()})
    h.run()
    fast = next(t for t in h.all_in_flight() if t.task_def_name == "fast")
    h.throw("too-fast", guid=fast.task_guid)
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "CHILD_FAILED"
