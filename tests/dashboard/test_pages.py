"""The dashboard's pages as HTML: searches, paging, versions and typed definitions.

These read the pages the way a browser without JavaScript would; the
browser tests (test_browser.py) cover what the scripts add.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from canter import Client, Workflow, WorkflowThread

from tests.dashboard import flows
from tests.dashboard.conftest import DevStack

pytestmark = pytest.mark.e2e


def page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def refused(url: str) -> tuple[int, str]:
    """The status and page of a request the dashboard answers with an error."""
    with pytest.raises(urllib.error.HTTPError) as error:
        page(url)
    return error.value.code, error.value.read().decode()


def run_links(text: str) -> list[str]:
    body = text.split('<table class="runs">', 1)[1]
    return [html.unescape(i) for i in re.findall(r'<a href="/wfruns/[^"]+">([^<]+)</a>', body)]


def next_link(text: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', text)
    return html.unescape(found.group(1)) if found else None


def start_runs(client: Client, count: int, amount: int = 5) -> list[str]:
    ids = []
    for _ in range(count):
        wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
        client.run_wf(flows.APPROVAL, {"request-id": "p", "amount": amount}, id=wf_run_id)
        ids.append(wf_run_id)
    for wf_run_id in ids:
        client.wait_for_wf_run(wf_run_id, timeout=30)
    return ids


def test_wf_runs_are_newest_first_and_paged(
    stack: DevStack, client: Client, deployed: None
) -> None:
    since = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    ids = start_runs(client, 3)
    query = {"wfSpec": flows.APPROVAL, "status": "COMPLETED", "from": since, "limit": "2"}

    first = page(f"{stack.dashboard_url}wfruns?{urllib.parse.urlencode(query)}")
    follow = next_link(first)
    assert follow is not None
    second = page(stack.dashboard_url.rstrip("/") + follow)

    found = run_links(first) + run_links(second)
    assert [i for i in found if i in ids] == list(reversed(ids))
    assert len(run_links(first)) == 2
    assert "First page" in second


def test_the_time_window_leaves_out_runs_started_outside_it(
    stack: DevStack, client: Client, deployed: None
) -> None:
    (earlier,) = start_runs(client, 1)
    until = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    (later,) = start_runs(client, 1)
    query = {"wfSpec": flows.APPROVAL, "to": until, "limit": "100"}

    found = run_links(page(f"{stack.dashboard_url}wfruns?{urllib.parse.urlencode(query)}"))

    assert earlier in found and later not in found


def test_a_variable_search_types_the_value_and_says_what_is_wrong(
    stack: DevStack, client: Client, deployed: None
) -> None:
    query = {"wfSpec": flows.APPROVAL, "var": "amount", "value": "lots"}
    status, text = refused(f"{stack.dashboard_url}wfruns?{urllib.parse.urlencode(query)}")
    assert status == 400
    assert "value of amount: &#39;lots&#39; is not a whole number (INT)" in text

    query = {"var": "request-id", "value": "x"}
    status, text = refused(f"{stack.dashboard_url}wfruns?{urllib.parse.urlencode(query)}")
    assert status == 400 and "needs the WfSpec it belongs to" in text


def test_every_version_of_a_wf_spec_is_listed_and_shown(
    stack: DevStack, client: Client, deployed: None
) -> None:
    name = f"dashboard-versions-{uuid.uuid4().hex[:6]}"

    def one(t: WorkflowThread) -> None:
        t.execute(flows.NOTIFY_TASK, "one")

    def two(t: WorkflowThread) -> None:
        t.execute(flows.NOTIFY_TASK, "one")
        t.execute(flows.NOTIFY_TASK, "two")

    client.put_wf_spec(Workflow(name, one))
    client.put_wf_spec(Workflow(name, two))

    listing = page(f"{stack.dashboard_url}wfspecs?prefix={name}")
    latest = page(f"{stack.dashboard_url}wfspecs/{name}")
    oldest = page(f"{stack.dashboard_url}wfspecs/{name}?version=0.0")

    assert "?version=0.0" in listing and "?version=0.1" in listing
    assert "0.1</span></h1>" in latest and "2-dashboard-notify-TASK" in latest
    assert "0.0</span></h1>" in oldest and "2-dashboard-notify-TASK" not in oldest


def test_an_event_def_with_a_content_type_types_the_event_form(
    stack: DevStack, client: Client, deployed: None
) -> None:
    name = f"dashboard-typed-{uuid.uuid4().hex[:6]}"
    client.put_external_event_def(name, contentType={"returnType": {"primitiveType": "INT"}})

    def waits(t: WorkflowThread) -> None:
        t.wait_for_event(name)

    client.put_wf_spec(Workflow(name, waits))
    wf_run_id = client.run_wf(name)["id"]["id"]

    assert "<dt>Content</dt><dd>INT</dd>" in page(f"{stack.dashboard_url}eventdefs/{name}")
    run_page = page(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    assert '<option value="INT" selected>' in run_page
    assert f"{name} takes INT." in run_page


def test_a_task_def_shows_its_signature_and_who_uses_it(
    stack: DevStack, client: Client, deployed: None
) -> None:
    text = page(f"{stack.dashboard_url}taskdefs/{flows.CHECK_TASK}")

    assert "<td>request_id</td><td>STR</td>" in text
    assert "<td>amount</td><td>INT</td>" in text
    assert "<dt>Returns</dt><dd>STR</dd>" in text
    assert f"{flows.APPROVAL} 0.0" in text
