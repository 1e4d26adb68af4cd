import canter
from canter import ExponentialBackoff, Workflow, WorkflowThread
from canter.testing import TestEnv


@canter.task(name="send-reminder")
def send_reminder(email: str, ctx: canter.WorkerContext) -> str:
    if ctx.attempt_number == 0:
        raise ConnectionError("mail server busy")  # TASK_FAILED: retried after the backoff
    return f"reminded {email}"


def reminder(wf: WorkflowThread) -> None:
    email = wf.declare_str("email").required()
    outcome = wf.declare_str("outcome")
    wf.sleep_seconds(24 * 3600)
    outcome.assign(
        wf.execute(
            send_reminder,
            email,
            retries=2,
            exponential_backoff=ExponentialBackoff(base_interval_ms=500),
        )
    )


WORKFLOW = Workflow("daily-reminder", reminder)


def test_the_reminder_goes_out_a_day_later(canter_env: TestEnv) -> None:
    canter_env.register(WORKFLOW, tasks=[send_reminder])
    wf_run_id = canter_env.run("daily-reminder", {"email": "ada@example.com"})

    canter_env.advance(hours=23)
    assert canter_env.client.get_wf_run(wf_run_id)["status"] == "RUNNING"

    canter_env.advance(hours=1, seconds=1)  # the sleep ends, attempt 0 fails, the retry runs
    canter_env.wait_for(wf_run_id, "COMPLETED")
    assert canter_env.variable(wf_run_id, "outcome") == "reminded ada@example.com"
