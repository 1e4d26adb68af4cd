"""``canter.Worker``: long-polls a TaskQueue's SQS queue and runs task functions.

One poller per queue receives up to ``concurrency`` messages at a time; a
thread pool runs them (async functions get their own event loop); a
heartbeat extends the visibility of every message still running, so a long
task is not handed to another worker while it runs. A message is deleted
only after its report was accepted: a worker that dies, or a report that
could not be sent, means the message comes back after its visibility
timeout and the attempt runs again (at-least-once; the engine ignores a
report for an attempt that is no longer current).

Timeouts are enforced here, not by the engine. An attempt's deadline is the
moment SQS first handed its message to a worker plus the task's timeout
(the ``canter.timeoutSeconds`` message attribute, 60 s without it), so a
task waiting in its queue for a worker simply waits, as in LittleHorse, and
a backlog cannot time out tasks nobody started. The worker reports
``TASK_TIMEOUT`` (which the engine retries, or fails the node with TIMEOUT)
instead of running an attempt whose message comes back after its deadline
(the worker that had it died or hung) or on the last receive its queue's
redrive policy allows (workers that took it kept dying, and a message in the
dead-letter queue would leave its WfRun waiting for ever); and it reports
``TASK_TIMEOUT`` at the deadline for a function still running then.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from canter.client import Client, from_value, is_local
from canter.task_def import task_def_of
from canter.worker import report
from canter.worker.binding import Binding
from canter.worker.context import Checkpoints, WorkerContext
from canter.worker.payloads import scheduled_task_text
from canter.worker.reporter import Finished, Reporter, Started

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("canter.worker")

MAX_MESSAGES_PER_RECEIVE = 10
# The message attribute that carries an attempt's timeout, and the timeout of
# a message without it: the engine's DEFAULT_TASK_TIMEOUT_SECONDS.
TIMEOUT_ATTRIBUTE = "canter.timeoutSeconds"
# The message attribute with the attempt's task token, which its report must carry.
TOKEN_ATTRIBUTE = "canter.taskToken"
DEFAULT_TIMEOUT_SECONDS = 60
# The longest wait between two receives while a queue cannot be reached.
MAX_BACKOFF_SECONDS = 5.0
# An attempt running this long is shown TASK_RUNNING (one ReportTaskStarts
# notice); shorter ones show their start with their report only.
START_NOTICE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class QueueInfo:
    url: str
    visibility_seconds: int
    # The redrive policy's maxReceiveCount: the receive after this many goes
    # to the dead-letter queue instead (None: the queue has no such policy).
    max_receives: int | None = None


@dataclass(slots=True)
class InFlight:
    """A received message until it is reported and deleted, or left to come back."""

    queue: QueueInfo
    message: dict[str, Any]
    extended_at: float
    deadline: float  # epoch seconds: first receive + timeout
    timeout_seconds: int
    context: WorkerContext | None = None  # set when its function starts
    started: float | None = None  # epoch seconds its function started
    decided: bool = False  # its one report (outcome or TASK_TIMEOUT) is chosen, or none is
    timed_out: bool = False  # TASK_TIMEOUT was chosen: no more heartbeat
    start_noticed: bool = False  # ReportTaskStarts has it (or it ended before it needed one)

    @property
    def receipt(self) -> str:
        return str(self.message["ReceiptHandle"])


class Worker:
    """Runs task functions for the TaskDefs they are registered under.

    ``tasks`` maps TaskDef names to functions, or lists functions: one
    decorated with ``@canter.task`` serves the TaskDef it was registered
    as, any other the TaskDef named like the function. With
    ``register_task_defs`` the worker puts the TaskDefs of decorated
    functions before it polls, so a worker and its TaskDefs cannot drift.
    """

    def __init__(
        self,
        client: Client,
        tasks: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]],
        *,
        concurrency: int = 4,
        poll_wait_seconds: int = 20,
        visibility_timeout_seconds: int | None = None,
        shutdown_grace_seconds: float = 30.0,
        register_task_defs: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._client = client
        functions = named(tasks)
        self._bindings = {name: Binding.of(fn) for name, fn in functions.items()}
        self._to_register = [
            request
            for fn in functions.values()
            if register_task_defs and (request := task_def_of(fn)) is not None
        ]
        self._concurrency = concurrency
        self._wait = poll_wait_seconds
        self._visibility_override = visibility_timeout_seconds
        self._grace = shutdown_grace_seconds
        self._stopping = threading.Event()
        self._in_flight: dict[str, InFlight] = {}
        # Functions still running after their attempt timed out: they hold a
        # thread of the pool until they return, so they count against capacity.
        self._overrunning: set[str] = set()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._pool: ThreadPoolExecutor | None = None
        self._sqs: SQSClient | None = None
        self._s3: Any = None
        self._reporter: Reporter | None = None

    # --- lifecycle ---------------------------------------------------------

    def run(self) -> None:
        """Poll until SIGINT/SIGTERM (or :meth:`stop`), then shut down cleanly."""
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: self._stopping.set())
        self.start()
        while not self._stopping.wait(0.2):
            pass
        self.stop()

    def start(self) -> Worker:
        queues = self._resolve_queues()
        assert self._sqs is not None
        # The reporter exists before any poller can hand it a finished task.
        self._reporter = Reporter(
            self._client,
            self._sqs,
            self._settled,
            keep_running=lambda: not (self._stopping.is_set() and not self._in_flight),
        )
        reporting = threading.Thread(target=self._reporter.run, name="canter-reporter", daemon=True)
        reporting.start()
        self._threads.append(reporting)
        self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="canter-task")
        for queue, names in queues.items():
            log.info("polling %s for %s", queue.url, ", ".join(sorted(names)))
            thread = threading.Thread(
                target=self._poll, args=(queue, sorted(names)), name="canter-poller", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        heartbeat = threading.Thread(target=self._heartbeat, name="canter-heartbeat", daemon=True)
        heartbeat.start()
        return self

    def stop(self) -> None:
        """Stop polling, give running tasks ``shutdown_grace_seconds`` to finish.

        A task still running after that is abandoned: its message was not
        deleted, so it comes back after its visibility timeout.
        """
        self._stopping.set()
        if self._pool is not None:
            deadline = time.monotonic() + self._grace
            while self._in_flight and time.monotonic() < deadline:
                time.sleep(0.05)
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._release_unstarted()
        for thread in self._threads:
            thread.join(timeout=0.5)

    def deadlines(self) -> list[float]:
        """When the attempts this worker holds time out (epoch seconds), if not reported first."""
        with self._lock:
            return [f.deadline for f in self._in_flight.values() if not f.decided]

    def __enter__(self) -> Worker:
        """``with Worker(...):`` runs the worker in the background for the block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- polling -----------------------------------------------------------

    def _resolve_queues(self) -> dict[QueueInfo, set[str]]:
        for request in self._to_register:
            self._client.put_task_def(request)
        by_url: dict[str, set[str]] = {}
        for name in self._bindings:
            queue = self._client.get_task_def_queue(name)
            by_url.setdefault(str(queue["queueUrl"]), set()).add(name)
        self._sqs = _sqs_client(next(iter(by_url)))
        return {self._queue_at(url): names for url, names in by_url.items()}

    def _queue_at(self, url: str) -> QueueInfo:
        assert self._sqs is not None
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
        )["Attributes"]
        visibility = self._visibility_override or int(attributes["VisibilityTimeout"])
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        max_receives = int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None
        return QueueInfo(url, visibility, max_receives)

    def _re_resolve(self, queue: QueueInfo, names: list[str]) -> QueueInfo | None:
        """The queue as the API names it now, or ``None`` while the API or queue is away.

        A restarted stack (or a redeployed one) may serve the TaskDef from
        another queue URL; polling the old one would never see its work.
        """
        try:
            url = str(self._client.get_task_def_queue(names[0])["queueUrl"])
            if urlsplit(url).netloc != urlsplit(queue.url).netloc:
                self._sqs = _sqs_client(url)
            found = self._queue_at(url)
        except Exception:
            return None
        if found.url != queue.url:
            log.info("TaskDef %s is now served from %s", names[0], found.url)
        return found

    def _poll(self, queue: QueueInfo, names: list[str]) -> None:
        """Receive only when there is room, but hold no capacity while long-polling.

        Several queues share ``concurrency``; reserving it for a 20-second
        long poll on an idle queue would starve the busy ones. The price is
        a bounded overshoot when two queues deliver at once: the extra
        messages wait for a thread, their visibility kept alive by the
        heartbeat.

        When the queue or its endpoint goes away (``canter dev`` restarting,
        a network outage) the poller says so in one line, backs off up to
        ``MAX_BACKOFF_SECONDS``, asks the API for the queue's URL again, and
        says so when it receives again: no traceback per retry.
        """
        assert self._sqs is not None and self._pool is not None
        backoff = 0.0
        while not self._stopping.is_set():
            busy = len(self._in_flight) + len(self._overrunning)
            room = min(self._concurrency - busy, MAX_MESSAGES_PER_RECEIVE)
            if room <= 0:
                self._stopping.wait(0.02)
                continue
            try:
                assert self._sqs is not None
                messages = self._sqs.receive_message(
                    QueueUrl=queue.url,
                    MaxNumberOfMessages=room,
                    WaitTimeSeconds=self._wait,
                    VisibilityTimeout=queue.visibility_seconds,
                    MessageSystemAttributeNames=[
                        "ApproximateFirstReceiveTimestamp",
                        "ApproximateReceiveCount",
                    ],
                    MessageAttributeNames=[TIMEOUT_ATTRIBUTE, TOKEN_ATTRIBUTE],
                ).get("Messages", [])
            except Exception as exc:
                if not backoff:
                    log.warning(
                        "cannot receive from %s (%s); retrying with backoff until it is back",
                        queue.url,
                        _brief(exc),
                    )
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_SECONDS)
                self._stopping.wait(backoff)
                queue = self._re_resolve(queue, names) or queue
                continue
            if backoff:
                log.info("receiving from %s again", queue.url)
                backoff = 0.0
            for message in messages:
                if self._stopping.is_set():
                    self._release(queue, message["ReceiptHandle"])
                    continue
                try:
                    body = scheduled_task_text(message["Body"], self._s3_for(queue.url))
                except Exception as exc:
                    log.warning(
                        "cannot read a large ScheduledTask (%s); it comes back", _brief(exc)
                    )
                    continue
                flight = received(queue, {**message, "Body": body})
                with self._lock:
                    self._in_flight[message["MessageId"]] = flight
                self._pool.submit(self._handle, message["MessageId"], flight)

    def _release_unstarted(self) -> None:
        """Hand back messages whose function never started: another worker runs them."""
        with self._lock:
            unstarted = [
                (message_id, flight)
                for message_id, flight in self._in_flight.items()
                if flight.context is None and not flight.decided
            ]
            for _, flight in unstarted:
                flight.decided = True
        for message_id, flight in unstarted:
            self._release(flight.queue, flight.receipt)
            self._settled(message_id)

    def _release(self, queue: QueueInfo, receipt: str) -> None:
        """Hand a message back at once (received while shutting down)."""
        assert self._sqs is not None
        try:
            self._sqs.change_message_visibility(
                QueueUrl=queue.url, ReceiptHandle=receipt, VisibilityTimeout=0
            )
        except Exception:
            log.warning("could not release a message; it returns after its visibility timeout")

    def _heartbeat(self) -> None:
        """Extend running messages' visibility; time out attempts past their deadline."""
        assert self._sqs is not None
        while not (self._stopping.is_set() and not self._in_flight):
            time.sleep(0.2)
            now = time.monotonic()
            overdue = self._overdue(time.time())
            with self._lock:
                due = [
                    f
                    for f in self._in_flight.values()
                    if not f.timed_out and now - f.extended_at >= f.queue.visibility_seconds / 3
                ]
            self._notice_starts(time.time())
            for message_id, flight, why in overdue:
                try:
                    self._report_timeout(message_id, flight, why)
                except Exception:
                    log.exception("could not report a timeout; the message will come back")
                    self._settled(message_id)
            for flight in due:
                try:
                    self._sqs.change_message_visibility(
                        QueueUrl=flight.queue.url,
                        ReceiptHandle=flight.receipt,
                        VisibilityTimeout=flight.queue.visibility_seconds,
                    )
                    flight.extended_at = now
                except Exception as exc:
                    flight.extended_at = now  # once per visibility third, not every tick
                    log.warning("could not extend a running task's visibility (%s)", _brief(exc))

    def _notice_starts(self, now: float) -> None:
        """Tell the engine about attempts running longer than START_NOTICE_SECONDS.

        Only those: a task that ends sooner shows its start with its report,
        and a notice for every task would cost a request and a write each.
        """
        assert self._reporter is not None
        with self._lock:
            running = [
                f
                for f in self._in_flight.values()
                if f.started is not None
                and f.context is not None
                and not f.decided
                and not f.start_noticed
                and now - f.started >= START_NOTICE_SECONDS
            ]
            for flight in running:
                flight.start_noticed = True
        for flight in running:
            assert flight.started is not None and flight.context is not None
            notice = report.start_notice(
                json.loads(flight.message["Body"]), flight.context.attempt_number, flight.started
            )
            self._reporter.put_start(Started(notice, _token(flight)))

    def _overdue(self, now: float) -> list[tuple[str, InFlight, str]]:
        """Attempts past their deadline with nothing reported yet, and why; decided here."""
        overdue = []
        with self._lock:
            for message_id, flight in self._in_flight.items():
                if flight.decided or now < flight.deadline:
                    continue
                flight.decided = flight.timed_out = True
                after = f"{flight.timeout_seconds} s after a worker first received it"
                if flight.context is not None:
                    self._overrunning.add(message_id)
                    why = f"still running {after}; whatever it returns is discarded"
                else:
                    why = f"still waiting for a free thread on this worker {after}"
                overdue.append((message_id, flight, why))
        return overdue

    # --- one message ---------------------------------------------------------

    def _s3_for(self, queue_url: str) -> Callable[[], Any]:
        """Makes (once) the S3 client that reads ScheduledTasks sent by reference."""

        def make() -> Any:
            with self._lock:
                if self._s3 is None:
                    self._s3 = _s3_client(queue_url)
                return self._s3

        return make

    def _handle(self, message_id: str, flight: InFlight) -> None:
        """Run one task; its report and delete go to the reporter, which settles it.

        Python cannot stop a thread, so a function still running at its
        deadline runs on: the heartbeat has already reported TASK_TIMEOUT for
        the attempt and had the message deleted, and whatever the function
        returns then is discarded (the engine would ignore a late report of an
        attempt that is no longer current anyway). Until it returns it holds
        one of the worker's ``concurrency`` slots.
        """
        try:
            self._run_or_time_out(message_id, flight)
        except Exception:
            log.exception("task message not completed; it will be delivered again")
            self._leave(message_id)
        finally:
            with self._lock:
                self._overrunning.discard(message_id)

    def _run_or_time_out(self, message_id: str, flight: InFlight) -> None:
        scheduled_task: dict[str, Any] = json.loads(flight.message["Body"])
        name = str(scheduled_task["taskDefId"]["name"])
        binding = self._bindings.get(name)
        if binding is None:
            log.warning("no function for TaskDef %r on this worker; leaving the message", name)
            self._leave(message_id)
            return
        token = flight.message.get("MessageAttributes", {}).get(TOKEN_ATTRIBUTE, {})
        receives = int(flight.message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
        context = context_of(
            scheduled_task, self._client, str(token.get("StringValue", "")), receives
        )
        why = not_to_run(flight, time.time())
        if why is not None:
            with self._lock:
                if flight.decided:
                    return
                flight.decided = flight.timed_out = True
            self._report_timeout(message_id, flight, why)
            return
        with self._lock:
            if flight.decided:  # timed out while it waited for a thread
                return
            flight.context = context
            flight.started = time.time()
        outcome = run_task(binding, scheduled_task, context)
        with self._lock:
            late = flight.decided
            flight.decided = True
        if late:
            log.warning(
                "TaskDef %r attempt %d of %s returned after its %d s timeout was reported; "
                "its result is discarded",
                name,
                context.attempt_number,
                context.wf_run_id,
                flight.timeout_seconds,
            )
            return
        self._hand_over(message_id, flight, outcome)

    def _report_timeout(self, message_id: str, flight: InFlight, why: str) -> None:
        scheduled_task = json.loads(flight.message["Body"])
        context = flight.context or context_of(scheduled_task)
        log.warning(
            "TaskDef %s attempt %d of %s timed out: %s",
            context.task_def_name,
            context.attempt_number,
            context.wf_run_id,
            why,
        )
        self._hand_over(message_id, flight, report.timeout(scheduled_task, context, why))

    def _hand_over(self, message_id: str, flight: InFlight, outcome: dict[str, Any]) -> None:
        assert self._reporter is not None
        self._reporter.put(
            Finished(
                flight.queue.url,
                message_id,
                flight.receipt,
                outcome,
                _token(flight),
                report.timing(flight.started),
            )
        )

    def _leave(self, message_id: str) -> None:
        """Report nothing: the message comes back after its visibility timeout."""
        with self._lock:
            flight = self._in_flight.get(message_id)
            if flight is None or flight.timed_out:
                return  # its TASK_TIMEOUT is with the reporter, which settles it
            flight.decided = True
        self._settled(message_id)

    def _settled(self, message_id: str) -> None:
        """The message is reported and deleted, or left to come back: stop its heartbeat."""
        with self._lock:
            self._in_flight.pop(message_id, None)


def _token(flight: InFlight) -> str:
    """The attempt's canter.taskToken, which its report and start notice carry."""
    token = flight.message.get("MessageAttributes", {}).get(TOKEN_ATTRIBUTE, {})
    return str(token.get("StringValue", ""))


def run_task(
    binding: Binding, scheduled_task: dict[str, Any], context: WorkerContext
) -> dict[str, Any]:
    """Run one attempt's function; its report (success, exception or failure)."""
    inputs = [
        (str(v["varName"]), from_value(v.get("value"))) for v in scheduled_task.get("variables", [])
    ]
    try:
        result = binding.call(inputs, context)
    except Exception as exc:
        return report.failure(scheduled_task, context, exc)
    return report.success(scheduled_task, context, result)


def received(queue: QueueInfo, message: dict[str, Any]) -> InFlight:
    """A message just received, with its attempt's deadline.

    The deadline is SQS's clock (the first receive) plus the timeout, compared
    with this host's clock: workers are assumed to keep their clocks in sync
    (NTP), as the engine's timestamps already are.
    """
    attributes = message.get("Attributes", {})
    first_ms = attributes.get("ApproximateFirstReceiveTimestamp")
    first = int(first_ms) / 1000 if first_ms else time.time()
    timeout = message.get("MessageAttributes", {}).get(TIMEOUT_ATTRIBUTE, {}).get("StringValue")
    seconds = int(timeout) if timeout else DEFAULT_TIMEOUT_SECONDS
    return InFlight(queue, message, time.monotonic(), first + seconds, seconds)


def not_to_run(flight: InFlight, now: float) -> str | None:
    """Why a received attempt must be reported TASK_TIMEOUT instead of run, if it must."""
    if now >= flight.deadline:
        return (
            f"no report within {flight.timeout_seconds} s of the first receive by a worker "
            "(the worker that took it stopped or hung); not run again"
        )
    receives = int(flight.message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
    limit = flight.queue.max_receives
    if limit is not None and receives > 1 and receives >= limit:
        return (
            f"received {receives} times without a report, the most its queue allows before "
            "its dead-letter queue: the workers that took it kept stopping; not run again"
        )
    return None


def _brief(exc: Exception) -> str:
    """An error in one line, without its traceback: an outage is not a bug."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def context_of(
    scheduled_task: dict[str, Any],
    client: Client | None = None,
    token: str = "",
    receives: int = 1,
) -> WorkerContext:
    """The attempt's context; with the API client and the attempt's task token its
    steps can be checkpointed (``receives``: how often SQS delivered the message)."""
    run_id = scheduled_task["taskRunId"]
    observed = int(scheduled_task.get("totalObservedCheckpoints", 0))
    channel = Checkpoints(client, token, observed, receives > 1) if client and token else None
    return WorkerContext(
        wf_run_id=str(run_id["wfRunId"]["id"]),
        task_guid=str(run_id["taskGuid"]),
        attempt_number=int(scheduled_task.get("attemptNumber", 0)),
        task_def_name=str(scheduled_task["taskDefId"]["name"]),
        checkpoints=channel,
    )


def named(
    tasks: Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]],
) -> dict[str, Callable[..., Any]]:
    if isinstance(tasks, Mapping):
        return dict(tasks)
    named: dict[str, Callable[..., Any]] = {}
    for fn in tasks:
        request = task_def_of(fn)
        named[str(request["name"]) if request else fn.__name__] = fn
    return named


def _sqs_client(queue_url: str) -> SQSClient:
    """An SQS client for the queues' endpoint; local endpoints get dummy credentials."""
    region, config, kwargs = _client_settings(queue_url)
    return boto3.client("sqs", region_name=region, config=config, **kwargs)


def _s3_client(queue_url: str) -> Any:
    """S3 at the queues' endpoint, for ScheduledTasks sent by reference (path-style locally)."""
    region, config, kwargs = _client_settings(queue_url)
    style = Config(s3={"addressing_style": "path" if is_local(queue_url) else "auto"})
    return boto3.client("s3", region_name=region, config=config.merge(style), **kwargs)


def _client_settings(queue_url: str) -> tuple[str, Config, dict[str, Any]]:
    parts = urlsplit(queue_url)
    kwargs: dict[str, Any] = {}
    if is_local(queue_url):
        kwargs["endpoint_url"] = f"{parts.scheme}://{parts.netloc}"
        if not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            kwargs.update(aws_access_key_id="canter-local", aws_secret_access_key="canter-local")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not region:
        host = parts.hostname or ""
        region = host.split(".")[1] if host.startswith("sqs.") else "us-east-1"
    config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=30)
    return region, config, kwargs
