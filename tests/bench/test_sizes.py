"""DynamoDB's item-size and capacity rules and SQS's 64 KB chunks, number by number."""

from __future__ import annotations

import pytest

from bench import sizes


def test_strings_and_names_count_utf8_bytes() -> None:
    assert sizes.item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert sizes.item_size({"é": {"S": "日本"}}) == 2 + 6


@pytest.mark.parametrize(
    ("number", "size"),
    [("0", 2), ("7", 2), ("12", 2), ("123", 3), ("1000", 2), ("0.0012", 2), ("-12345", 4)],
)
def test_numbers_take_a_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    assert sizes.number_size(number) == size


def test_containers_cost_three_bytes_plus_one_per_element() -> None:
    assert sizes.value_size({"L": []}) == 3
    assert sizes.value_size({"M": {}}) == 3
    assert sizes.value_size({"L": [{"S": "ab"}, {"BOOL": True}]}) == 3 + (1 + 2) + (1 + 1)
    assert sizes.value_size({"M": {"k": {"NULL": True}}}) == 3 + 1 + 1 + 1


def test_binary_counts_raw_bytes_not_base64() -> None:
    assert sizes.value_size({"B": b"\x00\x01\x02"}) == 3
    assert sizes.value_size({"B": "AAEC"}) == 3


@pytest.mark.parametrize(("size", "units"), [(0, 1), (1, 1), (1024, 1), (1025, 2), (4096, 4)])
def test_writes_are_billed_per_started_kilobyte(size: int, units: int) -> None:
    assert sizes.write_units(size) == units
    assert sizes.write_units(size, transactional=True) == 2 * units


def test_reads_are_billed_per_started_4kb_and_halved_when_eventually_consistent() -> None:
    assert sizes.read_units(0, consistent=True) == 1
    assert sizes.read_units(4096, consistent=True) == 1
    assert sizes.read_units(4097, consistent=True) == 2
    assert sizes.read_units(4097, consistent=False) == 1
    assert sizes.read_units(100, consistent=False) == 0.5
    assert sizes.read_units(100, consistent=True, transactional=True) == 2


@pytest.mark.parametrize(
    ("payload", "requests"), [(0, 1), (1, 1), (65536, 1), (65537, 2), (256 * 1024, 4)]
)
def test_sqs_bills_every_started_64kb(payload: int, requests: int) -> None:
    assert sizes.sqs_requests(payload) == requests
