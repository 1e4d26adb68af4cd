"""The dashboard in a real headless Chromium, against ``canter dev``.

A person finds a WfRun by search, opens it, sees its graph coloured by
status, posts the event it waits for and watches it complete, stops and
resumes it: all from the page. The tests write the screenshots the README
shows (docs/screenshots/).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from canter import Client
from canter.client import NotFound

from tests.dashboard import flows
from tests.dashboard.conftest import DevStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WAIT_SECONDS = 30
EVENT_NODE = "5-dashboard-approved-EXTERNAL_EVENT"


def wait_until(browser: Any, condition: Callable[[Any], Any], what: str) -> Any:
    """Poll ``condition``; a live page swaps its parts, so a stale element means: look
    again, and so does a reload that a loaded machine did not finish in time."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        browser,
        WAIT_SECONDS,
        poll_frequency=0.1,
        ignored_exceptions=(
            NoSuchElementException,
            StaleElementReferenceException,
            TimeoutException,
        ),
    ).until(condition, message=f"waited {WAIT_SECONDS}s for {what}")


def css(browser: Any, selector: str) -> Any:
    return browser.find_element("css selector", selector)


def click(browser: Any, selector: str) -> None:
    """Click what ``selector`` names, finding it again if a live update replaced it."""
    wait_until(browser, lambda b: css(b, selector).click() or True, f"a click on {selector}")


def text_of(browser: Any, selector: str) -> str:
    """The visible text of the first match, read in one step (no stale element between);
    empty while nothing matches (a page still loading)."""
    text = browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';", selector
    )
    return str(text).strip()


def node_status(browser: Any, node: str) -> str:
    status = browser.execute_script(
        'const n = document.querySelector(`g.node[data-node="${arguments[0]}"]`);'
        "return n ? n.getAttribute('data-status') : '';",
        node,
    )
    return str(status)


def current_node(browser: Any) -> str:
    return str(
        browser.execute_script(
            "const n = document.querySelector('g.node.current');"
            "return n ? n.getAttribute('data-node') : '';"
        )
    )


def taken_edges(browser: Any) -> set[tuple[str, str]]:
    pairs = browser.execute_script(
        "return [...document.querySelectorAll('g.edge.taken')]"
        ".map(e => [e.getAttribute('data-source'), e.getAttribute('data-target')]);"
    )
    return {(source, target) for source, target in pairs}


def waiting_run(client: Client, amount: int = 500) -> tuple[str, str]:
    """A WfRun waiting at the approval event: (WfRun id, its searchable request-id)."""
    request_id = f"req-{uuid.uuid4().hex[:10]}"
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.APPROVAL, {"request-id": request_id, "amount": amount}, id=wf_run_id)
    wait_for_node(client, wf_run_id, EVENT_NODE, "RUNNING")
    return wf_run_id, request_id


def wait_for_node(client: Client, wf_run_id: str, node: str, status: str) -> None:
    import time

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if any(
            n["nodeName"] == node and n.get("status") == status
            for n in client.list_node_runs(wf_run_id)
        ):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{wf_run_id}: {node} never {status}")


def shoot(browser: Any, path: Path) -> None:
    """A screenshot of the whole page (up to about 2,000 pixels high) at a laptop's width."""
    width, height = browser.get_window_size().values()
    full = browser.execute_script(
        "window.scrollTo(0, 0); return document.documentElement.scrollHeight;"
    )
    browser.set_window_size(width, min(max(int(full) + 150, height), 2200))  # + the window frame
    try:
        browser.save_screenshot(str(path))
    finally:
        browser.set_window_size(width, height)


def confirm(browser: Any) -> None:
    """Every action asks first; say yes."""
    wait_until(browser, lambda b: b.find_elements("id", "confirm"), "the confirmation page")
    assert "Confirm" in browser.title
    css(browser, "#confirm").click()


