"""Test-kit cases, run by ``test_kit.py`` in their own pytest process.

They use the ``canter_env`` fixture exactly as a user's project does; a
process of its own keeps the kit's in-process stack apart from the session
stack of ``tests/runtime``.
"""

from __future__ import annotations

import threading
import time

import canter
from canter import ExponentialBackoff, Workflow, WorkflowThread
from canter.testing import TestEnv

DAY_MS = 24 * 3600 * 1000
attempts: dict[str, int] = {}
release = threading.Event()


@canter.task(name="kit-flaky")
def flaky(key: str) -> str:
    """Fails on its first attempt for each key, then succeeds."""
    attempts[key] = attempts.get(key, 0) + 1
    if attempts[key] == 1:
        raise RuntimeError("first attempt fails")
    return f"done {key}"


@canter.task(name="kit-stuck")
def stuck(key: str) -> str:
    """Runs until released: its attempt can only end by timing out."""
    attempts[key] = attempts.get(key, 0) + 1
    release.wait(5)
    return "late"


def sleep_a_day_then_retry(wf: WorkflowThread) -> None:
    key = wf.declare_str("key")
    wf.sleep_seconds(24 * 3600)
    result = wf.declare_str("result")
    result.assign(
        wf.execute(
            flaky,
            key,
            retries=2,
            exponential_backoff=ExponentialBackoff(base_interval_ms=60_000, multiplier=2),
        )
    )


def wait_an_hour_for_approval(wf: WorkflowThread) -> None:
    approved = wf.declare_str("approved")
    approved.assign(wf.wait_for_event("kit-approval", timeout=3600))


def stuck_for_a_minute(wf: WorkflowThread) -> None:
    wf.execute(stuck, wf.declare_str("key"), timeout_seconds=60, retries=1)


def test_a_day_long_sleep_and_a_backoff_are_skipped(canter_env: TestEnv) -> None:
    canter_env.register(Workflow("kit-day", sleep_a_day_then_retry), tasks=[flaky])
    started = time.monotonic()
    wf_run_id = canter_env.run("kit-day", {"key": "a"})
    before = canter_env.now_ms()
    canter_env.advance(days=1, minutes=1)
    wf_run = canter_env.wait_for(wf_run_id, "COMPLETED")
    assert canter_env.variable(wf_run_id, "result") == "done a"
    assert attempts["a"] == 2
    assert canter_env.now_ms() - before >= DAY_MS + 60_000
    assert time.monotonic() - started < 5
    assert wf_run["status"] == "COMPLETED"


def test_without_advancing_the_sleep_does_not_end(canter_env: TestEnv) -> None:
    canter_env.register(Workflow("kit-day", sleep_a_day_then_retry), tasks=[flaky])
    wf_run_id = canter_env.run("kit-day", {"key": "b"})
    canter_env.advance(hours=23)
    assert canter_env.client.get_wf_run(wf_run_id)["status"] == "RUNNING"
    assert "b" not in attempts


def test_an_event_timeout_fires_when_its_hour_has_passed(canter_env: TestEnv) -> None:
    canter_env.register(Workflow("kit-approval", wait_an_hour_for_approval))
    on_time = canter_env.run("kit-approval")
    late = canter_env.run("kit-approval")
    canter_env.advance(minutes=59)
    canter_env.post_event(on_time, "kit-approval", "yes")
    assert canter_env.wait_for(on_time, "COMPLETED")
    assert canter_env.variable(on_time, "approved") == "yes"
    canter_env.advance(minutes=2)
    canter_env.wait_for(late, "ERROR")


def test_a_task_timeout_fires_when_its_time_has_passed(canter_env: TestEnv) -> None:
    canter_env.register(Workflow("kit-stuck", stuck_for_a_minute), tasks=[stuck])
    wf_run_id = canter_env.run("kit-stuck", {"key": "s"})
    deadline = time.monotonic() + 5
    while attempts.get("s", 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    canter_env.advance(minutes=1, seconds=1)  # the first attempt times out; the retry starts
    canter_env.advance(minutes=1, seconds=1)  # and times out too
    wf_run = canter_env.wait_for(wf_run_id, "ERROR")
    release.set()
    assert attempts["s"] == 2
    assert wf_run["status"] == "ERROR"


def test_a_second_environment_in_the_same_process_is_refused(canter_env: TestEnv) -> None:
    try:
        TestEnv().start()
    except RuntimeError as exc:
        assert "pytest -n" in str(exc)
    else:
        raise AssertionError("a second environment started in the same process")


@canter.task(name="kit-report")
def nightly_report(day: str) -> str:
    return f"report for {day}"


def report(wf: WorkflowThread) -> None:
    wf.declare_str("out").assign(wf.execute(nightly_report, wf.declare_str("day", "today")))


def test_skipping_past_cron_firings_starts_each_scheduled_run(canter_env: TestEnv) -> None:
    """ScheduleWf: each firing the clock skips past starts ``<schedule>-<yyyymmddhhmm>`` at
    the firing's time, as EventBridge Scheduler would; nothing fires before its time."""
    canter_env.register(Workflow("kit-report", report), tasks=[nightly_report])
    canter_env.client.schedule_wf("kit-report", "30 2 * * *", {"day": "d"}, id="nightly")
    now = canter_env.now_ms()
    first = (now // DAY_MS) * DAY_MS + (2 * 60 + 30) * 60_000
    first += DAY_MS if first <= now else 0
    canter_env.advance(seconds=(first - now) / 1000 - 1)
    assert canter_env.client.search_wf_run("kit-report")["results"] == []
    canter_env.advance(days=2)
    ids = [
        f"nightly-{time.strftime('%Y%m%d%H%M', time.gmtime(at / 1000))}"
        for at in (first, first + DAY_MS)
    ]
    for wf_run_id, at in zip(ids, (first, first + DAY_MS), strict=True):
        wf_run = canter_env.wait_for(wf_run_id)
        assert wf_run["startTime"].startswith(
            time.strftime("%Y-%m-%dT%H:%M:00", time.gmtime(at / 1000))
        )
        assert canter_env.variable(wf_run_id, "out") == "report for d"
    found = canter_env.client.search_wf_run("kit-report")["results"]
    assert sorted(r["id"] for r in found) == sorted(ids)
