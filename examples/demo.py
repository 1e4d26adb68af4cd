"""``make demo``: the order workflow end to end on the local stack.

Starts ``canter dev`` and a ``canter worker`` as separate processes (as a
person would in two terminals), registers the workflow, runs an order,
sends its payment event when the WfRun waits for it, and prints each step
as the WfRun moves to COMPLETED. Exits non-zero if anything goes wrong.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from canter import Client, task_def_of  # noqa: E402

from examples.order.tasks import TASKS  # noqa: E402
from examples.order.workflow import NAME, PAYMENT_EVENT, WORKFLOW  # noqa: E402

TIMEOUT_SECONDS = 60


def main() -> int:
    processes: list[subprocess.Popen[str]] = []
    state = tempfile.mkdtemp(prefix="canter-demo-")  # the demo's stack keeps nothing after it
    try:
        dev = _spawn(["dev", "--port", "0", "--state-dir", state], os.environ.copy(), processes)
        settings = _wait_for_ready(dev)
        api_url = settings["CANTER_API_URL"]
        print(f"local stack ready: API {api_url}, AWS endpoint {settings['AWS_ENDPOINT_URL']}")
        client = Client(api_url)

        for fn in TASKS:
            request = task_def_of(fn)
            assert request is not None
            client.put_task_def(request)
        client.put_external_event_def(PAYMENT_EVENT)
        spec = client.put_wf_spec(WORKFLOW)
        spec_id = spec["id"]
        print(
            f"registered {len(TASKS)} TaskDefs, ExternalEventDef {PAYMENT_EVENT!r}, "
            f"WfSpec {spec_id['name']} v{spec_id.get('majorVersion', 0)}."
            f"{spec_id.get('revision', 0)}"
        )

        worker_env = {**os.environ, "AWS_ENDPOINT_URL": settings["AWS_ENDPOINT_URL"]}
        _spawn(
            ["worker", "examples.order.tasks:TASKS", "--api-url", api_url], worker_env, processes
        )
        print("worker started (canter worker examples.order.tasks:TASKS)\n")

        variables = {
            "order-id": "ord-1001",
            "items": ["sku-red-mug", "sku-blue-mug", "sku-teapot"],
            "item-count": 3,
            "total": 142.5,
        }
        started = time.monotonic()
        wf_run_id = client.run_wf(NAME, variables, id=f"ord-1001-{int(time.time())}")["id"]["id"]
        print(f"RunWf {NAME} -> WfRun {wf_run_id}")
        _follow(client, wf_run_id)
        wf_run = client.get_wf_run(wf_run_id)
        elapsed = time.monotonic() - started
        print(f"\nWfRun {wf_run_id}: {wf_run.get('status')} in {elapsed:.1f}s")
        for name, value in sorted(client.variables(wf_run_id).items()):
            print(f"  {name:<11} = {value!r}")
        return 0 if wf_run.get("status") == "COMPLETED" else 1
    except Exception as exc:
        print(f"demo failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        for process in reversed(processes):
            _stop(process)
        shutil.rmtree(state, ignore_errors=True)


def _follow(client: Client, wf_run_id: str) -> None:
    """Print every NodeRun as it changes; post the payment once the WfRun waits for it."""
    seen: dict[str, str] = {}
    posted = False
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        # Status first, then NodeRuns: the listing is never older than the status.
        wf_status = client.get_wf_run(wf_run_id).get("status")
        for node in client.list_node_runs(wf_run_id):
            key = f"{node['id'].get('threadRunNumber', 0)}/{node['id'].get('position', 0)}"
            status = node.get("status", "STARTING")
            if seen.get(key) == status:
                continue
            seen[key] = status
            output = _output(client, wf_run_id, node)
            print(f"  node {key:<5} {node['nodeName']:<36} {status:<9} {output}")
            if "externalEvent" in node and status == "RUNNING" and not posted:
                print(f"  ... WfRun waits for {PAYMENT_EVENT!r}: PutExternalEvent")
                client.put_external_event(
                    wf_run_id, PAYMENT_EVENT, {"method": "card", "amount": 142.5}, guid="pay-1"
                )
                posted = True
        if wf_status in ("COMPLETED", "ERROR", "EXCEPTION"):
            return
        time.sleep(0.1)
    raise TimeoutError(f"WfRun {wf_run_id} did not finish in {TIMEOUT_SECONDS}s")


def _output(client: Client, wf_run_id: str, node: dict[str, Any]) -> str:
    """A TASK node's output: its TaskRun's last attempt's (LittleHorse's NodeRun has none)."""
    task_run_id = node.get("task", {}).get("taskRunId")
    if task_run_id is None or node.get("status") != "COMPLETED":
        return ""
    attempts = client.get_task_run(wf_run_id, task_run_id["taskGuid"]).get("attempts") or [{}]
    output = attempts[-1].get("output")
    if not output:
        return ""
    ((_, value),) = output.items()
    return f"-> {value}"


def _spawn(
    args: list[str], env: dict[str, str], processes: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "canter.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE if args[0] == "dev" else subprocess.DEVNULL,
        stderr=None,
        text=True,
    )
    processes.append(process)
    return process


def _wait_for_ready(dev: subprocess.Popen[str]) -> dict[str, str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert dev.stdout is not None
        for line in dev.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    settings: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        if line is None:
            raise RuntimeError("canter dev exited before it was ready")
        if line == "ready":
            return settings
        key, sep, value = line.partition("=")
        if sep:
            settings[key] = value
    raise TimeoutError("canter dev did not print 'ready' within 30s")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    sys.exit(main())