def test_find_a_run_by_search_open_it_and_see_its_graph(
    stack: DevStack, client: Client, deployed: None, browser: Any, screenshots: Path
) -> None:
    wf_run_id, request_id = waiting_run(client)
    browser.get(stack.dashboard_url)

    css(browser, "#wfSpec").send_keys(flows.APPROVAL)
    css(browser, "#var").send_keys("request-id")
    css(browser, "#value").send_keys(request_id)
    css(browser, "#search").click()
    wait_until(browser, lambda b: "var=request-id" in b.current_url, "the search results")
    links = browser.find_elements("css selector", "table.runs tbody a")
    assert [link.text for link in links] == [wf_run_id]
    shoot(browser, screenshots / "wf-runs.png")

    links[0].click()
    wait_until(browser, lambda b: b.find_elements("css selector", "[data-rendered]"), "the graph")
    assert text_of(browser, "#run-status") == "RUNNING"
    assert node_status(browser, "1-dashboard-check-TASK") == "COMPLETED"
    assert node_status(browser, EVENT_NODE) == "RUNNING"
    assert node_status(browser, "7-exit-EXIT") == ""
    assert current_node(browser) == EVENT_NODE
    assert ("4-nop-NOP", EVENT_NODE) in taken_edges(browser)
    variables = text_of(browser, "table.variables")
    assert request_id in variables
    assert "token (masked)" in variables and "token-" not in variables
    shoot(browser, screenshots / "wf-run.png")

    click(browser, ".threads a[href$='thread=1']")
    wait_until(browser, lambda b: node_status(b, "1-dashboard-notify-TASK"), "thread 1's graph")
    assert node_status(browser, "1-dashboard-notify-TASK") == "COMPLETED"
    client.put_external_event(wf_run_id, flows.APPROVED_EVENT, {"ok": True})


