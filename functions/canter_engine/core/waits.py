"""Nodes that wait for the outside world: SLEEP and EXTERNAL_EVENT.

An ExternalEvent is consumed by exactly one NodeRun. One that arrives before
any node waits for it is kept, and the first node to arrive takes the oldest.

An EXTERNAL_EVENT node with a correlation key also waits on a CorrelatedEvent
of that key: it asks the runtime to register it (``AwaitCorrelatedEvent``),
and the CorrelatedEvent comes back as an ExternalEvent addressed to this one
NodeRun (``node_run_position``), which no other node takes. When the node
stops waiting it asks the runtime to forget the registration.
"""

from __future__ import annotations

from canter_engine.core import threads
from canter_engine.core.effects import AwaitCorrelatedEvent, ForgetCorrelatedEvent, StartTimer
from canter_engine.core.events import ExternalEventPosted, Timer
from canter_engine.core.operations import VarSubError
from canter_engine.core.run import Run
from canter_engine.core.state import ExternalEvent, Failure, NodeRun, ThreadRun
from canter_engine.model import values
from canter_engine.model.spec import ExternalEventNode, SleepNode


def arrive_sleep(run: Run, thread: ThreadRun, node_run: NodeRun, node: SleepNode) -> None:
    due = _sleep_due(run, thread, node)
    if due <= run.now:
        run.complete_node(thread, node_run, None)
        return
    node_run.due = due
    run.effects.append(StartTimer(Timer("SLEEP", due, thread.number, node_run.position)))


def poll_sleep(run: Run, thread: ThreadRun, node_run: NodeRun, node: SleepNode) -> bool:
    """Re-read a sleep's timestamp: a moved one reschedules the sleep (LittleHorse's
    SleepNodeRun.maybeRescheduleMaturation); True if the sleep is over."""
    if node.raw_seconds is not None:
        return False
    due = _sleep_due(run, thread, node)
    if due == node_run.due:
        return False
    if due <= run.now:
        node_run.due = due
        run.complete_node(thread, node_run, None)
        return True
    node_run.due = due
    run.effects.append(StartTimer(Timer("SLEEP", due, thread.number, node_run.position)))
    return False


def _sleep_due(run: Run, thread: ThreadRun, node: SleepNode) -> int:
    if node.raw_seconds is not None:
        seconds = run.evaluate(thread, node.raw_seconds)
        if values.type_of(seconds) not in ("INT", "DOUBLE"):
            raise VarSubError(f"SLEEP rawSeconds must be INT, got {values.type_of(seconds)}")
        return run.now + int(seconds * 1000)
    if node.timestamp is not None:
        stamp = run.evaluate(thread, node.timestamp)
        if values.type_of(stamp) not in ("INT", "TIMESTAMP"):
            raise VarSubError(
                "SLEEP timestamp must be INT epoch millis or TIMESTAMP, "
                f"got {values.type_of(stamp)}"
            )
        return int(stamp)
    if node.iso_date is not None:
        text = run.evaluate(thread, node.iso_date)
        if not isinstance(text, str):
            raise VarSubError(f"SLEEP isoDate must be STR, got {values.type_of(text)}")
        try:
            return values.parse_timestamp(text)
        except ValueError:
            raise VarSubError(f"SLEEP isoDate {text!r} is not an ISO-8601 date") from None
    raise VarSubError("SLEEP needs rawSeconds, timestamp or isoDate")


def on_sleep_due(run: Run, timer: Timer) -> bool:
    found = _waiting(run, timer, "sleep")
    if found is None or found[1].due != timer.due:
        return False
    thread, node_run = found
    run.complete_node(thread, node_run, None)
    return True


