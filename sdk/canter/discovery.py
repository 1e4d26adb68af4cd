"""Where a running ``canter dev`` can be found: its URLs, in its state directory.

``canter dev`` writes ``dev.json`` (API URL, AWS endpoint, its pid) into its
state directory when it is ready and removes it when it stops. Every other
command and :class:`canter.Client` read it when ``CANTER_API_URL`` is not
set, so ``canter dev --port 8811`` needs no further configuration. The file
is looked for in ``CANTER_STATE_DIR`` if set, else in ``.canter/`` of the
working directory or of its nearest parent that has one, the way git finds
its repository. A file left by a stack that died (its pid is gone) is
ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ENV_API_URL = "CANTER_API_URL"
ENV_STATE_DIR = "CANTER_STATE_DIR"
DEFAULT_STATE_DIR = ".canter"
DEFAULT_LOCAL_URL = "http://127.0.0.1:8787"
URLS_FILE = "dev.json"


@dataclass(frozen=True, slots=True)
class DevUrls:
    api_url: str
    aws_endpoint_url: str
    pid: int


def state_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The state directory ``canter dev`` uses: the flag, ``CANTER_STATE_DIR``, or ``.canter``."""
    return Path(explicit or os.environ.get(ENV_STATE_DIR) or DEFAULT_STATE_DIR)


def write_urls(directory: Path, urls: DevUrls) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / URLS_FILE
    temporary = target.with_suffix(".tmp")
    temporary.write_text(
        json.dumps(
            {"apiUrl": urls.api_url, "awsEndpointUrl": urls.aws_endpoint_url, "pid": urls.pid}
        )
    )
    os.replace(temporary, target)


def remove_urls(directory: Path) -> None:
    (directory / URLS_FILE).unlink(missing_ok=True)


def find_urls(start: Path | None = None) -> DevUrls | None:
    """The URLs of a live ``canter dev`` for this directory, if there is one."""
    configured = os.environ.get(ENV_STATE_DIR)
    if configured:
        candidates = [Path(configured)]
    else:
        here = (start or Path.cwd()).resolve()
        candidates = [folder / DEFAULT_STATE_DIR for folder in (here, *here.parents)]
    for directory in candidates:
        urls = _read(directory / URLS_FILE)
        if urls is not None:
            return urls
    return None


def api_url() -> str:
    """``CANTER_API_URL``, else the running ``canter dev``'s, else the default local URL."""
    explicit = os.environ.get(ENV_API_URL)
    if explicit:
        return explicit
    found = find_urls()
    return found.api_url if found is not None else DEFAULT_LOCAL_URL


def _read(path: Path) -> DevUrls | None:
    try:
        data = json.loads(path.read_text())
        urls = DevUrls(str(data["apiUrl"]), str(data["awsEndpointUrl"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return urls if _alive(urls.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
