"""The store's conditional writes: what invariants 1 and 2 rest on."""

from __future__ import annotations

import pytest
from canter.local import LocalStack
from canter_engine.core.events import JournalEntry
from canter_engine.handlers import runtime
from canter_engine.store.held import Held
from canter_engine.store.state import HeadUpdate, VersionConflict, head_body


def update(seq: int) -> HeadUpdate:
    return HeadUpdate(
        body=head_body({"seq": seq}, Held()), status="RUNNING", spec_name="s", applied_seq=seq
    )


def test_a_second_writer_with_a_stale_version_is_refused(stack: LocalStack) -> None:
    state = runtime.current().state
    assert state.commit_head("store-two-writers", update(1), expected_version=0) == 1
    assert state.commit_head("store-two-writers", update(2), expected_version=1) == 2
    with pytest.raises(VersionConflict):
        state.commit_head("store-two-writers", update(3), expected_version=1)
    with pytest.raises(VersionConflict):
        state.commit_head("store-two-writers", update(3), expected_version=0)
    head = state.load_head("store-two-writers")
    assert head is not None and (head.version, head.applied_seq) == (2, 2)


def test_an_append_under_an_existing_event_id_adds_nothing(stack: LocalStack) -> None:
    journal = runtime.current().journal
    first = JournalEntry("PutExternalEvent", {"guid": "g", "time": 1})
    assert journal.append("store-append", "ev#d#g", first) is True
    assert journal.append("store-append", "ev#d#g", JournalEntry("X", {"time": 2})) is False
    assert journal.get("store-append", "ev#d#g") == first
    assert journal.delete_all("store-append") == 1
    assert journal.get("store-append", "ev#d#g") is None
