"""START_THREAD, START_MULTIPLE_THREADS and WAIT_FOR_THREADS, with variable scoping."""

from typing import Any

from canter_engine.core import wf_run_json
from canter_engine.core.events import TimerFired
from canter_engine.core.threads import MAX_THREAD_RUNS
from littlehorse.model import LHErrorType, VariableMutationType
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


def test_an_unhandled_child_exception_fails_the_wait_with_that_exception() -> None:
    """Mirrors FailureHandlingTest (WaitForThreadsRunModel.propagateFailure): a
    child's business EXCEPTION reaches the waiting node under its own name."""
    h = Harness(fan_out, tasks={"square": ("INT",)})
    h.run(items=[1, 2])
    first, second = h.all_in_flight()
    h.throw("bad-input", "cannot square", content={"n": 1}, guid=first.task_guid)
    assert h.thread(1).status == "EXCEPTION"
    assert h.status == "EXCEPTION"
    wait = h.node_runs()[-1]
    assert wait["status"] == "EXCEPTION"
    failure = h.failure()
    assert (failure["failureName"], failure["message"]) == ("bad-input", "cannot square")
    assert failure["content"] == {"jsonObj": '{"n":1}'}
    assert h.thread(2).status == "HALTING", "the sibling halts once its task reports"
    h.succeed(4, guid=second.task_guid)
    assert h.thread(2).status == "HALTED"


def test_an_unhandled_child_error_fails_the_wait_with_child_failure() -> None:
    """Mirrors WaitForThreadsRunModel.propagateFailure: a child's ERROR becomes
    CHILD_FAILURE, LittleHorse's own name, naming the child and its failure."""
    h = Harness(fan_out, tasks={"square": ("INT",)})
    h.run(items=[1])
    h.fail("worker crashed")
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "CHILD_FAILURE"
    assert failure["message"].startswith("Child thread 1 failed with TASK_FAILURE: ")


def child_fails_then(attach: Any, fails_with_exception: bool = True) -> Harness:
    """FailureHandlingTest's handle-any-*-wf: a child fails with an EXCEPTION or
    an ERROR; a handler is attached to the WAIT_FOR_THREADS node."""

    def wf_fn(wf: WorkflowThread) -> None:
        def sub(t: WorkflowThread) -> None:
            should = t.declare_bool("should-it-fail")
            t.do_if(
                should.is_equal_to(True),
                lambda b: b.fail("custom-exception", "this is a exception"),
                lambda b: b.execute("fail"),
            )

        flag = wf.declare_bool("fail-with-user-defined-exception")
        spawned = wf.spawn_thread(sub, "sub-thread", {"should-it-fail": flag})
        waited = wf.wait_for_threads(SpawnedThreads.from_list(spawned))
        attach(wf, waited, lambda h: h.execute("my-task"))

    h = Harness(wf_fn, tasks={"fail": (), "my-task": ()})
    h.run(**{"fail-with-user-defined-exception": fails_with_exception})
    if not fails_with_exception:
        h.fail("something went wrong!")
    return h


def test_handle_exception_on_the_wait_catches_a_child_exception() -> None:
    """Mirrors FailureHandlingTest.HandleAnyException: shouldCompleteOnUserDefinedException
    and shouldFailWithErrorOnTaskFailure; the handled NodeRun keeps EXCEPTION."""
    attach = lambda wf, n, fn: wf.handle_exception(n, fn)  # noqa: E731
    h = child_fails_then(attach)
    assert h.in_flight().task_def_name == "my-task"
    h.succeed()
    assert h.status == "COMPLETED", "the EXIT accepts a child whose failure was handled"
    wait = h.node_runs()[2]
    assert wait["status"] == "EXCEPTION"
    assert wait["failures"][0]["failureName"] == "custom-exception"
    assert wait["failures"][0]["wasProperlyHandled"] is True
    erroring = child_fails_then(attach, fails_with_exception=False)
    assert erroring.status == "ERROR"
    assert erroring.failure()["failureName"] == "CHILD_FAILURE"


def test_handle_error_on_the_wait_catches_a_child_error_only() -> None:
    """Mirrors FailureHandlingTest.HandleAnyError."""
    attach = lambda wf, n, fn: wf.handle_error(n, fn)  # noqa: E731
    h = child_fails_then(attach, fails_with_exception=False)
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.node_runs()[2]["status"] == "ERROR"
    assert child_fails_then(attach).status == "EXCEPTION"


