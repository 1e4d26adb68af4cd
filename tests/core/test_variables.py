"""Variables: every type, defaults, required inputs, type checks at thread start."""

from datetime import UTC, datetime

from canter_engine.model.values import TimestampValue, WfRunIdValue
from littlehorse.model import VariableMutationType, WfRunId
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def every_type(wf: WorkflowThread) -> None:
    wf.declare_int("i", 1)
    wf.declare_double("d", 1.5)
    wf.declare_bool("b", True)
    wf.declare_str("s", "x")
    wf.declare_bytes("by")
    wf.declare_json_obj("o", {"k": [1]})
    wf.declare_json_arr("a", [1, "two"])
    wf.declare_wf_run_id("w")
    wf.declare_timestamp("t")
    wf.declare_str("req").required()
    wf.execute("noop")


def test_defaults_and_inputs_of_every_type() -> None:
    h = Harness(every_type, tasks={"noop": ()})
    stamp = TimestampValue(int(datetime(2026, 1, 2, tzinfo=UTC).timestamp() * 1000))
    h.run(req="given", by=b"\x00\x01", w=WfRunIdValue("other"), t=stamp, d=2)
    assert h.variables == {
        "i": 1,
        "d": 2.0,
        "b": True,
        "s": "x",
        "by": b"\x00\x01",
        "o": {"k": [1]},
        "a": [1, "two"],
        "w": "other",
        "t": stamp,
        "req": "given",
    }
    assert isinstance(h.variables["d"], float)
    var = h.records["var#000000#t"]
    assert var["value"] == {"utcTimestamp": "2026-01-02T00:00:00.000Z"}


def test_a_missing_required_input_or_a_wrong_type_fails_visibly() -> None:
    h = Harness(every_type, tasks={"noop": ()})
    h.run(i="not a number")
    assert h.status == "ERROR"
    message = h.failure()["message"]
    assert "required variable 'req' was not given" in message
    assert "variable 'i' is INT, got STR" in message


def test_masked_variables_never_leave_in_clear() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        wf.declare_str("secret").masked()
        wf.execute("noop")

    h = Harness(wf_fn, tasks={"noop": ()})
    h.run(secret="hunter2")
    assert h.records["var#000000#secret"]["value"] == {"str": "*****"}
    assert h.records["var#000000#secret"]["masked"] is True


def test_an_int_input_reaches_the_task_and_literals_are_task_inputs() -> None:
    """Mirrors InputVarsTest simpleIntegerVarInput."""

    def wf_fn(wf: WorkflowThread) -> None:
        my_var = wf.declare_int("my-var")
        wf.execute("ab-double-it", my_var)
        wf.execute("ab-subtract", 10, 8)

    h = Harness(wf_fn, tasks={"ab-double-it": ("INT",), "ab-subtract": ("INT", "INT")})
    h.run(**{"my-var": 10})
    assert h.task_input() == [10]
    h.succeed(20)
    assert h.task_input() == [10, 8]
    h.succeed(2)
    assert h.status == "COMPLETED"


def test_json_paths_feed_tasks_and_add_to_a_nested_field() -> None:
    """Mirrors InputVarsTest jsonVarMutation: ``$.subObject.bar`` ADD the task's output."""

    def wf_fn(wf: WorkflowThread) -> None:
        my_var = wf.declare_json_obj("my-json-var")
        length = wf.execute("count-length", my_var.with_json_path("$.subObject.foo"))
        wf.mutate(my_var.with_json_path("$.subObject.bar"), VariableMutationType.ADD, length)
        wf.execute("process-big-obj", my_var)
        wf.execute("process-sub-obj", my_var.with_json_path("$.subObject"))

    tasks = {
        "count-length": ("STR",),
        "process-big-obj": ("JSON_OBJ",),
        "process-sub-obj": ("JSON_OBJ",),
    }
    h = Harness(wf_fn, tasks=tasks)
    h.run(**{"my-json-var": {"subObject": {"foo": "Hello there", "bar": 5}, "baz": 137}})
    assert h.task_input() == ["Hello there"]
    h.succeed(11)
    assert h.variables["my-json-var"] == {
        "subObject": {"foo": "Hello there", "bar": 16},
        "baz": 137,
    }
    h.succeed("Greeting: Hello there")
    assert h.task_input() == [{"foo": "Hello there", "bar": 16}]
    h.succeed(32)
    assert h.status == "COMPLETED"


def test_a_timestamp_input_reaches_every_task_input_as_a_timestamp() -> None:
    """Mirrors InputVarsTest timestampVarInput."""

    def wf_fn(wf: WorkflowThread) -> None:
        ts = wf.declare_timestamp("ts-var")
        wf.execute("print-timestamps", ts, ts, ts, ts, ts)

    h = Harness(wf_fn, tasks={"print-timestamps": ("TIMESTAMP",) * 5})
    h.run(**{"ts-var": TimestampValue(1_690_000_000_000)})
    sent = h.in_flight().scheduled_task["variables"]
    assert [v["value"] for v in sent] == [{"utcTimestamp": "2023-07-22T04:26:40.000Z"}] * 5


def test_a_variable_can_be_assigned_the_empty_value() -> None:
    """Mirrors VariablesTest shouldAllowAssigningNullToVariable."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.declare_json_obj("some-json-obj", {"a": 1}).assign(None)

    h = Harness(wf_fn)
    h.run()
    assert h.status == "COMPLETED"
    assert h.variables["some-json-obj"] is None


def test_a_mutation_on_the_entrypoint_edge_fails_the_entrypoint_node_run() -> None:
    """Mirrors VariablesTest shouldHandleVarSubErrors."""

    def wf_fn(wf: WorkflowThread) -> None:
        a = wf.declare_int("value-a").required()
        b = wf.declare_int("value-b").required()
        result = wf.declare_int("result")
        wf.mutate(a, VariableMutationType.DIVIDE, b)
        wf.mutate(result, VariableMutationType.ASSIGN, a)
        wf.execute("print-number", result)

    h = Harness(wf_fn, tasks={"print-number": ("INT",)})
    h.run(**{"value-a": 9, "value-b": 0})
    assert h.status == "ERROR"
    (entrypoint, *_) = h.node_runs()
    assert len(entrypoint["failures"]) == 1
    assert "Cannot divide by zero" in entrypoint["failures"][0]["message"]
    assert h.variables == {"value-a": 9, "value-b": 0, "result": None}


def wf_run_id_workflow(wf: WorkflowThread) -> None:
    """VariablesTest's ``wf-run-id`` workflow."""
    a = wf.declare_wf_run_id("wfrun-a", WfRunId(id="default-id"))
    output = wf.execute("print-wf-run-id", a)
    wf.execute("print-wf-run-id", output)


def test_wf_run_id_variables_default_input_and_task_output() -> None:
    """Mirrors VariablesTest shouldHandleDefaultValueForWfRunIdVariable,
    shouldHandleInputWfRunVariable and shouldHandleTaskOutputWfRunVariable."""
    for given, expected in [
        ({}, "default-id"),
        ({"wfrun-a": WfRunIdValue("input-id")}, "input-id"),
    ]:
        h = Harness(wf_run_id_workflow, tasks={"print-wf-run-id": ("WF_RUN_ID",)})
        h.run(**given)
        assert h.in_flight().scheduled_task["variables"][0]["value"] == {
            "wfRunId": {"id": expected}
        }
        h.succeed(WfRunIdValue("from-task"))
        assert h.task_input() == [WfRunIdValue("from-task")]
        h.succeed(WfRunIdValue("again"))
        assert h.status == "COMPLETED"
