"""The workflows the dashboard tests look at: one of every kind of box and arrow."""

from __future__ import annotations

import canter
from canter import Workflow, WorkflowThread

APPROVAL = "dashboard-approval"
APPROVED_EVENT = "dashboard-approved"
CANCEL_EVENT = "dashboard-cancel"
CHECK_TASK = "dashboard-check"
NOTIFY_TASK = "dashboard-notify"
FAILING = "dashboard-failing"
FAIL_TASK = "dashboard-fail"


def approval(t: WorkflowThread) -> None:
    """Check a request, notify in a child thread, wait for approval; a cancel interrupts."""
    request_id = t.declare_str("request-id").searchable().required()
    amount = t.declare_int("amount").required()
    token = t.declare_str("token").masked()
    decision = t.declare_json_obj("decision")

    def on_cancel(handler: WorkflowThread) -> None:
        handler.execute(NOTIFY_TASK, "cancelled")

    def notify(child: WorkflowThread) -> None:
        child.execute(NOTIFY_TASK, "started")

    t.add_interrupt_handler(CANCEL_EVENT, on_cancel)
    checked = t.execute(CHECK_TASK, request_id, amount)
    t.handle_error(checked, lambda handler: handler.execute(NOTIFY_TASK, "check failed"))
    t.mutate(token, "ASSIGN", checked)
    notifier = t.spawn_thread(notify, "notify")
    t.wait_for_threads(notifier)
    t.do_if(
        amount.is_greater_than(100),
        lambda big: big.mutate(decision, "ASSIGN", big.wait_for_event(APPROVED_EVENT)),
        lambda small: small.mutate(decision, "ASSIGN", {"approved": True}),
    )


WORKFLOW = Workflow(APPROVAL, approval)


@canter.task(name=CHECK_TASK)
def check(request_id: str, amount: int) -> str:
    return f"token-{request_id}-{amount}"


@canter.task(name=NOTIFY_TASK)
def notify(what: str) -> str:
    return f"notified: {what}"


@canter.task(name=FAIL_TASK)
def fail(reason: str) -> str:
    raise RuntimeError(f"cannot: {reason}")


def failing(t: WorkflowThread) -> None:
    """A task that always fails: the WfRun ends in ERROR, to be looked at and rescued."""
    t.execute(FAIL_TASK, t.declare_str("reason").required())


FAILING_WORKFLOW = Workflow(FAILING, failing)
TASKS = [check, notify, fail]
