"""API behaviour beyond single workflows: versions, idempotent metadata, signing, `canter dev`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.client import AlreadyExists, InvalidArgument, NotFound

from .support import Names, register


def versioned(extra_required: bool, note: str) -> object:
    def body(t: WorkflowThread) -> None:
        t.declare_int("a").required()
        if extra_required:
            t.declare_int("b").required()
        t.declare_str("note", note)

    return body


def test_wf_spec_versions_follow_littlehorse(client: Client, names: Names) -> None:
    name = names("wf")

    def put(extra_required: bool, note: str) -> tuple[int, int]:
        spec = client.put_wf_spec(Workflow(name, versioned(extra_required, note)).compile())  # type: ignore[arg-type]
        return spec["id"].get("majorVersion", 0), spec["id"].get("revision", 0)

    assert put(False, "x") == (0, 0)
    assert put(False, "x") == (0, 0)
    assert put(False, "y") == (0, 1)
    assert put(True, "y") == (1, 0)
    assert client.get_latest_wf_spec(name)["id"] == {"name": name, "majorVersion": 1}
    assert client.get_latest_wf_spec(name, major_version=0)["id"]["revision"] == 1
    run = client.run_wf(name, {"a": 1}, major_version=0, revision=0)
    assert run["wfSpecId"] == {"name": name}
    with pytest.raises(NotFound):
        client.get_wf_spec(name, 7, 0)


def test_task_defs_are_immutable_but_safe_to_put_again(client: Client, names: Names) -> None:
    request = {"name": names("t"), "inputVars": [{"name": "x", "type": "INT"}]}
    first = client.put_task_def(request)
    assert client.put_task_def(request) == first
    assert client.get_task_def(names("t")) == first
    queue = client.get_task_def_queue(names("t"))
    assert queue["taskQueue"] == names("t") and queue["queueUrl"].endswith(names("t"))
    with pytest.raises(AlreadyExists, match="new name"):
        client.put_task_def({**request, "inputVars": []})


def test_requests_to_a_deployed_api_are_sigv4_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    from canter.client import _Signer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    url = "https://abc123.execute-api.eu-west-1.amazonaws.com/GetWfRun"
    headers = _Signer(url).sign(url, b"{}", {"Content-Type": "application/json"})
    assert "/eu-west-1/execute-api/aws4_request" in headers["Authorization"]
    assert Client("http://127.0.0.1:1")._signer is None


def test_canter_dev_prints_ready_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    dev = subprocess.Popen(
        [sys.executable, "-m", "canter.cli", "dev", "--port", "0", "--state-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert dev.stdout is not None
        lines: dict[str, str] = {}
        for line in dev.stdout:
            key, _, value = line.strip().partition("=")
            lines[key] = value
            if line.strip() == "ready":
                break
        assert lines["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        with pytest.raises(NotFound):
            Client(lines["CANTER_API_URL"]).get_wf_run("nothing-here")
        started = time.monotonic()
        dev.send_signal(signal.SIGINT)
        assert dev.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
    finally:
        if dev.poll() is None:
            dev.kill()


def test_listings_are_paged_with_bookmarks(client: Client, names: Names) -> None:
    register(
        client, names("wf"), lambda t: t.declare_int("a", 1) and t.declare_int("b", 2) and None
    )
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, timeout=10)
    first = client.call("ListVariables", {"wfRunId": {"id": wf_run_id}, "limit": 1})
    assert [v["id"]["name"] for v in first["results"]] == ["a"]
    second = client.call(
        "ListVariables", {"wfRunId": {"id": wf_run_id}, "limit": 1, "bookmark": first["bookmark"]}
    )
    assert [v["id"]["name"] for v in second["results"]] == ["b"]
    with pytest.raises(InvalidArgument, match="bookmark"):
        client.call("ListNodeRuns", {"wfRunId": {"id": wf_run_id}, "bookmark": first["bookmark"]})
