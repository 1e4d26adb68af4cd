"""EXTERNAL_EVENT: wait for an event, take one that came first (oldest first), time out."""

from canter_engine.core.events import ExternalEventPosted
from canter_engine.model.values import format_timestamp
from littlehorse.workflow import WorkflowThread

from tests.core.harness import START, Harness


def approval(timeout: int = -1):  # type: ignore[no-untyped-def]
    def wf_fn(wf: WorkflowThread) -> None:
        decision = wf.declare_json_obj("decision")
        wf.execute("prepare")
        decision.assign(wf.wait_for_event("approve", timeout=timeout))

    return wf_fn


def test_an_event_posted_while_waiting_completes_the_node_with_its_content() -> None:
    h = Harness(approval(), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.succeed()
    assert h.node_runs()[-1]["status"] == "RUNNING"
    h.post("approve", {"ok": True}, guid="g1")
    assert h.status == "COMPLETED"
    assert h.variables["decision"] == {"ok": True}
    event = h.records["event#approve#g1"]
    assert event["claimed"] is True
    assert event["nodeRunPosition"] == 2


def test_events_that_arrive_first_wait_and_the_oldest_is_taken() -> None:
    h = Harness(approval(), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.post("approve", {"n": 1}, guid="first")
    h.post("approve", {"n": 2}, guid="second")
    assert h.records["event#approve#first"].get("claimed") is None
    h.succeed()
    assert h.variables["decision"] == {"n": 1}
    assert h.state is not None
    assert [e.guid for e in h.state.pending_events] == ["second"]


def test_the_same_guid_twice_is_one_event() -> None:
    h = Harness(approval(), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.post("approve", {"n": 1}, guid="g")
    assert not h.post("approve", {"n": 1}, guid="g").applied


def test_no_event_within_the_timeout_fails_the_node_with_timeout() -> None:
    h = Harness(approval(timeout=60), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.succeed()
    h.fire("EVENT_TIMEOUT")
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "TIMEOUT"
    assert h.node_runs()[-1]["externalEvent"]["timedOut"] is True
    h.post("approve", {}, guid="late")
    assert h.status == "ERROR"
    assert h.records["event#approve#late"].get("claimed") is None


def test_an_event_in_time_disarms_the_timeout() -> None:
    h = Harness(approval(timeout=60), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.succeed()
    h.post("approve", {"ok": 1})
    assert not h.fire("EVENT_TIMEOUT").applied
    assert h.status == "COMPLETED"


def basic_external_event(wf: WorkflowThread) -> None:
    """ExternalEventTest's basic workflow: the event's content goes to a task."""
    wf.execute("basic-external-event-task", wf.wait_for_event("basic-evt"))


def test_timeout_says_the_event_did_not_arrive_in_time() -> None:
    """Mirrors ExternalEventTest.shouldTimeoutIfNoEvent."""
    h = Harness(approval(timeout=1), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.succeed()
    h.fire("EVENT_TIMEOUT")
    failure = h.failure()
    assert failure["failureName"] == "TIMEOUT"
    assert "arrive in time" in failure["message"].lower()


def test_an_event_of_another_def_is_ignored() -> None:
    """Mirrors ExternalEventTest.shouldIgnoreEventsFromWrongExternalEventDef."""
    h = Harness(
        basic_external_event,
        tasks={"basic-external-event-task": ("STR",)},
        events={"basic-evt", "ignored-evt"},
    )
    h.run()
    h.post("ignored-evt", "hello there")
    assert h.status == "RUNNING"
    h.post("basic-evt", "kenobi")
    assert h.task_input() == ["kenobi"]


def test_two_events_sent_before_the_first_posted_is_claimed() -> None:
    """Mirrors ExternalEventTest.shouldOnlyClaimOneEventWhenTwoAreSentBefore: by the
    order they were posted, not by guid (here posted while the WfRun runs a task;
    events posted before the WfRun exists are the visibility work's)."""
    h = Harness(approval(), tasks={"prepare": ()}, events={"approve"})
    h.run()
    h.post("approve", {"n": "first"}, guid="fdsa")
    h.post("approve", {"n": "second"}, guid="asdf")
    h.succeed()
    assert h.variables["decision"] == {"n": "first"}
    assert h.records["event#approve#fdsa"]["claimed"] is True
    assert h.records["event#approve#asdf"].get("claimed") is None


def test_an_event_posted_before_the_run_keeps_its_post_time_and_ends_the_node_now() -> None:
    """The scheduler journals an event posted before its WfRun existed as one posted now,
    with ``created_at`` the time it was posted (store/early_events.py)."""
    h = Harness(approval(), tasks={"prepare": ()}, events={"approve"})
    h.run()
    posted_at = START - 60_000
    h.apply(ExternalEventPosted("approve", "early", {"ok": 1}, h.tick(), created_at=posted_at))
    h.succeed()
    assert h.variables["decision"] == {"ok": 1}
    event = h.records["event#approve#early"]
    assert event["createdAt"] == format_timestamp(posted_at)
    waited = h.node_runs()[-1]
    assert waited["endTime"] >= waited["arrivalTime"]