def test_handle_any_failure_on_the_wait_catches_both() -> None:
    """Mirrors FailureHandlingTest.HandleAnyFailure."""
    attach = lambda wf, n, fn: wf.handle_any_failure(n, fn)  # noqa: E731
    for exception in (True, False):
        h = child_fails_then(attach, fails_with_exception=exception)
        h.succeed()
        assert h.status == "COMPLETED"


def test_a_specific_exception_handler_on_the_wait_catches_the_child_exception() -> None:
    """Mirrors FailureHandlingTest.shouldHandleSpecificException (handle-exception-wf)."""

    def wf_fn(wf: WorkflowThread) -> None:
        spawned = wf.spawn_thread(
            lambda t: t.fail("my-exception", "this is a exception"), "sub-thread", {}
        )
        waited = wf.wait_for_threads(SpawnedThreads.from_list(spawned))
        wf.handle_exception(waited, lambda h: h.execute("my-task"), "my-exception")

    h = Harness(wf_fn, tasks={"my-task": ()})
    h.run()
    h.succeed()
    assert h.status == "COMPLETED"


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
    assert h.node_runs()[2]["failureHandlerIds"] == [3]
    assert h.state is not None
    assert wf_run_json(h.state)["threadRuns"][0]["handledFailedChildren"] == [1]
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
    assert h.output(wait["nodeName"]) == {"jsonArr": '[{"threadRunNumber":2,"output":null}]'}
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
    assert h.status == "EXCEPTION"
    assert h.failure()["failureName"] == "too-fast"


def two_waiting_children(wf: WorkflowThread) -> None:
    """WaitForThreadsTest's simple-wait-for-threads-workflow: two children, each
    waiting for its own event and passing its INT on to a task."""

    def child(event: str) -> Any:
        def body(t: WorkflowThread) -> None:
            got = t.declare_json_obj("got")
            got.assign(t.wait_for_event(event))
            t.execute("use", got.with_json_path("$.myInt"))

        return body

    one = wf.spawn_thread(child("thread-1-event"), "first", {})
    two = wf.spawn_thread(child("thread-2-event"), "second", {})
    wf.wait_for_threads(SpawnedThreads.from_list(one, two))


def test_wait_for_threads_shows_each_childs_status() -> None:
    """Mirrors WaitForThreadsTest.shouldExecuteSimpleWorkflowSuccessfully: the
    WaitForThreadsRun carries every waited thread's threadStatus."""
    h = Harness(
        two_waiting_children, tasks={"use": ("INT",)}, events={"thread-1-event", "thread-2-event"}
    )
    h.run()
    wait = h.node_runs()[3]
    assert [t["threadRunNumber"] for t in wait["waitForThreads"]["threads"]] == [1, 2]
    h.post("thread-1-event", {"myInt": 5})
    h.succeed()
    threads = h.node_runs()[3]["waitForThreads"]["threads"]
    assert [t["threadStatus"] for t in threads] == ["COMPLETED", "RUNNING"]
    assert threads[0]["waitingStatus"] == "THREAD_COMPLETED_OR_FAILURE_HANDLED"
    h.post("thread-2-event", {"myInt": 10})
    h.succeed()
    wait = h.node_runs()[3]
    assert wait["status"] == "COMPLETED"
    assert [t["threadStatus"] for t in wait["waitForThreads"]["threads"]] == ["COMPLETED"] * 2
    assert h.status == "COMPLETED"


def test_a_failed_child_shows_error_and_its_halted_sibling_halted() -> None:
    """Mirrors WaitForThreadsTest.shouldFailWorkflowExecutionWhenFirstSpawnedThreadFails."""
    h = Harness(
        two_waiting_children, tasks={"use": ("INT",)}, events={"thread-1-event", "thread-2-event"}
    )
    h.run()
    h.post("thread-1-event", {"myInt": "invalidInt"})
    assert h.status == "ERROR"
    assert h.thread(1).status == "ERROR"
    assert h.thread(2).status == "HALTED"
    assert h.statuses(2)[1] == "HALTED"
    assert h.node_runs(1)[2]["failures"][0]["failureName"] == "VAR_SUB_ERROR"
    wait = h.node_runs()[3]
    assert wait["status"] == "ERROR"
    assert [t["threadStatus"] for t in wait["waitForThreads"]["threads"]] == ["ERROR", "HALTED"]
    assert wait["waitForThreads"]["threads"][0]["waitingStatus"] == "THREAD_UNSUCCESSFUL"


