"""Loops are edges back to an earlier node; a WfRun may loop thousands of times."""

from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def counter(limit: int):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        i = wf.declare_int("i", 0)
        total = wf.declare_int("total", 0)

        def body(t: WorkflowThread) -> None:
            out = t.execute("square", i)
            total.assign(total.add(out))
            i.assign(i.add(1))

        wf.do_while(i.is_less_than(limit), body)

    return wf_fn


def test_a_loop_runs_its_body_until_the_condition_fails() -> None:
    h = Harness(counter(4), tasks={"square": ("INT",)})
    h.run()
    while h.status == "RUNNING":
        (n,) = h.task_input()
        h.succeed(n * n)
    assert h.status == "COMPLETED"
    assert h.variables == {"i": 4, "total": 0 + 1 + 4 + 9}
    assert h.path().count("2-square-TASK") == 4


def test_a_thousand_iterations_keep_the_state_the_same_size() -> None:
    h = Harness(counter(1000), tasks={"square": ("INT",)})
    h.run()
    sizes = []
    for n in range(1000):
        h.succeed(n)
        assert h.state is not None
        if n in (10, 990):
            sizes.append(len(str(h.state.to_item())))
    assert h.status == "COMPLETED"
    assert h.variables["i"] == 1000
    assert sizes[1] <= sizes[0] * 1.05, "only the digits of counters may grow"


def test_a_loop_that_never_waits_fails_instead_of_spinning() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        i = wf.declare_int("i", 0)
        wf.do_while(i.is_greater_than_eq(0), lambda t: i.assign(i.add(1)))

    h = Harness(wf_fn)
    h.run()
    assert h.status == "ERROR"
    assert "without waiting" in h.state.threads[0].error_message  # type: ignore[union-attr]


def while_loop(wf: WorkflowThread) -> None:
    """LittleHorse's WhileLoopTest workflow."""
    count = wf.declare_int("counter", 3)

    def body(loop: WorkflowThread) -> None:
        loop.execute("while-loop-obiwan")
        count.assign(count.subtract(1))

    wf.do_while(count.is_greater_than(0), body)


def test_a_while_loop_whose_condition_is_false_never_runs() -> None:
    """Mirrors WhileLoopTest shouldNotExecuteLoopIfConditionIsFalse: done in one event."""
    h = Harness(while_loop, tasks={"while-loop-obiwan": ()})
    h.run(counter=-1)
    assert h.status == "COMPLETED"
    assert h.sent == []


def test_a_while_loop_runs_three_times_from_the_default() -> None:
    """Mirrors WhileLoopTest shouldExecuteLoopThreeTimes."""
    h = Harness(while_loop, tasks={"while-loop-obiwan": ()})
    h.run()
    while h.status == "RUNNING":
        h.succeed()
    assert len(h.sent) == 3
    assert h.variables == {"counter": 0}


def test_a_node_output_is_the_latest_run_of_that_node() -> None:
    """Mirrors PassingNodeOutputTest passesLatestInstanceOfNodeRun."""

    def wf_fn(wf: WorkflowThread) -> None:
        iters = wf.declare_int("num-iters", 3)

        def body(loop: WorkflowThread) -> None:
            first = loop.execute("node-output-echo", iters)
            loop.execute("node-output-negative", first)
            iters.assign(iters.subtract(1))

        wf.do_while(iters.is_greater_than(0), body)

    h = Harness(wf_fn, tasks={"node-output-echo": ("INT",), "node-output-negative": ("INT",)})
    h.run()
    negated = []
    while h.status == "RUNNING":
        (n,) = h.task_input()
        if h.in_flight().task_def_name == "node-output-negative":
            negated.append(-n)
            h.succeed(-n)
        else:
            h.succeed(n)
    assert negated == [-3, -2, -1]
