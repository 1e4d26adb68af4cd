"""``canter usertask`` and ``canter deploy`` with user tasks, through the local stack.

The README's expense approval (``examples/concepts/user_tasks.py``) is
deployed by the CLI, run, found by group, reminded, assigned, commented on
and completed or cancelled through the CLI; every ``--json`` answer parses
strictly into littlehorse-client's classes.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from canter import Client
from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message
from littlehorse.model import UserTaskDef, UserTaskRun, UserTaskRunIdList, UserTaskRunList

import examples.concepts.user_tasks as approval
from tests.runtime.support import worker

from .conftest import Cli, DevStack, flat, rows

pytestmark = pytest.mark.e2e


def strict(raw: dict[str, Any], message: Message) -> dict[str, Any]:
    ParseDict(raw, message)
    return raw


@pytest.fixture(scope="module")
def deployed_approval(cli: Cli, client: Client) -> Iterator[None]:
    result = cli("deploy", "examples.concepts.user_tasks")
    assert result.exit_code == 0, result.output
    with worker(client, approval.TASKS):
        yield


def started(cli: Cli, client: Client, run_id: str, *variables: str) -> str:
    """Run the expense workflow; the guid of its UserTaskRun once it exists."""
    result = cli("run", "expense", "item=laptop", *variables, "--id", run_id)
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 10
    while not (runs := client.list_user_task_runs(run_id)):
        assert time.monotonic() < deadline, "no UserTaskRun was created"
        time.sleep(0.1)
    return str(runs[0]["id"]["userTaskGuid"])


def events_of(cli: Cli, run_id: str, guid: str) -> list[dict[str, Any]]:
    result = cli("usertask", "get", run_id, guid, "--json")
    assert result.exit_code == 0, result.output
    events: list[dict[str, Any]] = strict(json.loads(result.stdout), UserTaskRun())["events"]
    return events


def test_deploy_registers_the_user_task_def_before_the_wf_spec(
    cli: Cli, client: Client, deployed_approval: None
) -> None:
    result = cli("deploy", "examples.concepts.user_tasks")
    assert result.exit_code == 0, result.output
    assert ["UserTaskDef", "expense-approval", "v0"] in rows(result.output)
    found = strict(client.get_latest_user_task_def("expense-approval"), UserTaskDef())
    assert [(f["name"], f["type"], f.get("required", False)) for f in found["fields"]] == [
        ("approved", "BOOL", True),
        ("comment", "STR", False),
    ]


def test_the_form_is_shown_with_its_fields(cli: Cli, client: Client) -> None:
    client.put_user_task_def(approval.ExpenseApproval)
    shown = cli("usertask", "def", "expense-approval")
    assert shown.exit_code == 0, shown.output
    assert rows(shown.output) == [
        ["field", "type", "required", "display name", "description"],
        ["approved", "BOOL", "yes", "Approve?", "Pay the expense"],
        ["comment", "STR", "no", "Comment", ""],
    ]
    assert "Approve or reject an expense claim." in shown.output
    listed = cli("usertask", "defs", "--prefix", "expense-")
    assert ["expense-approval", "v0"] in rows(listed.output)
    missing = cli("usertask", "def", "no-such-form")
    assert missing.exit_code == 3


def test_the_approval_is_found_by_group_reminded_assigned_and_completed(
    cli: Cli, client: Client, deployed_approval: None, run_id: str
) -> None:
    """The README's walkthrough: assign to a group, remind, complete from the CLI."""
    guid = started(cli, client, run_id, "remind-after=1")
    found = cli("usertask", "search", "--user-group", "finance", "--status", "UNASSIGNED")
    assert found.exit_code == 0, found.output
    assert [run_id, guid, "expense-approval v0", "UNASSIGNED", "-", "finance"] in [
        row[:6] for row in rows(found.output)
    ]
    page = cli("usertask", "search", "--user-group", "finance", "--json")
    ids = strict(json.loads(page.stdout), UserTaskRunIdList())["results"]
    assert {"wfRunId": {"id": run_id}, "userTaskGuid": guid} in ids

    deadline = time.monotonic() + 15
    while not any("taskExecuted" in e for e in events_of(cli, run_id, guid)):
        assert time.monotonic() < deadline, "the reminder task did not run"
        time.sleep(0.2)

    assigned = cli("usertask", "assign", run_id, guid, "--user-id", "anna")
    assert assigned.exit_code == 0, assigned.output
    shown = cli("usertask", "get", run_id, guid)
    assert ["status", "ASSIGNED"] in rows(shown.output)
    assert ["notes", "Please review: laptop"] in rows(shown.output)

    done = cli("usertask", "complete", run_id, guid, "approved=yes", "comment=fine")
    assert done.exit_code == 0, done.output
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(run_id)["outcome"] == "paid"
    run = strict(client.get_user_task_run(run_id, guid), UserTaskRun())
    assert run["status"] == "DONE"
    assert run["results"] == {"approved": {"bool": True}, "comment": {"str": "fine"}}


