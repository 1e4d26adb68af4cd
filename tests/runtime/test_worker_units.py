"""The worker's argument binding and the SDK's VariableValue codec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from canter import TaskException, WorkerContext
from canter.client import from_value, to_value
from canter.worker.binding import Binding
from canter_engine.model import values

CONTEXT = WorkerContext("wf-1", "0-3", 2, "t")


def test_parameters_bind_by_name_with_dashes_then_by_position() -> None:
    def fn(order_id: str, count: int, ctx: WorkerContext) -> Any:
        return (order_id, count, ctx.idempotency_key, ctx.attempt_number)

    binding = Binding.of(fn)
    assert binding.call([("count", 2), ("order-id", "o-1")], CONTEXT) == ("o-1", 2, "wf-1/0-3", 2)
    assert Binding.of(lambda a, b: (a, b)).call([("x", 1), ("y", 2)], CONTEXT) == (1, 2)


def test_async_and_positional_only_functions_are_called_correctly() -> None:
    async def double(n: int) -> int:
        return n * 2

    seen: list[int] = []
    assert Binding.of(double).call([("n", 4)], CONTEXT) == 8
    Binding.of(seen.append).call([("n", 5)], CONTEXT)
    assert seen == [5]


def test_a_missing_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="'b'"):
        Binding.of(lambda a, b: a).call([("a", 1)], CONTEXT)


def test_task_exception_names_are_kebab_case() -> None:
    assert TaskException("out-of-stock").name == "out-of-stock"
    with pytest.raises(ValueError, match="kebab-case"):
        TaskException("OutOfStock")


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -(2**63), 2.5, "", "héllo", b"\x00\xff", {"a": [1, {"b": None}]}, [1, "x"]],
)
def test_sdk_codec_agrees_with_the_engine(value: Any) -> None:
    assert to_value(value) == values.encode(value)
    assert from_value(values.encode(value)) == value
    assert values.decode(to_value(value)) == value


def test_timestamps_cross_as_utc() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    decoded = values.decode(to_value(stamp))
    assert int(decoded) == int(stamp.timestamp() * 1000)
    assert from_value(values.encode(decoded)) == stamp


def test_values_json_cannot_hold_are_refused_with_the_type() -> None:
    with pytest.raises(TypeError, match="set"):
        to_value({1, 2})


def test_a_large_output_is_reported_in_a_request_of_its_own() -> None:
    """Reports go ten to a request, but a large output alone: a request stays under
    the API's limit however many large outputs finish together."""
    from canter.worker.reporter import MAX_BATCH, Finished, batches

    def finished(n: int, output_bytes: int) -> Finished:
        return Finished("q", str(n), "r", {"output": {"str": "o" * output_bytes}}, "t")

    small = [finished(n, 10) for n in range(12)]
    assert [len(b) for b in batches(small)] == [MAX_BATCH, 2]
    mixed = [finished(0, 10), finished(1, 3_000_000), finished(2, 3_000_000), finished(3, 10)]
    assert [[f.message_id for f in b] for b in batches(mixed)] == [["0"], ["1"], ["2"], ["3"]]
