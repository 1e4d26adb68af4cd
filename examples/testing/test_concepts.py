"""The concept examples of the README, tested with the test kit instead of waiting."""

from canter.testing import TestEnv

from examples.concepts import events, sleep, tasks


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
