"""moto's server on a fixed port, with a gate that lets its state be copied whole.

Every request runs holding the gate shared; :meth:`MotoServer.exclusive`
waits for the requests in progress and holds new ones back, so a snapshot of
moto's backends never sees half a request. SQS long polls would hold the
gate for up to 20 seconds, so a ``ReceiveMessage`` is answered by short
receives under the gate with the waiting done outside it.

The server is created in the caller's thread, so a port already in use is an
``OSError`` for the caller rather than a thread that dies quietly.

Connections are kept alive: werkzeug's development server closes every
connection, so each AWS call from the pumps, the handlers and the workers
paid a TCP connect and a new server thread (a fifth of the scheduler's time).
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

StartResponse = Callable[..., Any]
Environ = dict[str, Any]

# Requests that change nothing worth saving: a snapshot is skipped while only these ran.
_READS = frozenset(
    {
        "DynamoDB_20120810.GetItem",
        "DynamoDB_20120810.BatchGetItem",
        "DynamoDB_20120810.Query",
        "DynamoDB_20120810.Scan",
        "DynamoDB_20120810.DescribeTable",
        "DynamoDBStreams_20120810.DescribeStream",
        "DynamoDBStreams_20120810.GetShardIterator",
        "DynamoDBStreams_20120810.GetRecords",
        "DynamoDBStreams_20120810.ListStreams",
        "AmazonSQS.GetQueueAttributes",
        "AmazonSQS.GetQueueUrl",
        "AmazonSQS.ListQueues",
    }
)
_RECEIVE = "AmazonSQS.ReceiveMessage"


class Gate:
    """A readers-writer lock that prefers the writer: a snapshot is not starved."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writers_waiting = 0
        self._writing = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not (self._writing or self._writers_waiting))
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            self._cond.wait_for(lambda: not (self._writing or self._readers))
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class MotoServer:
    def __init__(self, host: str, port: int, *, short_poll_seconds: float = 0.02) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        class Dispatcher(DomainDispatcherApplication):
            """moto's dispatcher, remembering which backend serves a host.

            moto answers that by listing its package directory on every request,
            under the lock every request takes: a tenth of the stack's time.
            """

            known: dict[str | None, Any] = {}

            def get_backend_for_host(self, host: str | None) -> Any:
                if host not in self.known:
                    self.known[host] = super().get_backend_for_host(host)
                return self.known[host]

        self._app = Dispatcher(create_backend_app)
        self._gate = Gate()
        self._short_poll = short_poll_seconds
        self._changes = 0
        self._server: BaseWSGIServer = make_server(
            host, port, self._wsgi, threaded=True, request_handler=_keep_alive(MotoRequestHandler)
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="canter-moto", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def changes(self) -> int:
        """How many requests that may have changed state were served so far."""
        return self._changes

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No request runs inside this block."""
        with self._gate.exclusive():
            yield

    def _wsgi(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if target == _RECEIVE:
            return self._receive(environ, start_response)
        with self._gate.shared():
            body = b"".join(self._app(environ, start_response))
            if target not in _READS:
                self._changes += 1
        return [body]

    def _receive(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        """A long poll as short receives under the gate, waiting outside it."""
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        request = json.loads(raw or b"{}")
        wait = float(request.get("WaitTimeSeconds") or 0)
        short = json.dumps({**request, "WaitTimeSeconds": 0}).encode()
        deadline = time.monotonic() + wait
        captured: list[Any] = []

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            captured[:] = [status, headers, exc_info]
            return lambda _data: None

        while True:
            environ["wsgi.input"] = io.BytesIO(short)
            environ["CONTENT_LENGTH"] = str(len(short))
            with self._gate.shared():
                body = b"".join(self._app(environ, capture))
            received = captured[0].startswith("200") and _has_messages(body)
            if received:
                self._changes += 1
            if received or not captured[0].startswith("200") or time.monotonic() >= deadline:
                start_response(*captured)
                return [body]
            _wait_for_a_message(environ, request, self._short_poll)


def _wait_for_a_message(environ: Environ, request: dict[str, Any], timeout: float) -> None:
    """Until a message is sent to the queue (moto signals it) or ``timeout`` passes.

    Delayed messages and messages whose visibility ends are not signalled:
    the timeout catches them.
    """
    from moto.backends import get_backend

    credential = str(environ.get("HTTP_AUTHORIZATION", "")).partition("Credential=")[2]
    scope = credential.split("/")
    account, _, name = str(request.get("QueueUrl", "")).rstrip("/").rpartition("/")
    try:
        backend = get_backend("sqs")[account.rpartition("/")[2]][scope[2]]
        queue = backend.queues[name]
    except (IndexError, KeyError):
        time.sleep(timeout)
        return
    with queue._messages_lock:
        queue._messages_lock.wait(timeout)


def _has_messages(body: bytes) -> bool:
    try:
        return bool(json.loads(body).get("Messages"))
    except (ValueError, AttributeError):
        return True  # not the JSON protocol: answer as moto did


def _keep_alive(base: type[Any]) -> type[Any]:
    """moto's request handler answering on the same connection when it safely can.

    A request with a Content-Length is read whole before the app runs, so the
    next request line is where the stream stands afterwards; anything else
    (a chunked upload) is served by werkzeug, which closes the connection.
    """

    class KeepAliveHandler(base):  # type: ignore[misc]
        protocol_version = "HTTP/1.1"
        # Headers and body leave in one write, without waiting for an ACK:
        # Nagle's algorithm would hold the body back 40 ms on a kept-alive connection.
        wbufsize = -1
        disable_nagle_algorithm = True

        def run_wsgi(self) -> None:
            length = self.headers.get("Content-Length")
            if self.headers.get("Transfer-Encoding") or (
                length is None and self.command not in ("GET", "HEAD", "DELETE")
            ):
                self.close_connection = True
                super().run_wsgi()
                return
            body = self.rfile.read(int(length or 0))
            environ = self.make_environ()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            answer: list[Any] = []

            def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                answer[:] = [status, headers]
                return lambda _data: None

            try:
                result = self.server.app(environ, start_response)
                try:
                    payload = b"".join(result)
                finally:
                    getattr(result, "close", lambda: None)()
            except Exception:
                self.close_connection = True
                self.send_error(500, "moto failed on this request")
                return
            status, headers = answer
            code, _, reason = str(status).partition(" ")
            self.send_response(int(code), reason)
            head_length = None
            for name, value in headers:
                lowered = name.lower()
                if lowered == "content-length":
                    head_length = value
                elif lowered not in ("connection", "transfer-encoding"):
                    self.send_header(name, value)
            if self.command == "HEAD" and head_length is not None:
                self.send_header("Content-Length", head_length)
            else:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    return KeepAliveHandler
