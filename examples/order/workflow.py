"""The order workflow, built with Canter's builder (LittleHorse's SDK shape)."""

from __future__ import annotations

from canter import Workflow, WorkflowThread

from .tasks import reserve_item, review_order, ship_order

NAME = "order-fulfillment"
PAYMENT_EVENT = "payment-received"


def order(t: WorkflowThread) -> None:
    order_id = t.declare_str("order-id").required()
    items = t.declare_json_arr("items").required()
    item_count = t.declare_int("item-count").required()
    total = t.declare_double("total").required()
    index = t.declare_int("index", 0)
    reserved = t.declare_json_arr("reserved", [])
    review = t.declare_str("review")
    payment = t.declare_json_obj("payment")
    tracking = t.declare_str("tracking")

    def reserve_next(body: WorkflowThread) -> None:
        sku = body.execute(reserve_item, items, index)
        body.mutate(reserved, "ADD", sku)
        body.mutate(index, "ADD", 1)

    t.do_while(index.is_less_than(item_count), reserve_next)
    t.do_if(
        total.is_greater_than(100.0),
        lambda big: big.mutate(review, "ASSIGN", big.execute(review_order, order_id, total)),
        lambda small: small.mutate(review, "ASSIGN", "auto-approved"),
    )
    t.mutate(payment, "ASSIGN", t.wait_for_event(PAYMENT_EVENT))
    t.mutate(tracking, "ASSIGN", t.execute(ship_order, order_id, payment))


WORKFLOW = Workflow(NAME, order, task_timeout_seconds=30, task_retries=1)
