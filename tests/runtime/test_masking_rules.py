"""How the API masks by value: whole values of any length, in text secrets of 3+ characters."""

from __future__ import annotations

from canter_engine.handlers.masking import MASK, NONE, of_values, scrub


def test_a_value_equal_to_a_secret_is_masked_whatever_its_type_and_length() -> None:
    secrets = of_values(["pw", 7, {"card": "4111"}])
    answer = {
        "inputVariables": [
            {"varName": "a", "value": {"str": "pw"}},
            {"varName": "b", "value": {"int": "7"}},
            {"varName": "c", "value": {"jsonObj": '{"card": "4111"}'}},
            {"varName": "d", "value": {"int": "8"}},
        ]
    }
    assert scrub(answer, secrets) == {
        "inputVariables": [
            {"varName": "a", "value": MASK, "masked": True},
            {"varName": "b", "value": MASK, "masked": True},
            {"varName": "c", "value": MASK, "masked": True},
            {"varName": "d", "value": {"int": "8"}},
        ]
    }


def test_free_text_loses_secrets_of_three_characters_or_more() -> None:
    secrets = of_values(["hunter2", "pw", 123456])
    message = "login hunter2 failed for pw after 123456 tries"
    assert scrub({"message": message}, secrets) == {
        "message": "login ***** failed for pw after ***** tries"
    }


def test_no_secrets_leaves_the_answer_as_it_is() -> None:
    answer = {"value": {"str": "x"}, "results": [1, "two"]}
    assert scrub(answer, NONE) is answer
    assert scrub(answer, of_values([None])) is answer
