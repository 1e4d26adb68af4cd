"""``canter correlated``: post an event by key, see which WfRun took it, find orphans.

Runs the README's correlated-events example (examples/concepts/correlated_events.py)."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from canter import Client

from .conftest import Cli, rows

pytestmark = pytest.mark.e2e


def test_put_reaches_the_waiting_run_and_search_tells_orphans_apart(
    cli: Cli, client: Client
) -> None:
    deployed = cli("deploy", "examples.concepts.correlated_events")
    assert deployed.exit_code == 0, deployed.output
    config = client.get_external_event_def("document-signed")["correlatedEventConfig"]
    assert config == {"deleteAfterFirstCorrelation": True}
    doc, orphan = f"doc-{uuid.uuid4().hex[:8]}", f"doc-{uuid.uuid4().hex[:8]}"
    run_id = client.run_wf("signing", {"document": doc})["id"]["id"]
    deadline = time.monotonic() + 20
    while len(client.list_node_runs(run_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    put = cli("correlated", "put", doc, "document-signed", '"ann"')
    assert put.exit_code == 0, put.output
    assert put.output.strip() == f"CorrelatedEvent document-signed {doc}: reached WfRun {run_id}"
    assert client.wait_for_wf_run(run_id, timeout=20)["status"] == "COMPLETED"
    assert client.get_variable(run_id, "signer") == "ann"
    gone = cli("correlated", "get", doc, "document-signed")
    assert gone.exit_code != 0 and "NOT_FOUND" in gone.output
    assert cli("correlated", "put", orphan, "document-signed", '"bob"').exit_code == 0
    found = cli("correlated", "search", "document-signed", "--orphans")
    assert [orphan, '"bob"', ""] in rows(found.output)
    assert json.loads(cli("correlated", "get", orphan, "document-signed").stdout)["content"] == {
        "str": "bob"
    }
    assert cli("correlated", "delete", orphan, "document-signed").exit_code == 0
    assert cli("correlated", "search", "document-signed", "--json").stdout.strip() == "[]"