def test_a_missing_required_field_is_refused_before_anything_is_sent(
    cli: Cli, client: Client, deployed_approval: None, run_id: str
) -> None:
    guid = started(cli, client, run_id)
    result = cli("usertask", "complete", run_id, guid, "comment=later")
    assert result.exit_code == 2
    assert "UserTaskDef 'expense-approval' requires 'approved'" in flat(result.output)
    assert client.get_user_task_run(run_id, guid).get("status", "UNASSIGNED") == "UNASSIGNED"


def test_cancelling_fails_the_node_and_the_wf_run(
    cli: Cli, client: Client, deployed_approval: None, run_id: str
) -> None:
    guid = started(cli, client, run_id)
    result = cli("usertask", "cancel", run_id, guid)
    assert result.exit_code == 0, result.output
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "ERROR"
    again = cli("usertask", "complete", run_id, guid, "approved=true")
    assert again.exit_code == 1
    assert "CANCELLED" in flat(again.output)


def test_comments_are_added_edited_and_deleted_as_events(
    cli: Cli, client: Client, deployed_approval: None, run_id: str
) -> None:
    guid = started(cli, client, run_id)
    added = cli("usertask", "comment", run_id, guid, "receipt?", "--user-id", "anna")
    assert added.exit_code == 0, added.output
    comment_id = events_of(cli, run_id, guid)[-1]["commentAdded"]["userCommentId"]
    edited = cli(
        "usertask", "comment", run_id, guid, "receipt attached", "--user-id", "anna",
        "--edit", str(comment_id),
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    deleted = cli(
        "usertask", "comment", run_id, guid, "--user-id", "anna", "--delete", str(comment_id)
    )
    assert deleted.exit_code == 0, deleted.output
    assert f"comment deleted #{comment_id} by anna" in deleted.output
    kinds = [next(k for k in e if k != "time") for e in events_of(cli, run_id, guid)]
    assert kinds[-3:] == ["commentAdded", "commentEdited", "commentDeleted"]
    listed = cli("usertask", "list", run_id, "--json")
    assert len(strict(json.loads(listed.stdout), UserTaskRunList())["results"]) == 1


def test_complete_asks_for_each_field_in_a_terminal(
    cli: Cli, client: Client, stack: DevStack, deployed_approval: None, run_id: str
) -> None:
    guid = started(cli, client, run_id)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "canter.cli", "usertask", "complete", run_id, guid],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "CANTER_API_URL": stack.api_url, "COLUMNS": "160"},
    )
    os.close(terminal)
    screen = Screen(controller)
    try:
        for prompt, answer in (
            ("Approve? (BOOL, required): ", "perhaps"),
            ("expected true or false, got 'perhaps'", None),
            ("Approve? (BOOL, required): ", "no"),
            ("Comment (STR, Enter to skip): ", "over budget"),
        ):
            screen.expect(prompt)
            if answer is not None:
                os.write(controller, f"{answer}\n".encode())
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()
        os.close(controller)
    assert "Pay the expense" in screen.text
    assert client.wait_for_wf_run(run_id, timeout=10)["status"] == "COMPLETED"
    assert client.variables(run_id)["outcome"] == "refused"


class Screen:
    """What a terminal shows, read as it comes, and matched from where the last match ended."""

    def __init__(self, controller: int) -> None:
        self.controller = controller
        self.text = ""
        self.cursor = 0

    def expect(self, wanted: str) -> None:
        deadline = time.monotonic() + 20
        while (found := self.text.find(wanted, self.cursor)) < 0:
            assert time.monotonic() < deadline, f"no {wanted!r} in {self.text!r}"
            self.text += os.read(self.controller, 1024).decode(errors="replace")
        self.cursor = found + len(wanted)
