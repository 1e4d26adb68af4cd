"""HTTP POSTs over connections kept open, one per thread and host.

urllib opens a connection per request: against API Gateway that is a TLS
handshake per rpc, and a worker reporting every task paid it on each report.
A connection is reused while the server keeps it; one the server has closed
since (a restarted ``canter dev``, an idle timeout) is noticed before the
request is sent and replaced, so no request is sent twice.
"""

from __future__ import annotations

import http.client
import select
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


class Transport:
    def __init__(self) -> None:
        self._local = threading.local()

    def post(self, url: str, data: bytes, headers: Mapping[str, str], timeout: float) -> Answer:
        """One POST; OSError when the server cannot be reached or drops the request."""
        parts = urlsplit(url)
        origin = (parts.scheme, parts.hostname or "", parts.port)
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        connection = self._connection(origin, timeout)
        try:
            connection.request("POST", path, body=data, headers=dict(headers))
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._drop(origin)
            if isinstance(exc, OSError):
                raise
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from None
        if response.will_close:
            self._drop(origin)
        return Answer(response.status, body)

    def _connection(
        self, origin: tuple[str, str, int | None], timeout: float
    ) -> http.client.HTTPConnection:
        pool: dict[tuple[str, str, int | None], http.client.HTTPConnection]
        pool = self._local.__dict__.setdefault("pool", {})
        connection = pool.get(origin)
        if connection is not None and _closed_by_server(connection):
            connection.close()
            connection = None
        if connection is None:
            scheme, host, port = origin
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            connection = kind(host, port, timeout=timeout)
            pool[origin] = connection
        else:
            connection.timeout = timeout
            if connection.sock is not None:
                connection.sock.settimeout(timeout)
        return connection

    def _drop(self, origin: tuple[str, str, int | None]) -> None:
        pool = self._local.__dict__.get("pool", {})
        connection = pool.pop(origin, None)
        if connection is not None:
            connection.close()


def _closed_by_server(connection: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that reads as ready has been closed (or broken) by the server."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)
