"""The client's connections: reused while the server keeps them, replaced when it does not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from canter.transport import Transport


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Close each connection after its first answer without saying so.
    drop_after_answer = False

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if self.server.drop_after_answer:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    found = _Server()
    thread = threading.Thread(target=found.serve_forever, daemon=True)
    thread.start()
    yield found
    found.shutdown()
    found.server_close()


def _url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}/Echo"


def test_requests_share_one_connection(server: _Server) -> None:
    transport = Transport()
    answers = [transport.post(_url(server), b"%d" % n, {}, 5).body for n in range(3)]
    assert answers == [b"0", b"1", b"2"]
    assert server.connections == 1


def test_a_connection_the_server_closed_is_replaced_and_nothing_is_sent_twice(
    server: _Server,
) -> None:
    server.drop_after_answer = True
    transport = Transport()
    answers = []
    for n in range(3):
        answers.append(transport.post(_url(server), b"%d" % n, {}, 5).body)
        time.sleep(0.1)  # the connection lies idle while the server closes it
    assert answers == [b"0", b"1", b"2"]
    assert server.requests == [b"0", b"1", b"2"]
    assert server.connections == 3


def test_each_thread_has_its_own_connection(server: _Server) -> None:
    transport = Transport()
    done: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: done.append(transport.post(_url(server), b"x", {}, 5).body))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == [b"x"] * 3
    assert server.connections == 3


def test_an_unreachable_server_is_an_os_error() -> None:
    with pytest.raises(OSError):
        Transport().post("http://127.0.0.1:9/Echo", b"{}", {}, 2)
