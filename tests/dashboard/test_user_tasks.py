"""The user-task inbox in a real browser: find work by group, assign, comment, complete, cancel.

Runs where the API serves LittleHorse's UserTaskRun rpcs (issue 14, the
usertasks branch); until then the inbox says the API has no user tasks
(test_browser.py's screenshots test opens it) and these are skipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from canter import Client

from tests.dashboard.conftest import DevStack
from tests.dashboard.test_browser import confirm, css, shoot, text_of, wait_until

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
]

USER_TASK_DEF = "dashboard-approve-payment"
WF_SPEC = "dashboard-user-task"
GROUP = "finance"


def approval_spec() -> dict[str, Any]:
    """A WfSpec with one USER_TASK for the finance group, its result kept in ``result``."""
    node = f"1-{USER_TASK_DEF}-USER_TASK"
    return {
        "name": WF_SPEC,
        "entrypointThreadName": "entrypoint",
        "threadSpecs": {
            "entrypoint": {
                "variableDefs": [
                    {
                        "varDef": {"name": "result", "typeDef": {"primitiveType": "JSON_OBJ"}},
                        "accessLevel": "PRIVATE_VAR",
                    }
                ],
                "nodes": {
                    "0-entrypoint-ENTRYPOINT": {
                        "entrypoint": {},
                        "outgoingEdges": [{"sinkNodeName": node}],
                    },
                    node: {
                        "userTask": {
                            "userTaskDefName": USER_TASK_DEF,
                            "userGroup": {"literalValue": {"str": GROUP}},
                        },
                        "outgoingEdges": [
                            {
                                "sinkNodeName": "2-exit-EXIT",
                                "variableMutations": [
                                    {
                                        "lhsName": "result",
                                        "rhsAssignment": {"nodeOutput": {"nodeName": node}},
                                    }
                                ],
                            }
                        ],
                    },
                    "2-exit-EXIT": {"exit": {}},
                },
            }
        },
    }


@pytest.fixture(scope="module")
def user_tasks(client: Client) -> None:
    client.call(
        "PutUserTaskDef",
        {
            "name": USER_TASK_DEF,
            "description": "Approve a payment before it is sent",
            "fields": [
                {"name": "approved", "type": "BOOL", "displayName": "Approved?", "required": True},
                {"name": "amount", "type": "DOUBLE", "displayName": "Amount approved"},
                {"name": "reason", "type": "STR", "displayName": "Reason", "required": True},
            ],
        },
    )
    client.put_wf_spec(approval_spec())


def waiting_task(client: Client) -> str:
    wf_run_id = f"dash-ut-{uuid.uuid4().hex[:10]}"
    client.run_wf(WF_SPEC, id=wf_run_id)
    client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=30)
    return wf_run_id


def open_task_from_inbox(
    browser: Any, stack: DevStack, wf_run_id: str, screenshots: Path | None = None
) -> None:
    browser.get(f"{stack.dashboard_url}usertasks")
    css(browser, "#group").send_keys(GROUP)
    css(browser, "#status").send_keys("UNASSIGNED")
    css(browser, "form.search button").click()
    wait_until(
        browser,
        lambda b: b.find_elements("link text", wf_run_id),
        f"{wf_run_id} in the {GROUP} inbox",
    )
    if screenshots is not None:
        shoot(browser, screenshots / "user-tasks.png")
    row = browser.find_element("xpath", f"//tr[td/a[text()='{wf_run_id}']]")
    row.find_element("link text", USER_TASK_DEF).click()
    wait_until(browser, lambda b: b.find_elements("id", "complete"), "the user task's page")


def test_assign_comment_and_complete_with_the_typed_form(
    stack: DevStack,
    client: Client,
    user_tasks: None,
    browser: Any,
    screenshots: Path,
) -> None:
    wf_run_id = waiting_task(client)
    open_task_from_inbox(browser, stack, wf_run_id, screenshots)

    css(browser, "#assign-user").send_keys("ann")
    css(browser, "#assign").click()
    confirm(browser)
    wait_until(browser, lambda b: "Assigned user task" in text_of(b, ".flash.notice"), "assigned")

    css(browser, "#comment-user").send_keys("ann")
    css(browser, "#comment").send_keys("checked the invoice")
    css(browser, "#add-comment").click()
    confirm(browser)
    # The page the confirmation leads to loads before the reloads: one during that
    # navigation aborts it.
    wait_until(browser, lambda b: "Commented on" in text_of(b, ".flash.notice"), "accepted")
    # The API journals the comment and the engine applies it: it shows on a later look.
    wait_until(browser, lambda b: b.refresh() or "invoice" in text_of(b, ".history"), "comment")
    shoot(browser, screenshots / "user-task.png")

    css(browser, "#field-amount").send_keys("12.5")
    css(browser, "#complete").click()  # the required Reason is empty: the browser says so
    assert browser.execute_script("return document.activeElement.id") == "field-reason"
    assert not browser.find_elements("id", "confirm")

    css(browser, "#field-approved").click()
    css(browser, "#field-reason").send_keys("invoice matches")
    css(browser, "#complete").click()
    confirm(browser)
    wait_until(browser, lambda b: "Completed user task" in text_of(b, ".flash.notice"), "done")

    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["result"] == {
        "approved": True,
        "amount": 12.5,
        "reason": "invoice matches",
    }


def test_cancel_asks_first(stack: DevStack, client: Client, user_tasks: None, browser: Any) -> None:
    wf_run_id = waiting_task(client)
    open_task_from_inbox(browser, stack, wf_run_id)

    css(browser, "#cancel").click()
    confirm(browser)

    wait_until(browser, lambda b: "Cancelled user task" in text_of(b, ".flash.notice"), "notice")
    wait_until(browser, lambda b: b.refresh() or "CANCELLED" in text_of(b, "dl.summary"), "it")