def test_a_denied_approval_is_handled_and_the_other_children_still_finish() -> None:
    """Mirrors WaitForThreadsTest:
    shouldExecuteExceptionHandlerWhenChildThreadTrowsAUserDefinedException and
    shouldTerminateWorkflowExecutionWhenExceptionHandlerIsNotPresent."""

    def approvals(handled: bool) -> Any:
        def wf_fn(wf: WorkflowThread) -> None:
            def child(name: str) -> Any:
                def body(t: WorkflowThread) -> None:
                    response = t.declare_json_obj(f"{name}-response")
                    response.assign(t.wait_for_event(f"{name}-approves"))
                    t.do_if(
                        response.with_json_path("$.approval").is_equal_to(True),
                        lambda b: None,
                        lambda b: b.fail("denied-by-user", "message here"),
                    )

                return body

            spawned = [wf.spawn_thread(child(f"person-{i}"), f"person-{i}", {}) for i in (1, 2, 3)]
            waited = wf.wait_for_threads(SpawnedThreads.from_list(*spawned))
            if handled:
                wf.handle_exception(waited, lambda h: h.execute("exc-handler"), "denied-by-user")

        return wf_fn

    events = {f"person-{i}-approves" for i in (1, 2, 3)}
    h = Harness(approvals(True), tasks={"exc-handler": ()}, events=events)
    h.run()
    h.post("person-1-approves", {"approval": False})
    assert h.thread(4).type == "FAILURE_HANDLER"
    h.succeed("result")
    h.post("person-2-approves", {"approval": True})
    h.post("person-3-approves", {"approval": True})
    assert h.status == "COMPLETED"
    unhandled = Harness(approvals(False), events=events)
    unhandled.run()
    unhandled.post("person-1-approves", {"approval": False})
    assert unhandled.status == "EXCEPTION"


def basic_child_thread(wf: WorkflowThread) -> None:
    """ChildThreadTest's basic-child-thread."""
    shared = wf.declare_int("shared-var")

    def child(t: WorkflowThread) -> None:
        shared.assign(t.wait_for_event("complete-child").with_json_path("$.result"))

    spawned = wf.spawn_thread(child, "child-thread", {})
    shared.assign(wf.wait_for_event("complete-parent").with_json_path("$.result"))
    wf.wait_for_threads(SpawnedThreads.from_list(spawned))


CHILD_EVENTS = {"complete-child", "complete-parent"}


def test_a_child_completes_first_and_mutates_its_parents_variable() -> None:
    """Mirrors ChildThreadTest.childCompletesFirstAndCanMutateParentVariables."""
    h = Harness(basic_child_thread, events=CHILD_EVENTS)
    h.run()
    assert h.thread(1).status == "RUNNING"
    h.post("complete-child", {"result": 1234})
    assert h.variables["shared-var"] == 1234
    assert h.thread(1).status == "COMPLETED"
    h.post("complete-parent", {"result": 4321})
    (waited,) = h.node_runs()[3]["waitForThreads"]["threads"]
    assert (waited["threadRunNumber"], waited["threadStatus"]) == (1, "COMPLETED")
    assert h.status == "COMPLETED"


def test_a_child_error_reaches_the_parent_only_at_its_wait() -> None:
    """Mirrors ChildThreadTest.childErrorPropagatesToParentOnlyOnWaitForThreadsNode."""
    h = Harness(basic_child_thread, events=CHILD_EVENTS)
    h.run()
    h.post("complete-child", {"result": "not-an-integer"})
    child_node = h.node_runs(1)[1]
    assert len(child_node["failures"]) == 1, "the failed edge mutation fails the event's NodeRun"
    assert (h.thread(1).status, h.thread(0).status) == ("ERROR", "RUNNING")
    h.post("complete-parent", {"result": 1234})
    assert h.variables["shared-var"] == 1234
    assert h.status == "ERROR"
    wait = h.node_runs()[3]
    (waited,) = wait["waitForThreads"]["threads"]
    assert (waited["threadRunNumber"], waited["threadStatus"]) == (1, "ERROR")
    assert wait["status"] == "ERROR"
    assert wait["failures"][0]["failureName"] == "CHILD_FAILURE"


