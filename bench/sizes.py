"""How AWS sizes what it bills: DynamoDB items and capacity units, SQS chunks.

The store does not ask DynamoDB for ``ReturnConsumedCapacity``, and moto
would not compute it faithfully anyway, so capacity is derived from the
items on the wire with DynamoDB's published rules. Keeping the rules here,
apart from the hook, lets tests pin them down number by number.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
SQS_CHUNK_BYTES = 64 * 1024
CONTAINER_OVERHEAD = 3  # a List or Map, even empty
ELEMENT_OVERHEAD = 1  # per List or Map element


def item_size(item: Mapping[str, Any]) -> int:
    """Bytes DynamoDB bills for an item in the low-level (typed) format."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value: Mapping[str, Any]) -> int:
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return number_size(str(data))
    if kind == "B":
        return len(_raw_bytes(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(s).encode()) for s in data)
    if kind == "NS":
        return sum(number_size(str(n)) for n in data)
    if kind == "BS":
        return sum(len(_raw_bytes(b)) for b in data)
    if kind == "L":
        return CONTAINER_OVERHEAD + sum(ELEMENT_OVERHEAD + value_size(v) for v in data)
    if kind == "M":
        return CONTAINER_OVERHEAD + sum(
            ELEMENT_OVERHEAD + len(k.encode()) + value_size(v) for k, v in data.items()
        )
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def number_size(text: str) -> int:
    """One byte per two significant digits, plus one (leading/trailing zeros trimmed)."""
    digits = Decimal(text).normalize().as_tuple().digits
    significant = len(digits) if any(digits) else 1
    return math.ceil(significant / 2) + 1


def write_units(size: int, *, transactional: bool = False) -> int:
    """Write request units for one item: 1 per started KB, at least 1; doubled in a transaction."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return units * 2 if transactional else units


def read_units(size: int, *, consistent: bool, transactional: bool = False) -> float:
    """Read request units: 1 per started 4 KB, at least 1; half when eventually consistent.

    For a Query, ``size`` is the sum of every item returned: DynamoDB rounds
    the total, not each item.
    """
    units = float(max(1, math.ceil(size / READ_UNIT_BYTES)))
    if transactional:
        return units * 2
    return units if consistent else units / 2


def sqs_requests(payload_bytes: int) -> int:
    """SQS bills every started 64 KB of payload as one request, at least one per call."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES))


def _raw_bytes(data: Any) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return base64.b64decode(str(data))