def arrive_external_event(
    run: Run, thread: ThreadRun, node_run: NodeRun, node: ExternalEventNode
) -> None:
    def_name = node.external_event_def_id.name
    node_run.event_def = def_name
    key = None
    if node.correlation_key is not None:
        key = correlation_key(run.evaluate(thread, node.correlation_key))
        node_run.mask_correlation_key = node.mask_correlation_key
    for event in run.state.pending_events:
        if _takes(event, def_name, thread.number, node_run.position):
            run.state.pending_events.remove(event)
            _claim(run, thread, node_run, event)
            node_run.correlation_key = key
            return
    node_run.correlation_key = key
    if node_run.correlation_key is not None:
        run.effects.append(
            AwaitCorrelatedEvent(
                def_name, node_run.correlation_key, thread.number, node_run.position
            )
        )
    if node.timeout_seconds is not None:
        seconds = run.evaluate(thread, node.timeout_seconds)
        if values.type_of(seconds) != "INT":
            raise VarSubError(
                f"EXTERNAL_EVENT timeoutSeconds must be INT, got {values.type_of(seconds)}"
            )
        node_run.due = run.now + int(seconds) * 1000
        run.effects.append(
            StartTimer(Timer("EVENT_TIMEOUT", node_run.due, thread.number, node_run.position))
        )


def correlation_key(key: object) -> str:
    """A correlation key as a CorrelatedEvent's key: a string (or a number, as its text)."""
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise VarSubError(
            f"EXTERNAL_EVENT correlationKey must be STR or INT, got {values.type_of(key)}"
        )
    text = str(key)
    if not text or "/" in text or "~" in text or "#" in text:
        raise VarSubError(
            "EXTERNAL_EVENT correlationKey must be non-empty, without '/', '~' or '#'"
        )
    return text


def _takes(event: ExternalEvent, def_name: str, thread: int, position: int) -> bool:
    """Whether a NodeRun waiting for ``def_name`` takes a kept event."""
    if event.def_name != def_name or event.thread_run_number not in (None, thread):
        return False
    return event.node_run_position in (None, position)


def on_event_posted(run: Run, posted: ExternalEventPosted) -> bool:
    state = run.state
    if any(e.guid == posted.guid and e.def_name == posted.def_name for e in state.pending_events):
        return False
    event = ExternalEvent(
        guid=posted.guid,
        def_name=posted.def_name,
        content=posted.content,
        time=posted.time if posted.created_at is None else posted.created_at,
        thread_run_number=posted.thread_run_number,
        node_run_position=posted.node_run_position,
    )
    if posted.node_run_position is None and threads.interrupt(
        run, posted.guid, posted.def_name, posted.content, posted.thread_run_number
    ):
        event.claimed_thread = posted.thread_run_number or 0
        run.touch(event)
        return True
    thread = run.waiting_thread(
        "external_event",
        lambda t, node_run: _takes(event, node_run.event_def or "", t.number, node_run.position),
    )
    if thread is not None:
        assert thread.current is not None
        _claim(run, thread, thread.current, event)
        return True
    state.pending_events.append(event)
    run.touch(event)
    return True


def on_event_timeout(run: Run, timer: Timer) -> bool:
    found = _waiting(run, timer, "external_event")
    if found is None:
        return False
    thread, node_run = found
    node_run.timed_out = True
    _forget(run, thread, node_run)
    run.fail_node(
        thread,
        node_run,
        Failure("TIMEOUT", f"ExternalEvent did not arrive in time ({node_run.event_def!r})"),
    )
    return True


def _claim(run: Run, thread: ThreadRun, node_run: NodeRun, event: ExternalEvent) -> None:
    event.claimed_thread = thread.number
    event.claimed_position = node_run.position
    node_run.event_guid = event.guid
    node_run.event_time = event.time
    run.touch(event)
    _forget(run, thread, node_run)
    run.complete_node(thread, node_run, event.content)


def _forget(run: Run, thread: ThreadRun, node_run: NodeRun) -> None:
    if node_run.correlation_key is not None and node_run.event_def is not None:
        run.effects.append(
            ForgetCorrelatedEvent(
                node_run.event_def, node_run.correlation_key, thread.number, node_run.position
            )
        )


def _waiting(run: Run, timer: Timer, kind: str) -> tuple[ThreadRun, NodeRun] | None:
    seen = run.state.threads.get(timer.thread)
    if seen is None or seen.ended:
        return None
    node_run = seen.current
    if (
        node_run is None
        or node_run.position != timer.position
        or node_run.kind != kind
        or node_run.status != "RUNNING"
    ):
        return None
    thread = run.thread(timer.thread)
    assert thread.current is not None
    return thread, thread.current
