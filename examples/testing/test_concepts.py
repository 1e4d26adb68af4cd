"""The concept examples of the README, tested with the test kit instead of waiting."""

from canter.testing import TestEnv

from examples.concepts import events, sleep, tasks, user_tasks


def test_the_reminder_sleeps_a_day_in_no_time(canter_env: TestEnv) -> None:
    canter_env.register(sleep.WORKFLOW)
    wf_run_id = canter_env.run("reminder", {"delay-seconds": 24 * 3600})
    canter_env.advance(days=1)
    canter_env.wait_for(wf_run_id, "COMPLETED")
    assert canter_env.variable(wf_run_id, "state") == "reminded"


def test_the_payment_is_charged_after_its_backoff(canter_env: TestEnv) -> None:
    canter_env.register(tasks.WORKFLOW, tasks=tasks.TASKS)
    wf_run_id = canter_env.run("payment", {"amount": 25.0})
    canter_env.advance(seconds=1)
    canter_env.wait_for(wf_run_id, "COMPLETED")
    assert canter_env.variable(wf_run_id, "receipt") == "charged 25.0 on attempt 1"


def test_an_approval_nobody_gives_times_out_after_an_hour(canter_env: TestEnv) -> None:
    canter_env.register(events.WORKFLOW)
    approved = canter_env.run("approval", {"request": "laptop"})
    forgotten = canter_env.run("approval", {"request": "chair"})
    canter_env.post_event(approved, "manager-decision", {"approved": True})
    canter_env.wait_for(approved, "COMPLETED")
    canter_env.advance(hours=1, seconds=1)
    canter_env.wait_for(forgotten, "ERROR")


def test_the_expense_is_reminded_after_an_hour_then_approved(canter_env: TestEnv) -> None:
    canter_env.register(user_tasks.ExpenseApproval, user_tasks.WORKFLOW, tasks=user_tasks.TASKS)
    wf_run_id = canter_env.run("expense", {"item": "laptop"})
    canter_env.advance(hours=1, seconds=1)
    (review,) = canter_env.user_task_runs(wf_run_id)
    assert review["userGroup"] == "finance"
    assert any("taskExecuted" in event for event in review["events"])
    canter_env.complete_user_task(wf_run_id, {"approved": True}, user_id="anna")
    canter_env.wait_for(wf_run_id, "COMPLETED")
    assert canter_env.variable(wf_run_id, "outcome") == "paid"


def test_an_expense_nobody_reviews_is_cancelled_after_a_week(canter_env: TestEnv) -> None:
    canter_env.register(user_tasks.ExpenseApproval, user_tasks.WORKFLOW, tasks=user_tasks.TASKS)
    wf_run_id = canter_env.run("expense", {"item": "chair"})
    canter_env.advance(days=7, seconds=1)
    canter_env.wait_for(wf_run_id, "ERROR")
    (review,) = canter_env.user_task_runs(wf_run_id)
    assert review["status"] == "CANCELLED"
