"""An HTTP server that speaks to the API handler the way API Gateway's HTTP API does.

Each request becomes a payload-v2 proxy event, with the route key of the
route infra deploys for it (one per rpc of ``handlers/routes.py``); the handler's response
becomes the HTTP response. Bodies over API Gateway's own 10 MB limit are
refused here, as API Gateway would, before the handler sees them.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from canter_engine import resources
from canter_engine.handlers.routes import BY_RPC

from canter.local.lambda_context import LocalLambdaContext

log = logging.getLogger("canter.local")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
LISTEN_BACKLOG = 1024


class Gateway:
    def __init__(self, handler: Handler, host: str, port: int) -> None:
        gateway_handler = handler

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in one write, without waiting for an ACK:
            # Nagle's algorithm would hold the body back 40 ms on a kept-alive connection.
            wbufsize = -1
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                self._proxy()

            def do_GET(self) -> None:
                self._proxy()

            def log_message(self, format: str, *args: Any) -> None:
                log.debug(format, *args)

            def _proxy(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > API_GATEWAY_MAX_BODY_BYTES:
                    self._reply(413, {"message": "Request Entity Too Large"}, {})
                    self.close_connection = True
                    return
                raw = self.rfile.read(length) if length else b""
                event = _proxy_event(self.command, self.path, dict(self.headers), raw, host)
                context = LocalLambdaContext(
                    "canter-local-api", resources.API_FUNCTION.timeout_seconds
                )
                try:
                    response = gateway_handler(event, context)
                except Exception:
                    log.exception("API handler crashed")
                    self._reply(500, {"message": "Internal Server Error"}, {})
                    return
                body = response.get("body") or ""
                payload = (
                    base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
                )
                self._send(
                    int(response.get("statusCode", 200)), payload, response.get("headers") or {}
                )

            def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                headers = {"Content-Type": "application/json", **headers}
                self._send(status, json.dumps(body).encode(), headers)

            def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = _Server((host, port), RequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="canter-gateway", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    """One thread per connection, and a listen backlog deep enough for a burst.

    ``socketserver``'s default backlog is 5: a burst of concurrent clients
    (a worker pool reporting, a load test) overflows it and the kernel
    resets the connections it cannot queue. The kernel caps the value at
    ``net.core.somaxconn``.
    """

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    block_on_close = False


def _route_key(method: str, path: str) -> str:
    """The route API Gateway would match: one per rpc of ROUTES, else the catch-all."""
    if method != "POST":
        return "$default"
    return f"POST {path}" if path.lstrip("/") in BY_RPC else "POST /{rpc}"


def _proxy_event(
    method: str, target: str, headers: dict[str, str], raw: bytes, host: str
) -> dict[str, Any]:
    parts = urlsplit(target)
    route_key = _route_key(method, parts.path)
    try:
        body, encoded = raw.decode(), False
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(raw).decode(), True
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body,
        "isBase64Encoded": encoded,
    }
