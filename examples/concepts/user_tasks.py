from dataclasses import dataclass
from typing import Annotated

import canter
from canter import FieldDoc, Workflow, WorkflowThread


@canter.user_task
@dataclass
class ExpenseApproval:
    """Approve or reject an expense claim."""

    approved: Annotated[bool, FieldDoc("Approve?", "Pay the expense")]
    comment: Annotated[str, FieldDoc("Comment")] = ""


@canter.task(name="remind-approvers")
def remind_approvers(group: str, item: str) -> str:
    return f"reminded {group} about {item}"


def expense(wf: WorkflowThread) -> None:
    item = wf.declare_str("item").required()
    remind_after = wf.declare_int("remind-after", 3600)
    outcome = wf.declare_str("outcome")
    review = wf.assign_user_task(ExpenseApproval, user_group="finance").with_notes(
        wf.format("Please review: {0}", item)
    )
    wf.schedule_reminder_task(review, remind_after, remind_approvers, "finance", item)
    wf.cancel_user_task_run_after(review, 7 * 24 * 3600)
    wf.do_if(
        review.with_json_path("$.approved").is_equal_to(True),
        lambda t: outcome.assign("paid"),
        lambda t: outcome.assign("refused"),
    )


WORKFLOW = Workflow("expense", expense)
TASKS = [remind_approvers]