def test_a_parent_error_halts_its_child() -> None:
    """Mirrors ChildThreadTest.parentErrorCausesChildToHalt."""
    h = Harness(basic_child_thread, events=CHILD_EVENTS)
    h.run()
    h.post("complete-parent", {"result": "not-an-integer"})
    assert h.thread(0).status == "ERROR"
    child = h.thread(1)
    assert (child.status, child.halts) == ("HALTED", ["parent:0"])


def test_a_parent_waits_for_its_child_to_complete() -> None:
    """Mirrors ChildThreadTest.parentWaitsForChildToComplete."""
    h = Harness(basic_child_thread, events=CHILD_EVENTS)
    h.run()
    h.post("complete-parent", {"result": 1234})
    assert h.thread(0).status == "RUNNING"
    assert h.variables["shared-var"] == 1234
    (waited,) = h.node_runs()[3]["waitForThreads"]["threads"]
    assert waited["threadStatus"] == "RUNNING"
    h.post("complete-child", {"result": 137})
    (waited,) = h.node_runs()[3]["waitForThreads"]["threads"]
    assert waited["threadStatus"] == "COMPLETED"
    assert h.variables["shared-var"] == 137
    assert h.status == "COMPLETED"


def handle_exception_on_children(wf: WorkflowThread) -> None:
    """SpawnThreadsForEachWithFailureHandlerTest's handle-exception-on-children."""
    to_spawn = wf.declare_json_arr("to-spawn").required()
    empty = wf.declare_json_obj("json-obj")

    def child(t: WorkflowThread) -> None:
        item = t.declare_json_obj("INPUT")
        t.do_if(
            item.with_json_path("$.executeTask").is_equal_to(True),
            lambda b: b.execute("dummy-task"),
        )
        for name in ("exception-but-recover", "exception-but-still-fail", "exception-dont-handle"):
            t.do_if(
                item.with_json_path("$.endResult").is_equal_to(name),
                lambda b, name=name: b.fail(name, "failed due to exception"),  # type: ignore[misc]
            )
        t.do_if(
            item.with_json_path("$.endResult").is_equal_to("error"),
            lambda b: b.mutate(
                empty.with_json_path("$.notarealpath"),
                VariableMutationType.MULTIPLY,
                empty.with_json_path("$.asdfasdf"),
            ),
        )

    waited = wf.wait_for_threads(wf.spawn_thread_for_each(to_spawn, child, "child"))
    waited.handle_error_on_child(lambda h: None, LHErrorType.VAR_SUB_ERROR)
    waited.handle_exception_on_child(lambda h: h.execute("dummy-task"), "exception-but-recover")
    waited.handle_exception_on_child(
        lambda h: h.fail("still-failed", "should still fail"), "exception-but-still-fail"
    )


def spawn_for_each(*inputs: tuple[str, bool]) -> Harness:
    h = Harness(handle_exception_on_children, tasks={"dummy-task": ()})
    h.run(**{"to-spawn": [{"endResult": r, "executeTask": t} for r, t in inputs]})
    return h


def test_spawn_for_each_happy_path() -> None:
    """Mirrors SpawnThreadsForEachWithFailureHandlerTest.testSpawnThreadForEachHappyPath."""
    h = spawn_for_each(("succeed", False), ("succeed", True))
    assert h.in_flight().scheduled_task["source"]["taskNode"]["nodeRunId"]["threadRunNumber"] == 2
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.state is not None and len(h.state.threads) == 3


def test_spawn_for_each_exception_without_handler_reaches_the_parent() -> None:
    """Mirrors SpawnThreadsForEachWithFailureHandlerTest:
    testExceptionPropagatedToParentWhenNoHandler."""
    h = spawn_for_each(("exception-dont-handle", True))
    h.succeed()
    assert h.status == "EXCEPTION"
    assert h.state is not None and len(h.state.threads) == 2
    wait = h.node_runs()[2]
    assert [f["failureName"] for f in wait["failures"]] == ["exception-dont-handle"]


