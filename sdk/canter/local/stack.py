"""Everything Canter runs on AWS, on one machine: moto, the pumps, the API gateway.

The handlers run in this process, unchanged: they find moto through the
standard ``AWS_ENDPOINT_URL`` variable and their resources through the
``CANTER_*`` variables, exactly as in Lambda.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import IO, Any

import boto3
from canter_engine import resources

from canter.local import lambda_tasks, snapshot, status_bus
from canter.local.moto_server import MotoServer
from canter.local.provision import Provisioned, locate, provision
from canter.local.schedule_pump import SchedulePump
from canter.local.sqs_pump import SqsPump
from canter.local.stream_pump import StreamPump
from canter.local.ttl_sweeper import TtlSweeper

LOCAL_STAGE = "local"
LOCAL_REGION = "us-east-1"
DEFAULT_PORT = 8787
LOCK_FILE = "lock"

log = logging.getLogger("canter.local")


TASK_TOKEN_SECRET_FILE = "task-token-secret"


class LocalStack:
    """moto, the pumps and the API gateway; durable when given a state directory.

    ``aws_port`` is the port of moto's endpoint; by default the API's port
    plus one (any free port when the API's is 0), so a restarted stack has
    the same queue URLs and running workers find their queues again. With
    ``state_dir`` the stack restores the state saved there and saves it
    every ``snapshot_seconds`` while anything changed, and once more when
    it stops (see :mod:`canter.local.snapshot`). ``poll_seconds`` is how
    often the stream pump looks for new journal records (the test kit polls
    faster than ``canter dev``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        aws_port: int | None = None,
        state_dir: Path | None = None,
        snapshot_seconds: float = 1.0,
        poll_seconds: float = 0.05,
    ) -> None:
        self._host = host
        self._port = port
        self._aws_port = aws_port if aws_port is not None else (port + 1 if port else 0)
        self.state_dir = state_dir
        self._snapshot_seconds = snapshot_seconds
        self._poll_seconds = poll_seconds
        self._moto: MotoServer | None = None
        self.provisioned: Provisioned | None = None
        self.stream_pump: StreamPump | None = None
        self._timer_pump: SqsPump | None = None
        self._schedule_pump: SchedulePump | None = None
        self._ttl_sweeper: TtlSweeper | None = None
        self._task_pumps: list[SqsPump] = []
        self._gateway: Any = None
        self.endpoint_url = ""
        self.api_url = ""
        self.status_events_queue_url = ""
        self.restored = False
        self._saved_env: dict[str, str | None] = {}
        self._lock_file: IO[str] | None = None
        self._saving = threading.Event()
        self._saver: threading.Thread | None = None
        self._saved_changes = -1

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        saved = self._claim_state()
        self._moto = MotoServer(
            self._host, self._aws_port, short_poll_seconds=min(self._poll_seconds, 0.02)
        )
        self._moto.start()
        self.endpoint_url = self._moto.url
        self._saved_env = {name: os.environ.get(name) for name in _ENV_NAMES}
        _point_process_at(self.endpoint_url)

        ddb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        if saved is not None:
            snapshot.restore(saved)
            if not saved.final:
                released = snapshot.release_taken_messages()
                log.warning(
                    "restored %s from before a crash; %d taken message(s) handed out again",
                    self.state_dir,
                    released,
                )
            self.provisioned = locate(ddb, sqs, LOCAL_STAGE)
            self.restored = True
        else:
            self.provisioned = provision(ddb, sqs, LOCAL_STAGE)
        os.environ.update(
            {
                resources.ENV_TIMER_QUEUE_URL: self.provisioned.timer_queue_url,
                resources.ENV_SCHEDULER_DLQ_URL: self.provisioned.failure_queue_url,
            }
        )
        # Status events (ops-events): the bus and the queue canter events tail reads.
        self.status_events_queue_url = status_bus.ensure(LOCAL_STAGE)
        os.environ[resources.ENV_EVENT_BUS] = resources.status_bus_name(LOCAL_STAGE)
        if self.state_dir is not None:
            os.environ[resources.ENV_TASK_TOKEN_SECRET] = _task_token_secret(self.state_dir)
        # Imported only now: Powertools reads its settings when a handler module loads.
        from canter_engine.handlers import api, runtime, scheduled_runs, scheduler, timers

        from canter.local.gateway import Gateway

        runtime.reset()
        self._gateway = Gateway(api.handler, self._host, self._port)
        self.api_url = self._gateway.url
        self.stream_pump = StreamPump(
            boto3.client("dynamodbstreams"),
            sqs,
            self.provisioned.journal_stream_arn,
            scheduler.handler,
            self.provisioned.failure_queue_url,
            poll_seconds=self._poll_seconds,
            positions=saved.stream_positions if saved is not None else None,
        )
        self._timer_pump = SqsPump(
            sqs,
            self.provisioned.timer_queue_url,
            timers.handler,
            "canter-local-timers",
            resources.TIMERS_FUNCTION.timeout_seconds,
        )
        self._schedule_pump = SchedulePump(
            boto3.client("scheduler"),
            LOCAL_STAGE,
            scheduled_runs.handler,
            poll_seconds=max(self._poll_seconds * 20, 0.2),
        )
        self.stream_pump.start()
        self._timer_pump.start()
        if self.restored:
            from canter_engine.handlers.api_schedules import recreate_schedules

            recreate_schedules(runtime.current())
        self._schedule_pump.start()
        self._ttl_sweeper = TtlSweeper(
            self._moto, LOCAL_STAGE, LOCAL_REGION, every_seconds=self._poll_seconds * 100
        )
        self._ttl_sweeper.start()
        self._gateway.start()
        if self.state_dir is not None:
            self._saver = threading.Thread(target=self._save_often, name="canter-snapshots")
            self._saver.start()
        return self

    def add_lambda_tasks(
        self,
        tasks: lambda_tasks.Tasks,
        *,
        timeout_seconds: int = lambda_tasks.DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        """Run ``tasks`` as Lambda would: a ``lambda_handler`` fed by their queues' events."""
        from canter.client import Client

        self._task_pumps += lambda_tasks.start_pumps(
            Client(self.api_url), tasks, timeout_seconds=timeout_seconds
        )

    @property
    def schedule_pump(self) -> SchedulePump | None:
        """What plays EventBridge Scheduler here (the test kit fires through it)."""
        return self._schedule_pump

    @property
    def changes(self) -> int:
        """Requests so far that may have changed state in moto (0 before start)."""
        return self._moto.changes if self._moto is not None else 0

    def save(self, *, final: bool = False) -> None:
        """Write a snapshot now if anything changed since the last one (or if ``final``)."""
        if self.state_dir is None or self._moto is None or self.stream_pump is None:
            return
        if self._moto.changes == self._saved_changes and not final:
            return
        with self._moto.exclusive():
            changes = self._moto.changes
            positions = self.stream_pump.positions()
            snapshot.trim_delivered(positions)
            data = snapshot.capture(positions, final=final)
        snapshot.write(self.state_dir, data)
        self._saved_changes = changes

    def stop(self) -> None:
        """Stop everything, save the state once more, give the process its environment back."""
        for part in (
            *self._task_pumps,
            self._schedule_pump,
            self._ttl_sweeper,
            self._gateway,
            self._timer_pump,
            self.stream_pump,
        ):
            if part is not None:
                part.stop()
        self._saving.set()
        if self._saver is not None:
            self._saver.join()
        try:
            self.save(final=True)
        finally:
            if self._moto is not None:
                self._moto.stop()
            self._release_state()
            for name, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            from canter_engine.handlers import runtime

            runtime.reset()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _save_often(self) -> None:
        while not self._saving.wait(self._snapshot_seconds):
            try:
                self.save()
            except Exception:
                log.exception("could not save the local state; trying again")

    def _claim_state(self) -> snapshot.Snapshot | None:
        """Lock the state directory for this process and read what it holds."""
        if self.state_dir is None:
            return None
        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = open(self.state_dir / LOCK_FILE, "a+")  # noqa: SIM115 held until stop()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise snapshot.StateRefused(
                f"another `canter dev` is using the state in {self.state_dir}; stop it, or "
                "give this one another --state-dir"
            ) from None
        self._lock_file = lock
        try:
            return snapshot.read(self.state_dir)
        except BaseException:
            self._release_state()
            raise

    def _release_state(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None


_ENV_NAMES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "POWERTOOLS_TRACE_DISABLED",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_LOG_LEVEL",
    resources.ENV_STAGE,
    resources.ENV_JOURNAL_TABLE,
    resources.ENV_STATE_TABLE,
    resources.ENV_METADATA_TABLE,
    resources.ENV_TASK_QUEUE_PREFIX,
    resources.ENV_PAYLOAD_BUCKET,
    resources.ENV_DYNAMIC_QUEUES,
    resources.ENV_TIMER_QUEUE_URL,
    resources.ENV_SCHEDULER_DLQ_URL,
    resources.ENV_TASK_TOKEN_SECRET,
    resources.ENV_EVENT_BUS,
)


def _task_token_secret(state_dir: Path) -> str:
    """The secret that signs task tokens, kept with the state it belongs to.

    Tasks in flight when the stack stops carry tokens signed with it; a
    restarted stack must accept their reports. Readable by its owner only.
    """
    path = state_dir / TASK_TOKEN_SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def _point_process_at(endpoint_url: str) -> None:
    """Configure this process the way infra configures the Lambda functions.

    Credentials are fixed dummies so that nothing in this process can reach
    a real AWS account by accident.
    """
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "canter-local",
            "AWS_SECRET_ACCESS_KEY": "canter-local",
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
            resources.ENV_STAGE: LOCAL_STAGE,
            resources.ENV_JOURNAL_TABLE: resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_STATE_TABLE: resources.STATE_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_METADATA_TABLE: resources.METADATA_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_TASK_QUEUE_PREFIX: resources.task_queue_prefix(LOCAL_STAGE),
            resources.ENV_PAYLOAD_BUCKET: resources.PAYLOAD_BUCKET.physical_name(LOCAL_STAGE),
            resources.ENV_DYNAMIC_QUEUES: "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
