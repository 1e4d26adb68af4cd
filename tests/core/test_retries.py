"""Retries, exponential backoff, timeouts, business exceptions and stale reports."""

from canter_engine.core.events import TaskReported
from littlehorse.model import ExponentialBackoffRetryPolicy
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def flaky(retries: int, **options: object):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        wf.execute("charge", 10, retries=retries, **options)

    return wf_fn


def test_a_task_that_fails_twice_succeeds_on_its_third_attempt() -> None:
    h = Harness(flaky(2), tasks={"charge": ("INT",)})
    h.run()
    h.fail("card declined")
    h.fail("card declined")
    assert h.in_flight().attempt_number == 2
    h.succeed("ok")
    assert h.status == "COMPLETED"
    attempts = h.task_run("0-1")["attempts"]
    assert [a["status"] for a in attempts] == ["TASK_FAILED", "TASK_FAILED", "TASK_SUCCESS"]
    assert [s.attempt_number for s in h.sent] == [0, 1, 2]


def test_retries_spent_fail_the_workflow_with_task_failure() -> None:
    h = Harness(flaky(1), tasks={"charge": ("INT",)})
    h.run()
    h.fail("a")
    h.fail("b")
    assert h.status == "ERROR"
    failure = h.failure()
    assert failure["failureName"] == "TASK_FAILURE"
    assert "attempt 1 ended TASK_FAILED: b" in failure["message"]
    assert h.state is not None and h.state.task_runs == {}


def test_exponential_backoff_waits_on_a_timer_between_attempts() -> None:
    policy = ExponentialBackoffRetryPolicy(base_interval_ms=500, multiplier=3, max_delay_ms=2000)
    h = Harness(flaky(3, exponential_backoff=policy), tasks={"charge": ("INT",)})
    h.run()
    delays = []
    for _ in range(3):
        failed_at = h.now + 1
        h.fail()
        retry = h.timers[-1]
        assert retry.kind == "TASK_RETRY"
        delays.append(retry.due - failed_at)
        assert h.task_run("0-1")["status"] == "TASK_PENDING"
        h.fire("TASK_RETRY")
    assert delays == [500, 1500, 2000]
    h.succeed()
    assert h.status == "COMPLETED"


def test_a_timed_out_attempt_is_retried_then_fails_with_timeout() -> None:
    h = Harness(flaky(1, timeout_seconds=5), tasks={"charge": ("INT",)})
    h.run()
    h.time_out("no report within 5 s of the first receive")
    assert h.in_flight().attempt_number == 1
    h.time_out("still running at its deadline")
    assert h.status == "ERROR"
    assert h.failure() == {
        "failureName": "TIMEOUT",
        "message": "TaskDef 'charge' attempt 1 did not finish within its 5s timeout: "
        "still running at its deadline",
    }
    attempts = h.task_run("0-1")["attempts"]
    assert [a["status"] for a in attempts] == ["TASK_TIMEOUT", "TASK_TIMEOUT"]
    assert attempts[0]["error"] == {
        "type": "TIMEOUT",
        "message": "no report within 5 s of the first receive",
    }
    assert h.timers == []


def test_a_timed_out_attempt_waits_out_its_backoff_like_a_failed_one() -> None:
    policy = ExponentialBackoffRetryPolicy(base_interval_ms=500)
    h = Harness(flaky(1, exponential_backoff=policy), tasks={"charge": ("INT",)})
    h.run()
    h.time_out()
    assert [t.kind for t in h.timers] == ["TASK_RETRY"]
    h.fire("TASK_RETRY")
    h.succeed()
    assert h.status == "COMPLETED"


def test_a_business_exception_is_not_retried_and_ends_in_exception() -> None:
    h = Harness(flaky(5), tasks={"charge": ("INT",)})
    h.run()
    h.throw("out-of-stock", "no more widgets", {"sku": "w-1"})
    assert h.status == "EXCEPTION"
    failure = h.failure()
    assert failure == {
        "failureName": "out-of-stock",
        "message": "no more widgets",
        "content": {"jsonObj": '{"sku":"w-1"}'},
    }
    assert len(h.sent) == 1


def test_a_report_for_an_old_attempt_or_a_repeated_report_changes_nothing() -> None:
    h = Harness(flaky(2), tasks={"charge": ("INT",)})
    h.run()
    first = h.in_flight()
    h.fail()
    before = h.state
    stale = h.apply(TaskReported(first.task_guid, 0, "TASK_SUCCESS", h.tick(), "late"))
    assert not stale.applied and stale.state is before and stale.effects == []
    h.succeed("done")
    done = h.state
    again = h.apply(TaskReported(first.task_guid, 1, "TASK_SUCCESS", h.tick(), "again"))
    assert not again.applied and again.state is done
    assert h.status == "COMPLETED"


def test_a_stale_timeout_for_an_old_or_reported_attempt_is_ignored() -> None:
    h = Harness(flaky(1, timeout_seconds=5), tasks={"charge": ("INT",)})
    h.run()
    h.fail()
    retried = h.state
    old = h.apply(TaskReported("0-1", 0, "TASK_TIMEOUT", h.tick(), error_type="TIMEOUT"))
    assert not old.applied and old.state is retried and old.effects == []
    h.succeed()
    late = h.apply(TaskReported("0-1", 1, "TASK_TIMEOUT", h.tick(), error_type="TIMEOUT"))
    assert not late.applied
    assert h.status == "COMPLETED"


def test_an_output_that_cannot_be_serialised_is_not_retried() -> None:
    h = Harness(flaky(3), tasks={"charge": ("INT",)})
    h.run()
    task = h.in_flight()
    h.apply(
        TaskReported(
            task.task_guid,
            0,
            "TASK_OUTPUT_SERDE_ERROR",
            h.tick(),
            error_type="TASK_ERROR",
            error_message="output over 64 KiB",
        )
    )
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "TASK_FAILURE"
    assert len(h.sent) == 1
