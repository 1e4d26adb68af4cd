"""Literals: every Python value encodes to the VariableValue JSON protobuf would produce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from canter.builder.literals import variable_value
from google.protobuf.json_format import MessageToDict
from hypothesis import given
from hypothesis import strategies as st
from littlehorse.utils import to_variable_value

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=10,
)

literals = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text()
    | st.binary()
    | st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 1))
    | st.dictionaries(st.text(), json_values)
    | st.lists(json_values)
)


@given(literals)
def test_literal_encodes_like_protobuf(value: Any) -> None:
    assert variable_value(value) == MessageToDict(to_variable_value(value))
