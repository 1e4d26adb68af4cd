"""One ``canter dev`` (which serves the dashboard), a worker, and a headless Chromium.

The stack runs as its own process, as a user runs it, and as tests/cli runs
it: a LocalStack lives in process-wide state, so an in-process one would
collide with tests/runtime's in the same pytest run. The dashboard tested is
the one ``canter dev`` serves and announces on its ``dashboard:`` line.

The browser is Debian's ``chromium`` driven through its ``chromedriver``
(``make browser`` installs both). Without them the browser tests fail, loudly,
with what to install: they are never skipped.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from canter import Client

from tests.dashboard import flows
from tests.runtime.support import worker

ROOT = Path(__file__).resolve().parents[2]
# The README's screenshots are rewritten only by `make screenshots`; a test run
# shoots into a temporary directory so that it leaves the clone untouched.
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)


@dataclass(frozen=True)
class DevStack:
    api_url: str
    dashboard_url: str


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    """``canter dev --port 0`` while tests/dashboard runs, with its dashboard."""
    state = str(tmp_path_factory.mktemp("canter-dev"))
    command = ["dev", "--port", "0", "--in-memory", "--state-dir", state]
    process = subprocess.Popen(
        [sys.executable, "-m", "canter.cli", *command],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        lines = lines_until_ready(process)
        settings = dict(line.partition("=")[::2] for line in lines if "=" in line)
        dashboard = [line.split(" ", 1)[1] for line in lines if line.startswith("dashboard: ")]
        assert dashboard, f"canter dev printed no dashboard line: {lines}"
        yield DevStack(settings["CANTER_API_URL"], dashboard[0])
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)  # saving and stopping threads is slow on a loaded machine


def lines_until_ready(process: subprocess.Popen[str]) -> list[str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while (line := lines.get(timeout=max(deadline - time.monotonic(), 0.1))) != "ready":
        assert line is not None, f"canter dev exited before it was ready: {seen}"
        seen.append(line)
    return seen


@pytest.fixture(scope="package")
def client(stack: DevStack) -> Client:
    return Client(stack.api_url, timeout=10)


@pytest.fixture(scope="package")
def deployed(client: Client) -> Iterator[None]:
    """The approval workflow registered, its ExternalEventDefs too, a worker serving its tasks."""
    client.put_external_event_def(flows.APPROVED_EVENT)
    client.put_external_event_def(flows.CANCEL_EVENT)
    with worker(client, flows.TASKS, register_task_defs=True):
        client.put_wf_spec(flows.WORKFLOW)
        client.put_wf_spec(flows.FAILING_WORKFLOW)
        yield


def _find(env_name: str, *candidates: str) -> str | None:
    explicit = os.environ.get(env_name)
    if explicit:
        return explicit
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """A headless Chromium under Selenium, with a fresh profile; fails loudly without one."""
    chromium = _find("CANTER_CHROMIUM", "chromium", "chromium-browser")
    driver_path = _find("CANTER_CHROMEDRIVER", "chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail(
            "the dashboard's browser tests need Chromium and chromedriver, and found "
            f"chromium={chromium}, chromedriver={driver_path}: run `make browser` (as root it "
            "installs Debian's chromium and chromium-driver) or `sudo apt-get install chromium "
            "chromium-driver`, or set CANTER_CHROMIUM and CANTER_CHROMEDRIVER",
            pytrace=False,
        )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: pip install -e '.[dev]'", pytrace=False)
    profile = tempfile.mkdtemp(prefix="canter-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="package")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("CANTER_SCREENSHOTS") != "1":
        return tmp_path_factory.mktemp("screenshots")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
