from canter import Workflow, WorkflowThread


def invoice(wf: WorkflowThread) -> None:
    price = wf.declare_double("price").required()
    quantity = wf.declare_int("quantity").required()
    customer = wf.declare_json_obj("customer").required()
    total = wf.declare_double("total")
    line = wf.declare_str("line")
    tags = wf.declare_json_arr("tags", ["draft"])
    total.assign(price.multiply(quantity).add(5.0))  # an expression: price * quantity + 5
    wf.mutate(tags, "EXTEND", ["sent"])
    wf.mutate(tags, "REMOVE_IF_PRESENT", "draft")
    line.assign(wf.format("{0} owes {1}", customer.with_json_path("$.name"), total))


WORKFLOW = Workflow("invoice", invoice)
