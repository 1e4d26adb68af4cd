"""Typed form fields: an event's content, a user task's results, a variable to search for."""

from __future__ import annotations

import pytest
from canter.dashboard import forms
from canter.dashboard.user_tasks import form_fields, results_from_form

APPROVAL_FORM = {
    "name": "approve",
    "fields": [
        {"name": "approved", "type": "BOOL", "displayName": "Approved?", "required": True},
        {"name": "amount", "type": "DOUBLE"},
        {"name": "reason", "type": "STR", "required": True, "description": "Why"},
        {"name": "tags", "type": "JSON_ARR"},
    ],
}


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("hello", "STR", {"str": "hello"}),
        (" 42 ", "INT", {"int": "42"}),
        ("2.5", "DOUBLE", {"double": 2.5}),
        ("TRUE", "BOOL", {"bool": True}),
        ('{"a": 1}', "JSON_OBJ", {"jsonObj": '{"a":1}'}),
        ("[1, 2]", "JSON_ARR", {"jsonArr": "[1,2]"}),
        ("2026-01-31T12:00:00Z", "TIMESTAMP", {"utcTimestamp": "2026-01-31T12:00:00Z"}),
        ("aGk=", "BYTES", {"bytes": "aGk="}),
        ("", "NONE", {}),
    ],
)
def test_text_becomes_the_value_of_its_declared_type(
    text: str, kind: str, value: dict[str, object]
) -> None:
    assert forms.parse_value(text, kind) == value


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("4.5", "INT", "'4.5' is not a whole number (INT)"),
        (str(2**63), "INT", "does not fit in a 64-bit INT"),
        ("nan", "DOUBLE", "a DOUBLE must be finite"),
        ("yes", "BOOL", "a BOOL is true or false, not 'yes'"),
        ("[1]", "JSON_OBJ", "a JSON_OBJ must be an object"),
        ("{", "JSON_ARR", "not JSON"),
        ("2026-01-31T12:00:00", "TIMESTAMP", "give the timestamp's zone"),
        ("not base64!", "BYTES", "BYTES are entered as base64"),
        ("x", "NONE", "takes no content"),
        ("", "INT", "enter a INT value"),
    ],
)
def test_text_of_another_type_is_refused_with_the_reason(
    text: str, kind: str, message: str
) -> None:
    with pytest.raises(forms.FormError, match=message.replace("(", r"\(").replace(")", r"\)")):
        forms.parse_value(text, kind, what="content")


def test_an_event_def_declares_its_content_type_or_none() -> None:
    typed = {"id": {"name": "e"}, "typeInformation": {"returnType": {"primitiveType": "INT"}}}
    void = {"id": {"name": "e"}, "contentType": {}}
    assert forms.event_def_type(typed) == "INT"
    assert forms.event_def_type({"id": {"name": "e"}}) is None
    assert forms.event_def_type(void) is None
    assert forms.declared_type({}) == "NONE"
    assert forms.declared_type({"returnType": {"primitiveType": "STR"}}) == "STR"


def test_a_user_task_form_has_one_typed_input_per_field() -> None:
    fields = form_fields(APPROVAL_FORM, {"reason": {"str": "looks fine"}})

    assert [(f["label"], f["widget"], f["required"]) for f in fields] == [
        ("Approved?", "checkbox", True),
        ("amount", "number", False),
        ("reason", "text", True),
        ("tags", "textarea", False),
    ]
    assert fields[2]["value"] == "looks fine"


def test_a_completed_form_becomes_typed_results() -> None:
    form = {"field-approved": "on", "field-amount": "12.5", "field-reason": "ok", "field-tags": ""}

    assert results_from_form(APPROVAL_FORM, form) == {
        "approved": {"bool": True},
        "amount": {"double": 12.5},
        "reason": {"str": "ok"},
    }
    with pytest.raises(forms.FormError, match="reason is required"):
        results_from_form(APPROVAL_FORM, {"field-amount": "1"})
    with pytest.raises(forms.FormError, match="amount: 'lots' is not a number"):
        results_from_form(APPROVAL_FORM, {"field-amount": "lots", "field-reason": "x"})
