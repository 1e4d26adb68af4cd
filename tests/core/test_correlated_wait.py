"""EXTERNAL_EVENT with a correlation key: the node registers the key it waits on,
takes the event addressed to it, and forgets the key once it stops waiting.

Mirrors LittleHorse's CorrelatedEventTest (the core's part: which NodeRun a
correlated ExternalEvent reaches, and the masked key on the NodeRun)."""

from canter_engine.core.effects import AwaitCorrelatedEvent, ForgetCorrelatedEvent
from canter_engine.core.events import ExternalEventPosted
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def signed(masked: bool = False, timeout: int = -1):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        key = wf.declare_str("key").required()
        if masked:
            key = key.masked()
        result = wf.declare_int("event-result")
        result.assign(wf.wait_for_event("signed", timeout=timeout, correlation_id=key))

    return wf_fn


def _to_node(h: Harness, content: object, position: int = 1, guid: str = "c1") -> None:
    h.apply(ExternalEventPosted("signed", guid, content, h.tick(), 0, node_run_position=position))


def test_the_node_registers_its_key_and_takes_the_event_sent_to_it() -> None:
    h = Harness(signed(), events={"signed"})
    h.run(key="doc-1")
    assert h.sent == [AwaitCorrelatedEvent("signed", "doc-1", 0, 1)]
    assert h.node_runs()[-1]["externalEvent"]["correlationKey"] == "doc-1"
    _to_node(h, 42)
    assert h.status == "COMPLETED"
    assert h.variables["event-result"] == 42
    assert h.sent[-1] == ForgetCorrelatedEvent("signed", "doc-1", 0, 1)


def test_a_masked_key_is_shown_masked() -> None:
    """Mirrors CorrelatedEventTest.shouldNotShowMaskedKey."""
    h = Harness(signed(masked=True), events={"signed"})
    h.run(key="secret-doc")
    node = h.node_runs()[-1]["externalEvent"]
    assert node["correlationKey"] == "*****"
    assert node["maskCorrelationKey"] is True
    assert h.sent == [AwaitCorrelatedEvent("signed", "secret-doc", 0, 1)]


def test_an_event_for_another_node_run_is_kept_and_not_taken() -> None:
    h = Harness(signed(), events={"signed"})
    h.run(key="doc-1")
    _to_node(h, 1, position=7)
    assert h.status == "RUNNING"
    assert h.records["event#signed#c1"].get("claimed") is None


def test_a_timed_out_node_forgets_its_key() -> None:
    h = Harness(signed(timeout=5), events={"signed"})
    h.run(key="doc-1")
    h.fire("EVENT_TIMEOUT")
    assert h.status == "ERROR"
    assert h.sent[-1] == ForgetCorrelatedEvent("signed", "doc-1", 0, 1)


def test_a_key_that_cannot_be_a_correlated_event_key_fails_the_node() -> None:
    h = Harness(signed(), events={"signed"})
    h.run(key="a/b")
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
