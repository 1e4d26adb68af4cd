"""The dashboard's server: what it lets a browser do with the user's credentials, and what not.

It answers only at its own address (no DNS rebinding), acts only on forms
it handed out (no cross-site request forgery), proxies only reading and
operating rpcs, signs every call to a deployed API with SigV4, and
``canter dashboard`` listens on loopback only.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from canter import Client
from canter.cli import app
from canter.dashboard import Dashboard
from google.protobuf.json_format import ParseDict
from littlehorse.model import WfRun
from typer.testing import CliRunner

from tests.dashboard import flows
from tests.dashboard.conftest import DevStack, lines_until_ready

pytestmark = pytest.mark.e2e


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, str, Mapping[str, str]]:
    req = urllib.request.Request(url, data=data, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


def token_of(dashboard_url: str) -> str:
    """The per-process token a page of the dashboard hands out in its forms."""
    _, page, _ = request(f"{dashboard_url}wfspecs/{flows.APPROVAL}")
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_pages_forbid_framing_and_foreign_scripts(stack: DevStack, deployed: None) -> None:
    status, page, headers = request(stack.dashboard_url)

    assert status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "<script>" not in page  # every script is a file of the dashboard's own


def test_a_request_naming_another_host_is_refused(stack: DevStack) -> None:
    """A page of evil.example resolving its name to 127.0.0.1 gets nothing (DNS rebinding)."""
    status, body, _ = request(stack.dashboard_url, headers={"Host": "evil.example"})

    assert (status, body) == (421, "this dashboard answers only at its own address")


def test_an_action_without_the_dashboards_token_is_refused(
    stack: DevStack, client: Client, deployed: None
) -> None:
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.APPROVAL, {"request-id": "r", "amount": 500}, id=wf_run_id)
    form = b"confirmed=1&csrf=guessed"

    status, body, _ = request(f"{stack.dashboard_url}wfruns/{wf_run_id}/delete", data=form)

    assert status == 403 and "another dashboard session" in body
    assert client.get_wf_run(wf_run_id)["id"]["id"] == wf_run_id


def test_a_post_from_another_origin_is_refused_even_with_the_token(
    stack: DevStack, client: Client, deployed: None
) -> None:
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.APPROVAL, {"request-id": "r", "amount": 500}, id=wf_run_id)
    form = f"confirmed=1&csrf={token_of(stack.dashboard_url)}".encode()

    status, body, _ = request(
        f"{stack.dashboard_url}wfruns/{wf_run_id}/delete",
        data=form,
        headers={"Origin": "http://evil.example"},
    )

    assert (status, body) == (403, "cross-origin requests are refused")
    assert client.get_wf_run(wf_run_id)["id"]["id"] == wf_run_id


def test_an_action_asks_for_confirmation_before_it_acts(
    stack: DevStack, client: Client, deployed: None
) -> None:
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.APPROVAL, {"request-id": "r", "amount": 500}, id=wf_run_id)
    token = token_of(stack.dashboard_url)

    status, page, _ = request(
        f"{stack.dashboard_url}wfruns/{wf_run_id}/delete", data=f"csrf={token}".encode()
    )
    assert status == 200 and f"Delete WfRun {wf_run_id} and everything it recorded?" in page
    assert client.get_wf_run(wf_run_id)["id"]["id"] == wf_run_id

    status, page, _ = request(
        f"{stack.dashboard_url}wfruns/{wf_run_id}/delete",
        data=f"csrf={token}&confirmed=1".encode(),
    )
    assert status == 200 and f"Deleted WfRun {wf_run_id}" in page


def test_the_proxy_forwards_reads_with_the_token_and_nothing_else(
    stack: DevStack, client: Client, deployed: None
) -> None:
    wf_run_id = f"dash-{uuid.uuid4().hex[:12]}"
    client.run_wf(flows.APPROVAL, {"request-id": "r", "amount": 5}, id=wf_run_id)
    token = token_of(stack.dashboard_url)
    body = json.dumps({"id": wf_run_id}).encode()
    url = f"{stack.dashboard_url}api/GetWfRun"

    status, answer, _ = request(url, data=body, headers={"X-Canter-Dashboard-Token": token})
    assert status == 200
    ParseDict(json.loads(answer), WfRun())
    assert json.loads(answer)["id"]["id"] == wf_run_id

    assert request(url, data=body)[0] == 403
    refused = request(
        f"{stack.dashboard_url}api/ReportTask",
        data=b"{}",
        headers={"X-Canter-Dashboard-Token": token},
    )
    assert refused[0] == 404 and "proxies no ReportTask" in refused[1]
    missing = request(
        f"{stack.dashboard_url}api/GetWfRun",
        data=json.dumps({"id": "no-such-run"}).encode(),
        headers={"X-Canter-Dashboard-Token": token},
    )
    assert missing[0] == 404 and json.loads(missing[1])["code"] == "NOT_FOUND"


def test_assets_are_served_from_the_package_only(stack: DevStack) -> None:
    status, script, headers = request(f"{stack.dashboard_url}static/vendor/dagre.min.js")
    assert status == 200 and "javascript" in headers["Content-Type"]
    assert "graphlib" in script

    assert request(f"{stack.dashboard_url}static/../server.py")[0] == 404
    assert request(f"{stack.dashboard_url}static/%2e%2e/server.py")[0] == 404


def test_a_missing_run_is_a_404_page_saying_so(stack: DevStack) -> None:
    status, page, _ = request(f"{stack.dashboard_url}wfruns/no-such-run")

    assert status == 404
    assert "NOT_FOUND" in page


# --- a deployed API ----------------------------------------------------------------


class _FakeGateway(BaseHTTPRequestHandler):
    """Stands in for API Gateway (no AWS here): records each request's headers."""

    seen: list[Mapping[str, str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(dict(self.headers))
        body = json.dumps(
            {"id": {"id": "remote"}, "wfSpecId": {"name": "w"}, "status": "RUNNING"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def deployed_api() -> Iterator[str]:
    """An API at this machine's non-loopback address, which the client signs for."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect(("10.255.255.255", 1))  # no packet sent: only picks the outgoing address
    address = probe.getsockname()[0]
    probe.close()
    assert not address.startswith("127."), "this test needs a non-loopback interface"
    server = ThreadingHTTPServer(("0.0.0.0", 0), _FakeGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_calls_to_a_deployed_api_are_signed_with_the_users_credentials(
    deployed_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    _FakeGateway.seen.clear()
    board = Dashboard(deployed_api).start()
    assert board.poll_ms == 3000  # a look at a running WfRun costs API Gateway requests
    try:
        status, answer, _ = request(
            f"{board.url}api/GetWfRun",
            data=b'{"id": "remote"}',
            headers={"X-Canter-Dashboard-Token": board.token},
        )
    finally:
        board.stop()

    assert status == 200 and json.loads(answer)["id"]["id"] == "remote"
    (headers,) = _FakeGateway.seen
    assert headers["Authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"
    ) and headers["Authorization"].split("/")[2:4] == ["eu-west-1", "execute-api"]
    assert "X-Amz-Date" in headers


def test_canter_dashboard_listens_on_loopback_only() -> None:
    result = CliRunner().invoke(app, ["dashboard", "--host", "0.0.0.0"], prog_name="canter")

    assert result.exit_code != 0
    assert "loopback address only" in result.output


def test_canter_dashboard_serves_a_deployed_or_local_api(stack: DevStack) -> None:
    command = ["dashboard", "--port", "0", "--api-url", stack.api_url]
    process = subprocess.Popen(
        [sys.executable, "-m", "canter.cli", *command],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(2)]
        assert lines[0] == f"Canter API: {stack.api_url}"
        url = lines[1].removeprefix("dashboard: ")
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", url)
        status, page, _ = request(f"{url}wfspecs")
        assert status == 200 and flows.APPROVAL in page
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_canter_dev_takes_another_port_when_its_dashboards_is_taken(tmp_path: Any) -> None:
    with socket.socket() as api_probe, socket.socket() as taken:
        api_probe.bind(("127.0.0.1", 0))
        api_port = api_probe.getsockname()[1]
        api_probe.close()
        taken.bind(("127.0.0.1", api_port + 2))
        taken.listen()
        command = ["dev", "--port", str(api_port), "--aws-port", "0", "--in-memory"]
        process = subprocess.Popen(
            [sys.executable, "-m", "canter.cli", *command, "--state-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            lines = lines_until_ready(process)
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)
    (url,) = [line.removeprefix("dashboard: ") for line in lines if line.startswith("dashboard:")]
    assert not url.endswith(f":{api_port + 2}/")
