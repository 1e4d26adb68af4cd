"""ExternalEventDef retention in the core: an expired ExternalEvent leaves the WfRun only
while it is unclaimed, as LittleHorse's DeleteExternalEvent (which its retention timer
runs) refuses a claimed one."""

from canter_engine.core.effects import DropExternalEvent
from canter_engine.core.events import (
    ExternalEventExpired,
    JournalEntry,
    from_journal,
    to_journal,
)
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def gate_then_kept(wf: WorkflowThread) -> None:
    got = wf.declare_str("got")
    wf.wait_for_event("gate")
    wf.mutate(got, "ASSIGN", wf.wait_for_event("kept"))


def test_an_unclaimed_event_that_expires_is_never_taken() -> None:
    h = Harness(gate_then_kept, events={"gate", "kept"})
    h.run()
    h.post("kept", "stale", guid="g1")
    assert h.state is not None and [e.guid for e in h.state.pending_events] == ["g1"]
    expired = h.apply(ExternalEventExpired("kept", "g1", h.tick()))
    assert expired.applied
    assert expired.effects == [DropExternalEvent("kept", "g1")]
    assert h.state is not None and h.state.pending_events == []
    h.post("gate", guid="open")
    assert h.status == "RUNNING", "the expired event is not there to be taken"
    h.post("kept", "fresh", guid="g2")
    assert h.status == "COMPLETED"
    assert h.variables["got"] == "fresh"


def test_a_claimed_event_stays_with_its_node_run() -> None:
    h = Harness(gate_then_kept, events={"gate", "kept"})
    h.run()
    h.post("gate", guid="open")
    h.post("kept", "taken", guid="g1")
    assert h.status == "COMPLETED"
    expired = h.apply(ExternalEventExpired("kept", "g1", h.tick()))
    assert not expired.applied, "LittleHorse refuses to delete a claimed ExternalEvent"
    assert h.variables["got"] == "taken"


def test_an_unknown_event_expiring_changes_nothing() -> None:
    h = Harness(gate_then_kept, events={"gate", "kept"})
    h.run()
    assert not h.apply(ExternalEventExpired("kept", "never-posted", h.tick())).applied


def test_the_expiry_has_a_journal_form() -> None:
    event = ExternalEventExpired("kept", "g1", 1234)
    entry = to_journal(event)
    assert entry == JournalEntry(
        "ExternalEventExpired",
        {"externalEventDefId": {"name": "kept"}, "guid": "g1", "time": 1234},
    )
    assert from_journal(entry) == event
