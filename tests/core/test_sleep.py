"""SLEEP: for rawSeconds, until an epoch-millis timestamp, or until an ISO-8601 date."""

from canter_engine.core import timer_pending
from canter_engine.core.events import TimerFired
from canter_engine.model.values import format_timestamp
from littlehorse.workflow import WorkflowThread

from tests.core.harness import START, Harness


def test_sleep_for_seconds_waits_on_a_timer() -> None:
    h = Harness(lambda wf: wf.sleep(30))
    h.run()
    (timer,) = h.timers
    assert (timer.kind, timer.due) == ("SLEEP", START + 1 + 30_000)
    assert h.status == "RUNNING"
    h.fire("SLEEP")
    assert h.status == "COMPLETED"
    sleep = h.node_runs()[1]
    assert sleep["sleep"] == {"maturationTime": format_timestamp(START + 30_001), "matured": True}


def test_sleep_until_a_timestamp_variable() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        wf.sleep_until(wf.declare_int("wake"))

    h = Harness(wf_fn)
    h.run(wake=START + 3_600_000)
    assert h.timers[0].due == START + 3_600_000
    h.fire("SLEEP")
    assert h.status == "COMPLETED"


def test_sleep_until_an_iso_date_and_a_date_in_the_past_does_not_wait() -> None:
    def spec(date: str) -> dict[str, object]:
        return {
            "name": "iso",
            "threadSpecs": {
                "entrypoint": {
                    "nodes": {
                        "0-entrypoint-ENTRYPOINT": {
                            "outgoingEdges": [{"sinkNodeName": "1-sleep-SLEEP"}],
                            "entrypoint": {},
                        },
                        "1-sleep-SLEEP": {
                            "outgoingEdges": [{"sinkNodeName": "2-exit-EXIT"}],
                            "sleep": {"isoDate": {"literalValue": {"str": date}}},
                        },
                        "2-exit-EXIT": {"exit": {}},
                    }
                }
            },
            "entrypointThreadName": "entrypoint",
        }

    future = Harness(spec("2030-01-01T00:00:00Z"))
    future.run()
    assert future.timers[0].due == 1_893_456_000_000
    past = Harness(spec("2001-01-01T00:00:00+00:00"))
    past.run()
    assert past.timers == [] and past.status == "COMPLETED"


def test_a_duplicate_sleep_timer_is_ignored() -> None:
    h = Harness(lambda wf: wf.sleep(5))
    h.run()
    h.fire("SLEEP")
    assert not h.fire("SLEEP").applied


def sleep_until_moved(wf: WorkflowThread) -> None:
    """SleepTest's sleep-test: an interrupt handler moves the timestamp slept until."""
    wake = wf.declare_int("timestamp-to-wait-for")

    def on_update(h: WorkflowThread) -> None:
        wake.assign(h.declare_int("INPUT"))

    wf.add_interrupt_handler("update-timestamp", on_update)
    wf.sleep_until(wake)


def test_an_interrupt_moving_the_timestamp_earlier_reschedules_the_sleep() -> None:
    """Mirrors SleepTest.shouldRescheduleSleepWhenInterruptUpdatesTimestampEarlier:
    the sleep ends at the new time, before the old one; the old timer changes nothing."""
    h = Harness(sleep_until_moved, events={"update-timestamp"})
    h.run(**{"timestamp-to-wait-for": START + 5_000})
    (old,) = h.timers
    h.post("update-timestamp", START + 1_000)
    assert h.status == "RUNNING"
    new = h.timers[-1]
    assert (new.kind, new.due) == ("SLEEP", START + 1_000)
    assert h.state is not None and not timer_pending(h.state, old)
    h.fire("SLEEP")
    assert h.status == "COMPLETED"
    sleep = h.node_runs()[1]
    assert sleep["sleep"]["maturationTime"] == format_timestamp(START + 1_000)
    assert sleep["endTime"] < format_timestamp(START + 5_000)
    assert not h.apply(TimerFired(old, START + 5_000)).applied


def test_an_interrupt_moving_the_timestamp_later_reschedules_the_sleep() -> None:
    """Mirrors SleepTest.shouldRescheduleSleepWhenInterruptUpdatesTimestampLater:
    the old timer no longer ends the sleep."""
    h = Harness(sleep_until_moved, events={"update-timestamp"})
    h.run(**{"timestamp-to-wait-for": START + 1_000})
    (old,) = h.timers
    h.post("update-timestamp", START + 3_000)
    assert not h.apply(TimerFired(old, START + 1_000)).applied
    assert h.status == "RUNNING"
    h.fire("SLEEP")
    assert h.status == "COMPLETED"
    assert h.node_runs()[1]["sleep"]["maturationTime"] == format_timestamp(START + 3_000)


def test_a_timestamp_moved_into_the_past_ends_the_sleep_at_once() -> None:
    h = Harness(sleep_until_moved, events={"update-timestamp"})
    h.run(**{"timestamp-to-wait-for": START + 60_000})
    h.post("update-timestamp", START)
    assert h.status == "COMPLETED"
