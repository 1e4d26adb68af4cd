"""``TestEnv``: an in-process Canter stack for tests, with a clock that can be skipped ahead.

The stack is the real one (:class:`canter.local.LocalStack`: moto, the
scheduler and timer handlers, the HTTP API) on free ports, in memory, and
the task functions run in a real :class:`canter.Worker` in this process.
Only time is different: :meth:`TestEnv.advance` moves the :class:`Clock`
from one due timer, task deadline or schedule firing to the next, letting the
stack settle after each, so a day of sleeps, event timeouts, backoffs, task
timeouts and ScheduleWf firings plays out in order in milliseconds. A firing
starts its WfRun as EventBridge Scheduler's does (the local stack's schedule
pump calls the same handler), at the firing's time, under the id
``<schedule>-<yyyymmddhhmm>``.

The stack lives in process-wide state (environment variables, moto's
backends, ``time.time``), so a process runs one environment at a time; tests
run in parallel as processes (``pytest -n``, with pytest-xdist), each on its
own free ports.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from canter.client import FINAL_STATUSES, Client
from canter.local.stack import LOCAL_REGION, LOCAL_STAGE, LocalStack
from canter.task_def import create_task_def, task_def_of
from canter.testing.clock import Clock
from canter.user_task_def import user_task_def_of
from canter.worker import Worker

Tasks = Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]]

# How long nothing may change in moto for the stack to count as settled: longer
# than the pumps' and the worker's polling intervals.
SETTLE_SECONDS = 0.02
# A worker checks its running attempts' deadlines this often (its heartbeat).
HEARTBEAT_SECONDS = 0.25
LOCAL_POLL_SECONDS = 0.01
# A task function running longer than this is not waited for by advance().
RUNNING_SECONDS = 1.0

_one_per_process = threading.Lock()


class TestEnv:
    """A running stack for one test: register, run, advance the clock, wait, inspect."""

    __test__ = False  # a helper, not a test class, whatever pytest's name rules say

    def __init__(
        self,
        workflows: Iterable[Any] = (),
        tasks: Tasks = (),
        *,
        concurrency: int = 4,
    ) -> None:
        self._initial = (list(workflows), _named(tasks))
        self._concurrency = concurrency
        self._tasks: dict[str, Callable[..., Any]] = {}
        self._worker: Worker | None = None
        self._stack: LocalStack | None = None
        self._client: Client | None = None
        self.clock = Clock()

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> TestEnv:
        if not _one_per_process.acquire(blocking=False):
            raise RuntimeError(
                "one canter.testing environment per process at a time; run tests in "
                "parallel as processes (pytest -n with pytest-xdist)"
            )
        try:
            self.clock.install()
            self._stack = LocalStack(port=0, aws_port=0, poll_seconds=LOCAL_POLL_SECONDS).start()
            self._client = Client(self._stack.api_url, timeout=10)
            workflows, tasks = self._initial
            self.register(*workflows, tasks=tasks)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            if self._worker is not None:
                self._worker.stop()
            if self._stack is not None:
                self._stack.stop()
                _forget_moto_state()
        finally:
            self._worker = self._stack = self._client = None
            self.clock.uninstall()
            if _one_per_process.locked():
                _one_per_process.release()

    def __enter__(self) -> TestEnv:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- definitions -------------------------------------------------------

    @property
    def client(self) -> Client:
        """The stack's API client, for anything the helpers here do not cover."""
        if self._client is None:
            raise RuntimeError("the test environment is not started")
        return self._client

    @property
    def api_url(self) -> str:
        return self.client.url

    def register(self, *workflows: Any, tasks: Tasks = ()) -> None:
        """Put the tasks' TaskDefs, the UserTaskDefs, the events the workflows wait for, and
        the WfSpecs.

        ``workflows`` may hold ``@canter.user_task`` classes (or
        ``canter.UserTaskDef`` objects) beside the workflows; ``tasks`` are
        ``@canter.task`` functions or a dict of TaskDef name to function; they
        run in this process from now on.
        """
        named = _named(tasks)
        for name, fn in named.items():
            request = task_def_of(fn) or create_task_def(fn, name=name)
            self.client.put_task_def({**request, "name": name})
        forms = [form for item in workflows if (form := user_task_def_of(item)) is not None]
        for form in forms:
            self.client.put_user_task_def(form)
        for workflow in workflows:
            if user_task_def_of(workflow) is not None:
                continue
            spec = workflow if isinstance(workflow, Mapping) else workflow.compile()
            for event in sorted(_event_names(spec)):
                self.client.put_external_event_def(event)
            self.client.put_wf_spec(spec)
        if any(self._tasks.get(name) is not fn for name, fn in named.items()):
            self._tasks.update(named)
            if self._worker is not None:
                self._worker.stop()
            self._worker = Worker(
                self.client,
                dict(self._tasks),
                concurrency=self._concurrency,
                poll_wait_seconds=1,
                shutdown_grace_seconds=0.5,
            ).start()

    # --- runs --------------------------------------------------------------

    def run(
        self, wf_spec_name: str, variables: Mapping[str, Any] | None = None, **options: Any
    ) -> str:
        """Start a WfRun; returns its id."""
        return str(self.client.run_wf(wf_spec_name, variables, **options)["id"]["id"])

    def wait_for(
        self, wf_run_id: str, status: str | Iterable[str] = "COMPLETED", *, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The WfRun once it is in ``status``; AssertionError if it ends otherwise or times out."""
        wanted = {status} if isinstance(status, str) else set(status)
        deadline = time.monotonic() + timeout
        while True:
            wf_run = self.client.get_wf_run(wf_run_id)
            now = wf_run.get("status", "STARTING")
            if now in wanted:
                return wf_run
            if now in FINAL_STATUSES or time.monotonic() > deadline:
                raise AssertionError(
                    f"WfRun {wf_run_id} is {now}, not {' or '.join(sorted(wanted))}"
                    + ("" if now in FINAL_STATUSES else f" after {timeout} s")
                )
            time.sleep(0.01)

    def post_event(self, wf_run_id: str, name: str, content: Any = None, **options: Any) -> None:
        self.client.put_external_event(wf_run_id, name, content, **options)

    def variable(self, wf_run_id: str, name: str, thread_run_number: int = 0) -> Any:
        return self.client.get_variable(wf_run_id, name, thread_run_number)

    def variables(self, wf_run_id: str, thread_run_number: int = 0) -> dict[str, Any]:
        return self.client.variables(wf_run_id, thread_run_number)

    def user_task_runs(self, wf_run_id: str) -> list[dict[str, Any]]:
        """The WfRun's UserTaskRuns, oldest first."""
        return self.client.list_user_task_runs(wf_run_id)

    def complete_user_task(
        self, wf_run_id: str, results: Mapping[str, Any], *, user_id: str | None = None
    ) -> str:
        """Complete the WfRun's one open UserTaskRun with ``results`` (Python values by
        field); returns its guid. AssertionError unless exactly one is open."""
        waiting = [
            run
            for run in self.user_task_runs(wf_run_id)
            if run.get("status", "UNASSIGNED") in ("UNASSIGNED", "ASSIGNED")
        ]
        if len(waiting) != 1:
            raise AssertionError(
                f"WfRun {wf_run_id} has {len(waiting)} open UserTaskRuns, not one: "
                "use env.client.complete_user_task_run with the guid"
            )
        guid = str(waiting[0]["id"]["userTaskGuid"])
        self.client.complete_user_task_run(wf_run_id, guid, results, user_id=user_id)
        self._settle()
        return guid

    # --- time --------------------------------------------------------------

    def now_ms(self) -> int:
        """The environment's time, in epoch milliseconds (what the engine stamps)."""
        return self.clock.now_ms()

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> None:
        """Let that much time pass: everything due in it happens, in order of due time.

        The clock jumps to the next due timer or task deadline, the stack
        settles (the WfRuns move on, perhaps starting new timers), and so on
        until nothing more is due before the target; then the clock stays at
        the target.
        """
        delta = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
        if delta < 0:
            raise ValueError("time only moves forward")
        target = self.clock.time() + delta
        self._fire_schedules()  # also lists the schedules, ScheduleWf's new ones among them
        self._settle()
        for _ in range(100_000):
            step = self._next_due(target)
            if step is None:
                break
            due, is_deadline = step
            self.clock.advance_to(due)
            self._fire_schedules()
            self._settle(HEARTBEAT_SECONDS if is_deadline else 0.0)
        self.clock.advance_to(target)
        self._fire_schedules()
        self._settle()

    def settle(self) -> None:
        """Wait until the stack has nothing left to do at the current time."""
        self._settle()

    def _next_due(self, target: float) -> tuple[float, bool] | None:
        """The earliest timer, task deadline or schedule firing after now and by ``target``;
        whether it is a task deadline."""
        now = self.clock.time()
        candidates = [(due, False) for due in _timer_dues()]
        firing = self._next_firing()
        if firing is not None:
            candidates.append((firing / 1000, False))
        if self._worker is not None:
            candidates += [(deadline, True) for deadline in self._worker.deadlines()]
        upcoming = [c for c in candidates if now < c[0] <= target]
        return min(upcoming) if upcoming else None

    def _settle(self, at_least: float = 0.0) -> None:
        """Until nothing is pending and moto has been quiet for ``SETTLE_SECONDS``.

        Pending: a due timer not yet handled, journal records the scheduler
        has not had, a task message no worker has taken, or one taken in the
        last ``RUNNING_SECONDS`` (a function that runs longer is left
        running: only its timeout, or its end, moves its WfRun on).
        """
        assert self._stack is not None
        started = time.monotonic()
        give_up = started + 30
        last, since = -1, started
        while time.monotonic() < give_up:
            changes = self._stack.changes
            now = time.monotonic()
            if changes != last or self._pending():
                last, since = changes, now
            elif now - since >= SETTLE_SECONDS and now - started >= at_least:
                return
            time.sleep(0.005)

    def _next_firing(self) -> int | None:
        """When the next ScheduleWf firing not made yet is due (epoch ms)."""
        pump = None if self._stack is None else self._stack.schedule_pump
        return None if pump is None else pump.next_firing()

    def _fire_schedules(self) -> None:
        """Make the firings due now at once, rather than at the schedule pump's next poll."""
        pump = None if self._stack is None else self._stack.schedule_pump
        if pump is not None:
            pump.fire_due()

    def _pending(self) -> bool:
        assert self._stack is not None and self._stack.stream_pump is not None
        now_ms = self.clock.now_ms()
        if _timer_dues(due_by=now_ms / 1000):
            return True
        firing = self._next_firing()
        if firing is not None and firing <= now_ms:
            return True
        delivered = self._stack.stream_pump.positions()
        for shard_id, last in _journal_heads().items():
            if int(delivered.get(shard_id, 0)) < last:
                return True
        for message in _task_messages():
            if not message.approximate_receive_count or message.visible_at <= now_ms:
                return True
            first = message.approximate_first_receive_timestamp or now_ms
            if now_ms - first < RUNNING_SECONDS * 1000:
                return True
        return False


def _named(tasks: Tasks) -> dict[str, Callable[..., Any]]:
    if isinstance(tasks, Mapping):
        return dict(tasks)
    named: dict[str, Callable[..., Any]] = {}
    for fn in tasks:
        request = task_def_of(fn)
        named[str(request["name"]) if request else fn.__name__] = fn
    return named


def _event_names(spec: Any) -> Iterator[str]:
    """The ExternalEventDefs a compiled WfSpec refers to."""
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key == "externalEventDefId" and isinstance(value, Mapping) and "name" in value:
                yield str(value["name"])
            else:
                yield from _event_names(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _event_names(item)


def _timer_dues(due_by: float | None = None) -> list[float]:
    """When the timers waiting in the timer queue fire (epoch seconds).

    Read from moto's in-process backend: the queue's messages, delayed or
    not, until the timer handler deletes them. A timer fires when it is due
    and SQS hands it over, whichever is later: SQS delays are whole seconds,
    so a 500 ms backoff fires after 1 s, here as on AWS.
    """
    from canter_engine import resources

    queue = _sqs_backend().queues.get(resources.TIMER_QUEUE.physical_name(LOCAL_STAGE))
    if queue is None:
        return []
    fires = [
        max(json.loads(message.body)["timer"]["due"], message.delayed_until) / 1000
        for message in list(queue._messages)
    ]
    return [at for at in fires if due_by is None or at <= due_by]


def _sqs_backend() -> Any:
    from moto.backends import get_backend
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return get_backend("sqs")[DEFAULT_ACCOUNT_ID][LOCAL_REGION]


def _task_messages() -> list[Any]:
    """Messages in the task queues (moto's in-process backend), taken or not."""
    from canter_engine import resources

    prefix = resources.task_queue_prefix(LOCAL_STAGE)
    return [
        message
        for name, queue in list(_sqs_backend().queues.items())
        if name.startswith(prefix) and not name.endswith("-dlq")
        for message in list(queue._messages)
    ]


def _journal_heads() -> dict[str, int]:
    """Per stream shard of the journal, the sequence number of its newest record."""
    from canter_engine import resources
    from moto.backends import get_backend
    from moto.core.models import DEFAULT_ACCOUNT_ID

    tables = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][LOCAL_REGION].tables
    table = tables.get(resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE))
    shard = getattr(table, "stream_shard", None)
    if shard is None or not shard.items:
        return {}
    return {str(shard.id): int(shard.starting_sequence_number) + len(shard.items) - 1}


def _forget_moto_state() -> None:
    """Empty moto's backends so the next environment in this process starts clean."""
    from moto.backends import get_backend

    for name in ("dynamodb", "dynamodbstreams", "sqs", "scheduler"):
        get_backend(name).clear()