def test_post_the_event_from_the_page_and_watch_the_run_complete(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    wf_run_id, _ = waiting_run(client)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    wait_until(browser, lambda b: b.find_elements("css selector", "[data-rendered]"), "the graph")

    css(browser, "#event").clear()
    css(browser, "#event").send_keys(flows.APPROVED_EVENT)
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#type")).select_by_value("JSON_OBJ")
    css(browser, "#content").send_keys('{"approved": true, "by": "ann"}')
    css(browser, "#post-event").click()
    confirm(browser)

    wait_until(browser, lambda b: "notice=" in b.current_url, "the run page again")
    wait_until(browser, lambda b: text_of(b, "#run-status") == "COMPLETED", "COMPLETED")
    assert node_status(browser, EVENT_NODE) == "COMPLETED"
    assert node_status(browser, "7-exit-EXIT") == "COMPLETED"
    assert '{"approved":true,"by":"ann"}' in text_of(browser, "table.events")
    assert client.variables(wf_run_id)["decision"] == {"approved": True, "by": "ann"}


def test_content_of_the_wrong_type_is_refused_on_the_page(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    wf_run_id, _ = waiting_run(client)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    from selenium.webdriver.support.ui import Select

    Select(css(browser, "#type")).select_by_value("JSON_OBJ")
    css(browser, "#content").send_keys("[1, 2]")
    css(browser, "#post-event").click()

    wait_until(browser, lambda b: b.find_elements("css selector", ".flash.error"), "the error")
    assert "a JSON_OBJ must be an object" in text_of(browser, ".flash.error")
    assert client.list_external_events(wf_run_id) == []
    client.put_external_event(wf_run_id, flows.APPROVED_EVENT, {"ok": True})


def test_a_running_run_updates_without_a_reload(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    wf_run_id, _ = waiting_run(client)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    wait_until(browser, lambda b: node_status(b, EVENT_NODE) == "RUNNING", "the waiting node")
    browser.execute_script("window.canterSamePage = true;")

    client.put_external_event(wf_run_id, flows.APPROVED_EVENT, {"by": "api"})

    wait_until(browser, lambda b: text_of(b, "#run-status") == "COMPLETED", "COMPLETED")
    wait_until(browser, lambda b: node_status(b, "7-exit-EXIT") == "COMPLETED", "the exit node")
    assert browser.execute_script("return window.canterSamePage === true;")


def test_stop_and_resume_from_the_page(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    wf_run_id, _ = waiting_run(client)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")

    css(browser, "#stop").click()
    confirm(browser)
    wait_until(browser, lambda b: text_of(b, "#run-status") == "HALTED", "HALTED")
    assert client.get_wf_run(wf_run_id)["status"] == "HALTED"

    css(browser, "#resume").click()
    confirm(browser)
    wait_until(browser, lambda b: text_of(b, "#run-status") == "RUNNING", "RUNNING again")
    client.put_external_event(wf_run_id, flows.APPROVED_EVENT, {"ok": True})
    wait_until(browser, lambda b: text_of(b, "#run-status") == "COMPLETED", "COMPLETED")


def test_delete_asks_first_and_cancel_keeps_the_run(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    wf_run_id, _ = waiting_run(client, amount=5_000)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")

    css(browser, "#delete").click()
    wait_until(browser, lambda b: b.find_elements("id", "confirm"), "the confirmation page")
    browser.find_element("link text", "Cancel").click()
    assert client.get_wf_run(wf_run_id)["status"] == "RUNNING"

    css(browser, "#delete").click()
    confirm(browser)
    wait_until(browser, lambda b: "Deleted WfRun" in text_of(b, ".flash.notice"), "the notice")
    with pytest.raises(NotFound):
        client.get_wf_run(wf_run_id)


def test_run_a_wf_spec_from_its_page_with_typed_variables(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    browser.get(f"{stack.dashboard_url}wfspecs/{flows.APPROVAL}")
    css(browser, "#var-request-id").send_keys("from-the-page")
    css(browser, "#var-amount").send_keys("12.5")
    css(browser, "#run").click()
    wait_until(browser, lambda b: b.find_elements("css selector", ".flash.error"), "the error")
    assert "amount: '12.5' is not a whole number (INT)" in text_of(browser, ".flash.error")

    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    css(browser, "#var-request-id").send_keys("from-the-page")
    css(browser, "#var-amount").send_keys("7")
    css(browser, "#run-id").send_keys(wf_run_id)
    css(browser, "#run").click()
    confirm(browser)

    wait_until(browser, lambda b: f"Started WfRun {wf_run_id}" in b.page_source, "the run page")
    wait_until(browser, lambda b: text_of(b, "#run-status") == "COMPLETED", "COMPLETED")
    assert client.variables(wf_run_id)["amount"] == 7


def test_a_failed_run_shows_its_error_and_offers_a_rescue(
    stack: DevStack, client: Client, deployed: None, browser: Any, screenshots: Path
) -> None:
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.FAILING, {"reason": "no stock"}, id=wf_run_id)
    client.wait_for_wf_run(wf_run_id, timeout=WAIT_SECONDS)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    wait_until(browser, lambda b: b.find_elements("css selector", "[data-rendered]"), "the graph")

    assert text_of(browser, "#run-status") == "ERROR"
    assert node_status(browser, "1-dashboard-fail-TASK") == "ERROR"
    css(browser, "table.node-runs details summary").click()
    attempts = text_of(browser, "table.attempts")
    assert "TASK_FAILED" in attempts and "cannot: no stock" in attempts
    shoot(browser, screenshots / "wf-run-error.png")

    css(browser, "#rescue-0").click()
    wait_until(browser, lambda b: b.find_elements("id", "confirm"), "the confirmation page")
    assert f"Rescue WfRun {wf_run_id}, thread 0: run its failed node again?" in text_of(
        browser, "#confirm-summary"
    )
    browser.find_element("link text", "Cancel").click()
    assert client.get_wf_run(wf_run_id)["status"] == "ERROR"


def test_the_definition_pages(
    stack: DevStack, client: Client, deployed: None, browser: Any, screenshots: Path
) -> None:
    """A WfSpec (every thread's graph: screenshot), a TaskDef, an ExternalEventDef, the inbox."""
    browser.get(f"{stack.dashboard_url}wfspecs/{flows.APPROVAL}")
    wait_until(
        browser,
        lambda b: len(b.find_elements("css selector", "[data-rendered]")) == 4,
        "four thread graphs",
    )
    assert css(browser, 'g.node[data-node="handler:1-dashboard-check-TASK:0"]')
    assert css(browser, 'g.node[data-node="interrupt:0"]')
    labels = [t.text for t in browser.find_elements("css selector", "text.edge-label")]
    assert "amount > 100" in labels
    shoot(browser, screenshots / "wf-spec.png")

    browser.get(f"{stack.dashboard_url}taskdefs/{flows.CHECK_TASK}")
    assert "request_id" in text_of(browser, "table")

    browser.get(f"{stack.dashboard_url}eventdefs")
    css(browser, f"a[href='/eventdefs/{flows.APPROVED_EVENT}']").click()
    assert flows.APPROVED_EVENT in browser.title

    browser.get(f"{stack.dashboard_url}usertasks")
    assert "User tasks" in browser.title


def test_the_pages_can_be_used_with_the_keyboard(
    stack: DevStack, client: Client, deployed: None, browser: Any
) -> None:
    """Tab reaches the skip link first and every graph node; every form field has a label."""
    wf_run_id, _ = waiting_run(client)
    browser.get(f"{stack.dashboard_url}wfruns/{wf_run_id}")
    wait_until(browser, lambda b: b.find_elements("css selector", "[data-rendered]"), "the graph")
    from selenium.webdriver.common.keys import Keys

    css(browser, "body").send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "Skip to content"
    nodes = browser.execute_script(
        "return [...document.querySelectorAll('g.node')]"
        ".map(n => [n.getAttribute('tabindex'), n.getAttribute('aria-label')]);"
    )
    assert nodes and all(tabindex == "0" and label for tabindex, label in nodes)
    unlabelled = browser.execute_script(
        """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
             .filter(f => !f.labels || f.labels.length === 0).map(f => f.id || f.name);"""
    )
    assert unlabelled == []
    client.put_external_event(wf_run_id, flows.APPROVED_EVENT, {"ok": True})
