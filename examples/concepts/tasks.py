import canter
from canter import ExponentialBackoff, Workflow, WorkflowThread


@canter.task(name="charge-card")
def charge_card(amount: float, ctx: canter.WorkerContext) -> str:
    if amount > 1000:
        raise canter.TaskException("card-declined", f"{amount} is over the limit")
    if ctx.attempt_number == 0:
        raise ConnectionError("gateway busy")  # TASK_FAILED: retried
    return f"charged {amount} on attempt {ctx.attempt_number}"


def payment(wf: WorkflowThread) -> None:
    amount = wf.declare_double("amount").required()
    receipt = wf.declare_str("receipt")
    charged = wf.execute(
        charge_card,
        amount,
        retries=3,
        timeout_seconds=10,
        exponential_backoff=ExponentialBackoff(base_interval_ms=200, multiplier=2.0),
    )
    receipt.assign(charged)


WORKFLOW = Workflow("payment", payment)
TASKS = [charge_card]
