"""Variables: every type, defaults, required inputs, type checks at thread start."""

from datetime import UTC, datetime

from canter_engine.model.values import TimestampValue, WfRunIdValue
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
