import time

import canter
from canter import Workflow, WorkflowThread
from canter.testing import TestEnv

HOUR_MS = 3600 * 1000


@canter.task(name="close-books")
def close_books() -> str:
    return "closed"


def closing(wf: WorkflowThread) -> None:
    wf.declare_str("result").assign(wf.execute(close_books))


WORKFLOW = Workflow("hourly-close", closing)


def test_every_hour_skipped_starts_one_scheduled_run(canter_env: TestEnv) -> None:
    canter_env.register(WORKFLOW, tasks=[close_books])
    canter_env.client.schedule_wf("hourly-close", "0 * * * *", id="close")

    canter_env.advance(hours=3)  # three firings: three WfRuns, each at its hour

    hours = [(canter_env.now_ms() // HOUR_MS - back) * HOUR_MS for back in (2, 1, 0)]
    for at in hours:
        wf_run_id = "close-" + time.strftime("%Y%m%d%H%M", time.gmtime(at / 1000))
        canter_env.wait_for(wf_run_id, "COMPLETED")
        assert canter_env.variable(wf_run_id, "result") == "closed"
