"""How commands find ``canter dev``: its ``dev.json``, from any directory below its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from canter import Client, discovery


@pytest.fixture(autouse=True)
def _no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(discovery.ENV_API_URL, raising=False)
    monkeypatch.delenv(discovery.ENV_STATE_DIR, raising=False)


def test_a_client_in_a_subdirectory_finds_the_stack_of_its_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = discovery.DevUrls("http://127.0.0.1:8811", "http://127.0.0.1:8812", os.getpid())
    discovery.write_urls(tmp_path / ".canter", urls)
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "src" / "pkg")
    assert Client().url == "http://127.0.0.1:8811"
    monkeypatch.setenv(discovery.ENV_API_URL, "http://127.0.0.1:9999")
    assert Client().url == "http://127.0.0.1:9999"  # the variable wins


def test_the_urls_of_a_stack_that_died_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    urls = discovery.DevUrls("http://127.0.0.1:8811", "http://127.0.0.1:8812", int(gone.stdout))
    discovery.write_urls(tmp_path / ".canter", urls)
    monkeypatch.chdir(tmp_path)
    assert Client().url == discovery.DEFAULT_LOCAL_URL


def test_canter_state_dir_names_the_directory_to_look_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = discovery.DevUrls("http://127.0.0.1:8811", "http://127.0.0.1:8812", os.getpid())
    discovery.write_urls(tmp_path / "elsewhere", urls)
    monkeypatch.chdir(tmp_path)
    assert discovery.find_urls() is None
    monkeypatch.setenv(discovery.ENV_STATE_DIR, str(tmp_path / "elsewhere"))
    assert discovery.find_urls() == urls
    discovery.remove_urls(tmp_path / "elsewhere")
    assert discovery.find_urls() is None
