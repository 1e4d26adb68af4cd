"""What ``canter usertask complete`` and ``canter deploy`` make of a UserTaskDef, without a stack.

``field=value`` arguments are typed by the UserTaskDef's fields; the events
of a UserTaskRun render as one line each. Every message here is parsed
strictly into littlehorse-client's classes first, so the shapes are the
wire contract's.
"""

from __future__ import annotations

from typing import Any

import pytest
from canter.cli.definitions import collect
from canter.cli.user_tasks import event_summary, parse_results
from canter.cli.values import BadValue
from google.protobuf.json_format import ParseDict
from littlehorse.model import UserTaskDef, UserTaskEvent

import examples.concepts.user_tasks as approval

DEFINITION: dict[str, Any] = {
    "name": "expense-approval",
    "version": 2,
    "fields": [
        {"name": "approved", "type": "BOOL", "displayName": "Approve?", "required": True},
        {"name": "amount", "type": "DOUBLE"},
        {"name": "comment", "type": "STR"},
    ],
}
ParseDict(DEFINITION, UserTaskDef())


def test_values_are_typed_by_the_fields() -> None:
    assert parse_results(["approved=yes", "amount=12", "comment=a=b"], DEFINITION) == {
        "approved": {"bool": True},
        "amount": {"double": 12.0},
        "comment": {"str": "a=b"},
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["amount=3"], "UserTaskDef 'expense-approval' requires 'approved'"),
        (["approved=maybe"], "field 'approved' is BOOL: expected true or false, got 'maybe'"),
        (
            ["approved=true", "colour=red"],
            "has no field 'colour'; its fields: approved (BOOL, required), amount (DOUBLE), "
            "comment (STR)",
        ),
        (["approved"], "'approved' is not field=value"),
    ],
)
def test_a_bad_or_missing_field_is_refused_naming_it(arguments: list[str], message: str) -> None:
    with pytest.raises(BadValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_results(arguments, DEFINITION)


@pytest.mark.parametrize(
    ("event", "line"),
    [
        (
            {"assigned": {"newUserGroup": "finance"}},
            ("assigned", "nobody -> finance"),
        ),
        (
            {
                "assigned": {
                    "oldUserGroup": "finance",
                    "newUserId": "anna",
                    "newUserGroup": "finance",
                }
            },
            ("assigned", "finance -> anna / finance"),
        ),
        (
            {"taskExecuted": {"taskRun": {"wfRunId": {"id": "w"}, "taskGuid": "g1"}}},
            ("task executed", "TaskRun g1"),
        ),
        (
            {"commentAdded": {"userCommentId": 1, "userId": "anna", "comment": "receipt?"}},
            ("comment", "#1 anna: receipt?"),
        ),
        (
            {"commentDeleted": {"userCommentId": 1, "userId": "anna"}},
            ("comment deleted", "#1 by anna"),
        ),
        (
            {"saved": {"userId": "anna", "results": {"amount": {"double": 3.0}}}},
            ("saved", "by anna: amount"),
        ),
        ({"cancelled": {"message": "too late"}}, ("cancelled", "too late")),
        ({"completed": {}}, ("completed", "")),
    ],
)
def test_each_user_task_event_is_one_line(event: dict[str, Any], line: tuple[str, str]) -> None:
    ParseDict({"time": "2026-01-31T12:00:00Z", **event}, UserTaskEvent())
    assert event_summary(event) == line


def test_deploy_finds_the_user_task_classes_of_a_module() -> None:
    found = collect(approval)
    assert found.user_task_defs == {
        "expense-approval": {
            "name": "expense-approval",
            "description": "Approve or reject an expense claim.",
            "fields": [
                {
                    "name": "approved",
                    "type": "BOOL",
                    "description": "Pay the expense",
                    "displayName": "Approve?",
                    "required": True,
                },
                {"name": "comment", "type": "STR", "displayName": "Comment"},
            ],
        }
    }
    assert set(found.task_defs) == {"remind-approvers"}
    assert set(found.wf_specs) == {"expense"}
