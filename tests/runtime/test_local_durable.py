"""A durable ``canter dev``: restarts lose nothing; addresses are stable; workers reconnect.

Each test runs ``canter dev`` as its own process with a state directory, as a
user does, and restarts it: gracefully (SIGTERM) or by ``kill -9``. Before the
restart there are WfRuns waiting on a task nobody serves yet, an event, a
sleep, a halt, and an event posted before its WfRun waits for it; after it
they all carry on to COMPLETED.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.local.snapshot import STATE_FILE

from .support import register, worker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TASK = "durable-double"
EVENT = "durable-go"
HALT_EVENT = "durable-halt-go"


def double(n: int) -> int:
    return n * 2


def on_task(t: WorkflowThread) -> None:
    t.execute(TASK, t.declare_int("n", 21))


def on_event(t: WorkflowThread) -> None:
    t.wait_for_event(EVENT)


def on_sleep(t: WorkflowThread) -> None:
    t.sleep_seconds(3)


def on_halt(t: WorkflowThread) -> None:
    t.wait_for_event(HALT_EVENT)


def on_early_event(t: WorkflowThread) -> None:
    t.sleep_seconds(2)
    t.wait_for_event(EVENT)


def _dev(*args: object) -> list[str]:
    return [sys.executable, "-m", "canter.cli", "dev", *map(str, args)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dev:
    """``canter dev`` on fixed ports with a state directory, restartable."""

    state: Path
    port: int
    aws_port: int
    process: subprocess.Popen[str] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> list[str]:
        self.process = subprocess.Popen(
            _dev("--port", self.port, "--aws-port", self.aws_port, "--state-dir", self.state),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        lines = []
        for line in self.process.stdout:
            lines.append(line.strip())
            if line.strip() == "ready":
                return lines
        raise AssertionError(f"canter dev did not start: {self.process.stderr.read()}")  # type: ignore[union-attr]

    def stop(self, how: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(how)
        self.process.wait(timeout=90)
        assert self.process.stdout is not None and self.process.stderr is not None
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[Dev]:
    running = Dev(tmp_path / "state", _free_port(), _free_port())
    yield running
    if running.process is not None and running.process.poll() is None:
        running.stop(signal.SIGKILL)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["graceful", "kill-9"])
def test_wf_runs_in_every_waiting_state_carry_on_after_a_restart(
    dev: Dev, how: signal.Signals
) -> None:
    assert "Canter state: " in dev.start()[0]
    client = Client(dev.api_url, timeout=10)
    client.put_task_def({"name": TASK, "inputVars": [{"name": "n", "type": "INT"}]})
    register(client, "durable-task", on_task)
    register(client, "durable-event", on_event, events=(EVENT,))
    register(client, "durable-sleep", on_sleep)
    register(client, "durable-halt", on_halt, events=(HALT_EVENT,))
    register(client, "durable-early", on_early_event)
    runs = {name: client.run_wf(f"durable-{name}")["id"]["id"] for name in
            ("task", "event", "sleep", "halt", "early")}  # fmt: skip
    client.put_external_event(runs["early"], EVENT, "early")
    client.wait_for_wf_run(runs["halt"], ["RUNNING"], timeout=10)
    client.stop_wf_run(runs["halt"])
    client.wait_for_wf_run(runs["halt"], ["HALTED"], timeout=10)
    time.sleep(1.5)  # a snapshot is at most about a second old; kill -9 loses nothing older
    dev.stop(how)

    assert (dev.state / STATE_FILE).exists()
    assert "(restored)" in dev.start()[0]
    assert client.get_wf_spec("durable-task")["id"]["name"] == "durable-task"
    assert client.get_wf_run(runs["halt"])["status"] == "HALTED"
    client.resume_wf_run(runs["halt"])
    client.put_external_event(runs["halt"], HALT_EVENT, "go")
    client.put_external_event(runs["event"], EVENT, "go")
    with worker(client, {TASK: double}):
        for name, wf_run_id in runs.items():
            wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
            assert wf_run["status"] == "COMPLETED", name
    dev.stop(signal.SIGTERM)


def test_state_of_another_format_is_refused_with_what_to_do(dev: Dev) -> None:
    dev.state.mkdir()
    (dev.state / STATE_FILE).write_bytes(b'{"format": 0, "moto": "4.0"}\n')
    result = subprocess.run(
        _dev("--port", dev.port, "--state-dir", dev.state),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "was written in state format 0" in result.stderr
    assert "--in-memory" in result.stderr and "delete" in result.stderr


def test_commands_find_canter_dev_through_its_state_directory(
    dev: Dev, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev.start()
    monkeypatch.delenv("CANTER_API_URL", raising=False)
    monkeypatch.setenv("CANTER_STATE_DIR", str(dev.state))
    assert Client().url == dev.api_url
    found = subprocess.run(
        [sys.executable, "-m", "canter.cli", "get", "wfSpec", "durable-nothing"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert found.returncode == 3, found.stderr  # NOT_FOUND: the stack answered
    dev.stop(signal.SIGTERM)
    assert Client().url == "http://127.0.0.1:8787"  # a stopped stack leaves no address behind


def test_a_cannot_reach_error_names_canter_dev_and_the_variable() -> None:
    with pytest.raises(Exception, match=r"`canter dev`.*CANTER_API_URL"):
        Client(f"http://127.0.0.1:{_free_port()}", timeout=2).get_wf_run("x")


def test_a_worker_survives_a_restart_with_one_line_and_no_traceback(
    dev: Dev, caplog: pytest.LogCaptureFixture
) -> None:
    dev.start()
    client = Client(dev.api_url, timeout=10)
    client.put_task_def({"name": TASK, "inputVars": [{"name": "n", "type": "INT"}]})
    register(client, "durable-task", on_task)
    caplog.set_level(logging.INFO, logger="canter.worker")
    with worker(client, {TASK: double}):
        first = client.run_wf("durable-task")["id"]["id"]
        assert client.wait_for_wf_run(first, timeout=30)["status"] == "COMPLETED"
        dev.stop(signal.SIGTERM)
        time.sleep(4)  # the worker keeps polling a stack that is not there
        dev.start()
        second = client.run_wf("durable-task")["id"]["id"]
        assert client.wait_for_wf_run(second, timeout=30)["status"] == "COMPLETED"
    lost = [r for r in caplog.records if "cannot receive" in r.getMessage()]
    assert len(lost) == 1
    assert any(
        "receiving from" in r.getMessage() and "again" in r.getMessage() for r in caplog.records
    )
    assert not [r for r in caplog.records if r.exc_info]


def chain_of_five(t: WorkflowThread) -> None:
    n = t.declare_int("n", 1)
    for _ in range(5):
        n.assign(t.execute(TASK, n))


def test_wf_runs_busy_at_a_kill_9_all_end_correctly(dev: Dev) -> None:
    """Killed mid-flight: the journal and the stream position come back together."""
    dev.start()
    client = Client(dev.api_url, timeout=10)
    client.put_task_def({"name": TASK, "inputVars": [{"name": "n", "type": "INT"}]})
    register(client, "durable-chain", chain_of_five)
    with worker(client, {TASK: double}, concurrency=8):
        runs = [client.run_wf("durable-chain", id=f"chain-{i}")["id"]["id"] for i in range(10)]
        time.sleep(1.5)
        dev.stop(signal.SIGKILL)
        assert "(restored)" in dev.start()[0]
        for wf_run_id in runs:
            client.run_wf("durable-chain", id=wf_run_id)  # a RunWf lost with the crash is retried
        for wf_run_id in runs:
            wf_run = client.wait_for_wf_run(wf_run_id, timeout=60)
            assert wf_run["status"] == "COMPLETED", wf_run_id
            assert client.get_variable(wf_run_id, "n") == 32
    dev.stop(signal.SIGTERM)


def test_a_large_value_survives_a_restart(dev: Dev) -> None:
    """The payload bucket is in the snapshot with the tables that reference it."""
    dev.start()
    client = Client(dev.api_url)
    register(client, "durable-large", lambda t: t.declare_str("data").required() and None)
    value = "L" * 1_000_000
    wf_run_id = client.run_wf("durable-large", {"data": value})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    dev.stop(signal.SIGTERM)
    dev.start()
    assert client.get_variable(wf_run_id, "data") == value


def test_schedules_fire_again_after_a_restart(dev: Dev) -> None:
    """issue 18: moto's EventBridge Scheduler is not in the saved state; the ScheduledWfRuns
    are, and ``canter dev`` makes their schedules again when it restores them."""
    dev.start()
    client = Client(dev.api_url, timeout=10)
    register(client, "durable-scheduled", lambda t: t.declare_int("n", 1) and None)
    client.schedule_wf("durable-scheduled", "0 0 * * *", id="durable-nightly")
    dev.stop(signal.SIGTERM)
    assert "(restored)" in dev.start()[0]
    eventbridge = boto3.client(
        "scheduler",
        endpoint_url=f"http://127.0.0.1:{dev.aws_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    made = eventbridge.get_schedule(Name="durable-nightly", GroupName="canter-local")
    assert made["ScheduleExpression"] == "cron(0 0 * * ? *)"
    assert client.search_scheduled_wf_run("durable-scheduled") == ["durable-nightly"]
    dev.stop(signal.SIGTERM)
