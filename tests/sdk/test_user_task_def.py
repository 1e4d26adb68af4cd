"""UserTaskDefs from dataclasses and TypedDicts, compiled to ``PutUserTaskDefRequest`` JSON.

Every request is parsed strictly into littlehorse-client's message, so a
field name or enum Canter got wrong fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, NotRequired, TypedDict

import canter
import pytest
from canter import FieldDoc, UserTaskDef, WorkflowDefinitionError
from google.protobuf.json_format import ParseDict
from littlehorse.model import PutUserTaskDefRequest

from tests.sdk.helpers import entrypoint_spec, raises_at


@canter.user_task
@dataclass
class ExpenseApproval:
    """Approve or reject an expense claim.

    Shown to the finance team.
    """

    approved: Annotated[bool, FieldDoc("Approved?", "Whether the expense is paid")]
    amount: float
    reason: str = field(
        default="", metadata={"display_name": "Reason", "description": "Why, if rejected"}
    )
    reviewed_at: datetime | None = None


def strict(request: dict[str, Any]) -> dict[str, Any]:
    ParseDict(request, PutUserTaskDefRequest())
    return request


def test_a_dataclass_is_a_form_whose_fields_without_default_are_required() -> None:
    definition = canter.user_task_def_of(ExpenseApproval)
    assert definition is not None
    assert strict(definition.to_json()) == {
        "name": "expense-approval",
        "description": "Approve or reject an expense claim.",
        "fields": [
            {
                "name": "approved",
                "type": "BOOL",
                "displayName": "Approved?",
                "description": "Whether the expense is paid",
                "required": True,
            },
            {"name": "amount", "type": "DOUBLE", "required": True},
            {
                "name": "reason",
                "type": "STR",
                "displayName": "Reason",
                "description": "Why, if rejected",
            },
            {"name": "reviewed_at", "type": "TIMESTAMP"},
        ],
    }


def test_the_decorated_class_stays_a_dataclass() -> None:
    assert ExpenseApproval(approved=True, amount=3.5).reason == ""


def test_a_typed_dict_with_a_chosen_name_and_description() -> None:
    class Review(TypedDict):
        score: Annotated[int, FieldDoc(display_name="Score")]
        tags: NotRequired[list[str]]

    definition = UserTaskDef.from_class(Review, name="code-review", description="Rate it")
    assert strict(definition.to_json()) == {
        "name": "code-review",
        "description": "Rate it",
        "fields": [
            {"name": "score", "type": "INT", "displayName": "Score", "required": True},
            {"name": "tags", "type": "JSON_ARR"},
        ],
    }


def test_a_dataclass_without_docstring_has_no_description() -> None:
    @canter.user_task(name="sign-off")
    @dataclass
    class SignOff:
        signed: bool

    definition = canter.user_task_def_of(SignOff)
    assert definition is not None
    assert definition.to_json() == {
        "name": "sign-off",
        "fields": [{"name": "signed", "type": "BOOL", "required": True}],
    }


def test_assign_user_task_takes_the_declared_class() -> None:
    def wf(t: canter.WorkflowThread) -> None:
        t.assign_user_task(ExpenseApproval, user_group="finance")

    assert "1-expense-approval-USER_TASK" in entrypoint_spec(wf)["nodes"]


def test_the_declared_class_types_the_fields_of_the_output() -> None:
    def wf(t: canter.WorkflowThread) -> None:
        review = t.assign_user_task(ExpenseApproval, user_group="finance")
        t.declare_str("verdict").assign(review.with_json_path("$.approved"))  # bool-to-str

    with raises_at("bool-to-str", "cannot assign BOOL output of node .* at \\$.approved to STR"):
        canter.Workflow("wf", wf).compile()


def test_a_field_the_form_does_not_have_is_refused() -> None:
    def wf(t: canter.WorkflowThread) -> None:
        review = t.assign_user_task(ExpenseApproval, user_group="finance")
        t.declare_bool("ok").assign(review.with_json_path("$.approve"))  # typo

    with raises_at("typo", "UserTaskDef 'expense-approval' has no field 'approve'"):
        canter.Workflow("wf", wf).compile()


def test_a_field_is_usable_as_its_type() -> None:
    def wf(t: canter.WorkflowThread) -> None:
        review = t.assign_user_task(ExpenseApproval, user_group="finance")
        t.declare_double("paid").assign(review.with_json_path("$.amount"))
        t.do_if(review.with_json_path("$.approved"), lambda b: b.execute("pay"))

    assert "1-expense-approval-USER_TASK" in entrypoint_spec(wf)["nodes"]


def test_a_field_without_a_workflow_type_is_refused() -> None:
    @dataclass
    class Bad:
        when: complex

    with pytest.raises(WorkflowDefinitionError, match="field 'when' of user task bad"):
        UserTaskDef.from_class(Bad)


def test_only_dataclasses_and_typed_dicts_are_forms() -> None:
    class Plain:
        approved: bool

    with pytest.raises(WorkflowDefinitionError, match="Plain is not a dataclass or a TypedDict"):
        UserTaskDef.from_class(Plain)