def test_spawn_for_each_one_child_recovers_the_other_still_fails() -> None:
    """Mirrors SpawnThreadsForEachWithFailureHandlerTest:
    testFirstThreadHasHandlerAndSecondDoesnt."""
    h = spawn_for_each(("exception-but-recover", False), ("exception-but-still-fail", True))
    assert {t.task_def_name for t in h.all_in_flight()} == {"dummy-task"}
    child_task, handler_task = h.all_in_flight()
    assert handler_task.scheduled_task["source"]["taskNode"]["nodeRunId"]["threadRunNumber"] == 3
    h.succeed(guid=handler_task.task_guid)
    h.succeed(guid=child_task.task_guid)
    statuses = {n: h.thread(n).status for n in (1, 2, 3, 4)}
    assert statuses == {1: "EXCEPTION", 2: "EXCEPTION", 3: "COMPLETED", 4: "EXCEPTION"}
    assert h.status == "EXCEPTION"
    assert [f["failureName"] for f in h.node_runs()[2]["failures"]] == ["still-failed"]


def test_spawn_for_each_first_recovers_second_succeeds() -> None:
    """Mirrors SpawnThreadsForEachWithFailureHandlerTest:
    testFirstThreadSucceedsSecondThreadRecovers."""
    h = spawn_for_each(("exception-but-recover", False), ("succeed", True))
    while h.state is not None and h.state.task_runs:
        h.succeed(guid=h.all_in_flight()[0].task_guid)
    assert h.status == "COMPLETED"
    assert {n: h.thread(n).status for n in (1, 2, 3)} == {
        1: "EXCEPTION",
        2: "COMPLETED",
        3: "COMPLETED",
    }


def test_spawn_for_each_a_failed_child_halts_its_sibling_after_its_task() -> None:
    """Mirrors SpawnThreadsForEachWithFailureHandlerTest:
    testOtherThreadHaltedWhenFirstFailsWithoutHandler."""
    h = spawn_for_each(("exception-dont-handle", False), ("success", True))
    assert h.thread(1).status == "EXCEPTION"
    assert h.thread(2).status == "HALTING"
    h.succeed()
    assert h.thread(2).status == "HALTED"
    assert h.status == "EXCEPTION"
    task_node = h.node_runs(2)[2]
    assert (task_node["status"], h.thread(2).next_position) == ("HALTED", 3)


def test_spawn_for_each_a_var_sub_error_is_handled_by_the_error_handler() -> None:
    """SpawnThreadsForEachWithFailureHandlerTest's "error" case: a VAR_SUB_ERROR
    caught by handleErrorOnChild(VAR_SUB_ERROR)."""
    h = spawn_for_each(("error", False))
    assert h.thread(1).status == "ERROR"
    assert h.status == "COMPLETED"


def spawn_many(wf: WorkflowThread) -> None:
    """MaxThreadRunCountTest's spawn-many-threads-wf."""
    arr = wf.declare_json_arr("json-arr").required()
    wf.wait_for_threads(wf.spawn_thread_for_each(arr, lambda t: t.complete(), "test-thread"))


def test_spawning_up_to_the_thread_limit_completes() -> None:
    """Mirrors MaxThreadRunCountTest.shouldNotFailIfSpawnFewWf (Canter's limit is
    11,000 ThreadRuns, LittleHorse's default 65)."""
    h = Harness(spawn_many)
    h.run(**{"json-arr": list(range(MAX_THREAD_RUNS - 1))})
    assert h.status == "COMPLETED"


def test_spawning_past_the_thread_limit_fails_and_starts_no_thread() -> None:
    """Mirrors MaxThreadRunCountTest.shouldFailIfSpawnTooManyWf and
    shouldNotLeaveOrphanThreadsWhenSpawnExceedsLimit."""
    h = Harness(spawn_many)
    h.run(**{"json-arr": list(range(MAX_THREAD_RUNS))})
    assert h.status == "ERROR"
    spawn = h.node_runs()[1]
    assert spawn["status"] == "ERROR"
    failure = spawn["failures"][0]
    assert failure["failureName"] == "INTERNAL_ERROR"
    assert failure["message"].startswith(
        f"WfRun would have {MAX_THREAD_RUNS + 1} ThreadRuns, exceeding the maximum number "
        f"of ThreadRuns per WfRun: {MAX_THREAD_RUNS}."
    )
    assert h.state is not None and list(h.state.threads) == [0]


