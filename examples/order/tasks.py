"""The order workflow's tasks: plain Python functions, registered as TaskDefs.

Run them with ``canter worker examples.order.tasks:TASKS``.
"""

from __future__ import annotations

from typing import Any

import canter
from canter import WorkerContext


@canter.task(name="reserve-item")
def reserve_item(items: list[Any], index: int, ctx: WorkerContext) -> str:
    sku = str(items[index])
    ctx.log(f"reserved {sku} (idempotency key {ctx.idempotency_key})")
    return sku


@canter.task(name="review-order")
def review_order(order_id: str, total: float) -> str:
    return "approved by fraud check" if total < 10_000 else "held for a person"


@canter.task(name="ship-order")
def ship_order(order_id: str, payment: dict[str, Any]) -> str:
    return f"TRACK-{order_id.upper()}-{payment['method'][:4].upper()}"


TASKS = [reserve_item, review_order, ship_order]
