"""How AWS sizes what it bills: DynamoDB items and capacity units, SQS chunks.

The store does not ask DynamoDB for ``ReturnConsumedCapacity``, and moto
would not compute it faithfully anyway, so capacity is derived from the
items on the wire with DynamoDB's published rules. Keeping the rules here,
apart from the hook, lets tests pin them down number by number. Item sizes
come from the store's own rules (the scheduler sizes its head with them).
"""

from __future__ import annotations

import math

from canter_engine.store.item_size import WRITE_UNIT_BYTES, item_size, number_size, value_size

__all__ = ["item_size", "number_size", "read_units", "sqs_requests", "value_size", "write_units"]

READ_UNIT_BYTES = 4096
SQS_CHUNK_BYTES = 64 * 1024


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