def one_of(strategy: str) -> dict[str, Any]:
    """WaitForOneOfTest's workflows: two children wait for events (2 s timeout),
    the third waits for an event and then fails with a business exception."""

    def wf_fn(wf: WorkflowThread) -> None:
        c1 = wf.spawn_thread(lambda t: t.wait_for_event("first-event", timeout=2), "child-1", {})
        c2 = wf.spawn_thread(lambda t: t.wait_for_event("second-event", timeout=2), "child-2", {})

        def c3_fn(t: WorkflowThread) -> None:
            t.wait_for_event("fail-event")
            t.fail("business-exception", "some message")

        c3 = wf.spawn_thread(c3_fn, "child-3", {})
        wf.wait_for_threads(SpawnedThreads.from_list(c1, c2, c3))

    spec = compile_lh("one-of", wf_fn)
    node = spec["threadSpecs"]["entrypoint"]["nodes"]["4-threads-WAIT_FOR_THREADS"]
    node["waitForThreads"]["strategy"] = strategy
    return spec


ONE_OF_EVENTS = {"first-event", "second-event", "fail-event"}


def test_wait_for_first_halts_the_others_when_the_first_succeeds() -> None:
    """Mirrors WaitForOneOfTest.waitForFirstOfShouldHaltOtherChildWhenFirstSucceeds."""
    h = Harness(one_of("WAIT_FOR_FIRST"), events=ONE_OF_EVENTS)
    h.run()
    h.post("first-event", "asdf")
    assert h.status == "COMPLETED"
    assert [h.thread(n).status for n in (1, 2, 3)] == ["COMPLETED", "HALTED", "HALTED"]
    reason = wf_run_json(h.state)["threadRuns"][2]["haltReasons"][0]  # type: ignore[arg-type]
    assert reason == {"haltedByParent": {"parentThreadRunNumber": 0, "waitingNodeRunPosition": 4}}


def test_wait_for_first_fails_if_the_first_fails() -> None:
    """Mirrors WaitForOneOfTest.waitForFirstOfShouldFailIfFirstThreadFails."""
    h = Harness(one_of("WAIT_FOR_FIRST"), events=ONE_OF_EVENTS)
    h.run()
    h.post("fail-event", "asdf")
    assert h.status == "EXCEPTION"
    assert [h.thread(n).status for n in (1, 2, 3)] == ["HALTED", "HALTED", "EXCEPTION"]


def test_wait_for_any_halts_the_others_when_one_succeeds() -> None:
    """Mirrors WaitForOneOfTest.waitForAnyOfShouldHaltOtherChildWhenFirstSucceeds."""
    h = Harness(one_of("WAIT_FOR_ANY"), events=ONE_OF_EVENTS)
    h.run()
    h.post("first-event", "asdf")
    assert h.status == "COMPLETED"
    assert [h.thread(n).status for n in (1, 2, 3)] == ["COMPLETED", "HALTED", "HALTED"]


def test_wait_for_any_ignores_a_failed_child() -> None:
    """Mirrors WaitForOneOfTest.waitForAnyOfShouldIgnoreFailedFirstThread."""
    h = Harness(one_of("WAIT_FOR_ANY"), events=ONE_OF_EVENTS)
    h.run()
    h.post("fail-event", "asdf")
    assert h.thread(3).status == "EXCEPTION" and h.status == "RUNNING"
    h.post("second-event", "asdf")
    assert h.status == "COMPLETED", "the failed child was dealt with by the wait"
    assert [h.thread(n).status for n in (1, 2, 3)] == ["HALTED", "COMPLETED", "EXCEPTION"]


def test_wait_for_any_is_an_error_when_all_fail() -> None:
    """Mirrors WaitForOneOfTest.waitForAnyOfShouldThrowERRORWhenAllFail."""
    h = Harness(one_of("WAIT_FOR_ANY"), events=ONE_OF_EVENTS)
    h.run()
    h.post("fail-event", "asdf")
    for timer in [t for t in h.timers if t.kind == "EVENT_TIMEOUT"]:
        h.apply(TimerFired(timer, timer.due))
    assert [h.thread(n).status for n in (1, 2, 3)] == ["ERROR", "ERROR", "EXCEPTION"]
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "CHILD_FAILURE"
