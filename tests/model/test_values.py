"""VariableValue JSON: strict JSON and protobuf ranges, refused with what and where."""

from typing import Any

import pytest
from canter_engine.model import values
from canter_engine.model.validate import SpecError, validate_run_wf

from tests.model.test_validation import SPEC


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ({"int": str(2**63)}, "outside the int64 range"),
        ({"int": -(2**63) - 1}, "outside the int64 range"),
        ({"double": "NaN"}, "not a finite number"),
        ({"double": "Infinity"}, "not a finite number"),
        ({"double": "-Infinity"}, "not a finite number"),
        ({"jsonObj": '{"a": NaN}'}, "NaN is not JSON"),
        ({"jsonArr": "[Infinity]"}, "Infinity is not JSON"),
        ({"jsonArr": "[1e400]"}, "too large for a double"),
    ],
)
def test_values_json_or_int64_cannot_carry_are_refused(raw: dict[str, Any], why: str) -> None:
    with pytest.raises(values.ValueError_) as caught:
        values.decode(raw, "variables.x")
    assert str(caught.value).startswith("variables.x.")
    assert why in str(caught.value)


def test_an_integer_beyond_int64_inside_json_reads_as_a_double() -> None:
    """LittleHorse reads JSON with Gson's LONG_OR_DOUBLE: what a long cannot hold is a double."""
    assert values.decode({"jsonObj": '{"a": 123, "big": 100000000000000000000}'}) == {
        "a": 123,
        "big": 1e20,
    }
    assert type(values.decode({"jsonArr": "[9223372036854775807]"})[0]) is int


def test_the_int64_and_double_limits_themselves_are_values() -> None:
    assert values.decode({"int": str(2**63 - 1)}) == 2**63 - 1
    assert values.decode({"int": str(-(2**63))}) == -(2**63)
    assert values.decode({"double": 1.7976931348623157e308}) == 1.7976931348623157e308


def test_run_wf_refuses_an_int_beyond_int64_naming_the_variable() -> None:
    with pytest.raises(SpecError) as caught:
        validate_run_wf(SPEC, {"name": {"str": "Ada"}, "times": {"int": "9223372036854775808"}})
    assert caught.value.problems == [
        "variables.times.int: 9223372036854775808 is outside the int64 range of an INT"
    ]


def test_an_empty_value_for_a_required_input_is_accepted_as_littlehorse_does() -> None:
    """LittleHorse's ThreadSpecModel.validateStartVariables only refuses a required input that
    is absent; a present VariableValue with no value (``{}``) is its null and passes."""
    assert validate_run_wf(SPEC, {"name": {}}) == {"name": None}
    with pytest.raises(SpecError, match="required input of WfSpec 'greeter' is missing"):
        validate_run_wf(SPEC, {})
