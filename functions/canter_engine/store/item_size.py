"""How DynamoDB sizes an item: the bytes it bills writes and reads by.

The scheduler sizes the WfRun head with these rules to keep each commit
inside the kilobyte it is billed for (see :mod:`canter_engine.store.held`);
the cost benchmark prices every item it sees with the same rules.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

WRITE_UNIT_BYTES = 1024
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


def _raw_bytes(data: Any) -> bytes:
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    return base64.b64decode(str(data))
