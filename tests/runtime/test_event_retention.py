"""ExternalEventDef retention through the local stack: an ExternalEvent whose
ExternalEventDef has ``retentionPolicy.secondsAfterPut`` is deleted that long after it
was put, by DynamoDB TTL (``canter dev`` sweeps expired items as DynamoDB would).

As LittleHorse, whose retention (ExternalEventRetentionPolicyModel) runs a
DeleteExternalEvent: an unclaimed event goes (record, search entry, journal record), so
no later EXTERNAL_EVENT node takes it; a claimed one stays as the result of the NodeRun
that took it, as DeleteExternalEventRequestModel refuses a claimed event.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound
from google.protobuf.json_format import ParseDict
from littlehorse.model import ExternalEventDef

from .support import Names, register, state_items

pytestmark = pytest.mark.e2e


def _kept_for(client: Client, name: str, seconds: int) -> dict[str, Any]:
    return client.put_external_event_def(name, retentionPolicy={"secondsAfterPut": seconds})


def _gone(client: Client, wf_run_id: str, event: str, guid: str, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.get_external_event(wf_run_id, event, guid)
        except NotFound:
            return True
        time.sleep(0.2)
    return False


def _eventually(check: Any, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _gate_then(kept: str, gate: str) -> Any:
    def body(wf: WorkflowThread) -> None:
        got = wf.declare_str("got")
        wf.wait_for_event(gate)
        wf.mutate(got, "ASSIGN", wf.wait_for_event(kept))

    return body


def test_get_external_event_def_shows_the_policy(client: Client, names: Names) -> None:
    put = _kept_for(client, names("kept"), 60)
    got = client.get_external_event_def(names("kept"))
    ParseDict(got, ExternalEventDef())
    assert got == put
    assert int(got["retentionPolicy"]["secondsAfterPut"]) == 60


@pytest.mark.parametrize(
    "policy",
    [{"secondsAfterPut": -1}, {"secondsAfterPut": "soon"}, {"secondsAfterPut": 1, "x": 2}],
)
def test_a_bad_policy_is_refused(client: Client, names: Names, policy: dict[str, Any]) -> None:
    with pytest.raises(CanterError) as refused:
        client.put_external_event_def(names("kept"), retentionPolicy=policy)
    assert refused.value.code == "INVALID_ARGUMENT"
    assert "retentionPolicy" in refused.value.message


def test_an_unclaimed_event_is_deleted_and_never_taken(client: Client, names: Names) -> None:
    kept, gate = names("kept"), names("gate")
    _kept_for(client, kept, 2)
    register(client, names("wf"), _gate_then(kept, gate), events=(gate,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.put_external_event(wf_run_id, kept, "stale", guid="g1")
    assert _eventually(lambda: client.search_external_event(kept, is_claimed=False)["results"])
    assert _gone(client, wf_run_id, kept, "g1"), "the event outlived its retention"
    assert client.list_external_events(wf_run_id) == []
    assert client.search_external_event(kept)["results"] == []
    client.put_external_event(wf_run_id, gate, None, guid="open")
    assert _eventually(lambda: len(client.list_node_runs(wf_run_id)) >= 3)
    waiting = client.list_node_runs(wf_run_id)[-1]
    assert waiting["status"] == "RUNNING", "the expired event is not there to be taken"
    client.put_external_event(wf_run_id, kept, "fresh", guid="g2")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"got": "fresh"}


def test_a_claimed_event_stays_with_the_node_run_that_took_it(client: Client, names: Names) -> None:
    kept, gate = names("kept"), names("gate")
    _kept_for(client, kept, 1)
    register(client, names("wf"), _gate_then(kept, gate), events=(gate,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.put_external_event(wf_run_id, gate, None, guid="open")
    client.put_external_event(wf_run_id, kept, "taken", guid="g1")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert not _gone(client, wf_run_id, kept, "g1", timeout=4)
    event = client.get_external_event(wf_run_id, kept, "g1")
    assert event["claimed"] is True and event["content"] == {"str": "taken"}
    # Put again under its guid: still the event that was taken, not a new one.
    again = client.put_external_event(wf_run_id, kept, "other", guid="g1")
    assert again["content"] == {"str": "taken"}
    assert client.variables(wf_run_id) == {"got": "taken"}


def test_an_event_posted_before_its_run_expires_unclaimed(client: Client, names: Names) -> None:
    kept = names("kept")
    _kept_for(client, kept, 1)

    def body(wf: WorkflowThread) -> None:
        wf.mutate(wf.declare_str("got"), "ASSIGN", wf.wait_for_event(kept))

    register(client, names("wf"), body)
    wf_run_id = names("early")
    client.put_external_event(wf_run_id, kept, "early", guid="g1")
    assert _gone(client, wf_run_id, kept, "g1")
    assert client.search_external_event(kept)["results"] == []
    client.run_wf(names("wf"), id=wf_run_id)
    time.sleep(1)
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    client.put_external_event(wf_run_id, kept, "late", guid="g2")
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    assert client.variables(wf_run_id) == {"got": "late"}


def test_an_unclaimed_event_stored_as_an_item_goes_with_its_search_entry(
    client: Client, names: Names
) -> None:
    """Content past the head's kilobyte: the event's record is an item of its own, and its
    search entry another; both are deleted."""
    kept, gate = names("kept"), names("gate")
    _kept_for(client, kept, 2)
    register(client, names("wf"), _gate_then(kept, gate), events=(gate,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.put_external_event(wf_run_id, kept, secrets.token_hex(4000), guid="g1")
    record = f"event#{kept}#g1"
    assert _eventually(lambda: {record, "idx#" + record} <= set(state_items(wf_run_id)))
    assert _gone(client, wf_run_id, kept, "g1")
    assert not {record, "idx#" + record} & set(state_items(wf_run_id))
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"
