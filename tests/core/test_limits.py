"""Values too large to store fail the node with a clear message instead of stalling the run."""

from canter_engine.model.values import MAX_VALUE_BYTES
from littlehorse.model import VariableMutationType
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def test_a_mutation_that_would_make_a_variable_too_large_fails_the_node() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        text = wf.declare_str("text").required()
        wf.mutate(text, VariableMutationType.ADD, text)

    h = Harness(wf_fn)
    h.run(text="x" * (MAX_VALUE_BYTES // 2 + 1))
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "VAR_MUTATION_ERROR"
    assert f"over the {MAX_VALUE_BYTES}-byte limit of one variable" in failure["message"]
    assert len(h.variables["text"]) == MAX_VALUE_BYTES // 2 + 1


def test_a_too_large_input_fails_at_thread_start() -> None:
    h = Harness(lambda wf: wf.declare_json_arr("items"))
    h.run(items=["y" * 1000] * (MAX_VALUE_BYTES // 1000))
    assert h.status == "ERROR"
    assert f"over the {MAX_VALUE_BYTES}-byte limit" in h.failure()["message"]


def test_task_inputs_over_the_value_limit_together_fail_with_var_sub_error() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        a = wf.declare_str("a").required()
        b = wf.declare_str("b").required()
        c = wf.declare_str("c").required()
        wf.execute("store", a, b, c, a)

    h = Harness(wf_fn, tasks={"store": ("STR", "STR", "STR", "STR")})
    chunk = "z" * (MAX_VALUE_BYTES // 3 + 1)
    h.run(a=chunk, b=chunk, c=chunk)
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert "store the data elsewhere (S3)" in h.failure()["message"]
    assert h.sent == []
