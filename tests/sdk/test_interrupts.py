"""Interrupts: an ExternalEvent halts the thread and runs a handler thread."""

from __future__ import annotations

from canter import WorkflowThread

from .helpers import compile_wf, raises_at


def test_interrupt_handler_is_a_thread_with_the_event_as_input() -> None:
    def wf(t: WorkflowThread) -> None:
        status = t.declare_str("status")

        def on_cancel(h: WorkflowThread) -> None:
            status.assign("cancelled")
            h.execute("notify", h.declare_str("INPUT"))

        t.add_interrupt_handler("cancel", on_cancel)
        t.execute("work")

    specs = compile_wf(wf)["threadSpecs"]
    assert specs["entrypoint"]["interruptDefs"] == [
        {"externalEventDefId": {"name": "cancel"}, "handlerSpecName": "interrupt-cancel"}
    ]
    handler = specs["interrupt-cancel"]
    assert handler["variableDefs"][0]["varDef"]["name"] == "INPUT"
    assert handler["nodes"]["1-notify-TASK"]["task"]["variables"] == [{"variableName": "INPUT"}]


def test_one_handler_per_event_and_thread() -> None:
    def wf(t: WorkflowThread) -> None:
        t.add_interrupt_handler("cancel", lambda h: h.execute("a"))
        t.add_interrupt_handler("cancel", lambda h: h.execute("b"))  # twice

    with raises_at("twice", "already has a thread 'interrupt-cancel'"):
        compile_wf(wf)
