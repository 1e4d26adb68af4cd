"""The dashboard's HTTP server: routes, templates, static assets and the API proxy.

It listens on loopback only and talks to the Canter API through
:class:`canter.Client` (SigV4-signed for a deployed API), so nothing new is
exposed on AWS: the browser only ever reaches this process. Because this
process holds the user's credentials, it defends the usual ways a web page
could borrow them: every request must name this server in ``Host`` (no DNS
rebinding), every POST must carry the per-process token a page of this
server gave out (no cross-site request forgery), and pages forbid framing
and scripts from anywhere else (Content-Security-Policy).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
import secrets
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from canter_engine.handlers.routes import ROUTES

from canter.client import CanterError, Client, NotFound, is_local
from canter.dashboard import pages, user_tasks
from canter.dashboard.pages import Page, PageFunction, Redirect, Request

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TOKEN_HEADER = "X-Canter-Dashboard-Token"
# The rpcs the proxy forwards: reading, operating runs and working on user
# tasks ("assignee" where the API has that role); never a worker's reports
# nor a change of definitions.
PROXIED_ROLES = frozenset({"reader", "operator", "assignee"})
PROXIED_RPCS = frozenset(
    r.rpc for r in ROUTES if not r.roles.isdisjoint(PROXIED_ROLES) and "worker" not in r.roles
)
MAX_BODY_BYTES = 6 * 1024 * 1024
LOCAL_POLL_MS = 1000
DEPLOYED_POLL_MS = 3000
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: with it Chromium sends "Origin: null" on the dashboard's own forms.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

log = logging.getLogger("canter.dashboard")

_SEGMENT = r"(?P<{}>[^/]+)"


def _route(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "^" + re.sub(r"<(\w+)>", lambda m: _SEGMENT.format(m.group(1)), pattern) + "$"
    )


GET_ROUTES: tuple[tuple[re.Pattern[str], PageFunction], ...] = (
    (_route("/"), pages.wf_runs),
    (_route("/wfruns"), pages.wf_runs),
    (_route("/wfruns/<id>"), pages.wf_run),
    (_route("/wfruns/<id>/live"), pages.wf_run_live),
    (_route("/wfspecs"), pages.wf_specs),
    (_route("/wfspecs/<name>"), pages.wf_spec),
    (_route("/taskdefs"), pages.task_defs),
    (_route("/taskdefs/<name>"), pages.task_def),
    (_route("/eventdefs"), pages.event_defs),
    (_route("/eventdefs/<name>"), pages.event_def),
    (_route("/usertasks"), user_tasks.inbox),
    (_route("/usertasks/<wf_run_id>/<guid>"), user_tasks.user_task),
)
POST_ROUTES: tuple[tuple[re.Pattern[str], PageFunction], ...] = (
    (_route("/wfruns/<id>/<action>"), pages.wf_run_action),
    (_route("/wfspecs/<name>/run"), pages.wf_spec_run),
    (_route("/<kind>/<name>/delete"), pages.definition_delete),
    (_route("/usertasks/<wf_run_id>/<guid>/<action>"), user_tasks.action),
)


def _templates() -> Any:
    try:
        import jinja2
    except ImportError:
        raise RuntimeError(
            "the dashboard renders with Jinja2, which is not installed; "
            "pip install 'canter[dashboard]'"
        ) from None
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env


class Dashboard:
    """The dashboard for one Canter API, served on ``host:port`` (0: any free port)."""

    def __init__(
        self,
        api_url: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        poll_ms: int | None = None,
        client: Client | None = None,
    ) -> None:
        self.api_url = api_url
        self.client = client or Client(api_url, timeout=30)
        self.token = secrets.token_urlsafe(24)
        # A running WfRun's page asks again every second locally; every 3 s of
        # a deployed API, where each look is seven paid API Gateway requests.
        self.poll_ms = poll_ms or (LOCAL_POLL_MS if is_local(api_url) else DEPLOYED_POLL_MS)
        self._templates = _templates()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        # Daemon handler threads: stopping does not wait for a browser to close
        # the connections it keeps open between requests.
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        bound_host, bound_port = str(self._server.server_address[0]), self._server.server_port
        self.port = int(bound_port)
        self.url = f"http://{bound_host}:{self.port}/"
        self.allowed_hosts = {f"{h}:{self.port}" for h in (bound_host, "localhost", "127.0.0.1")}

    def start(self) -> Dashboard:
        # Short polls: `canter dev` waits for this loop to notice a stop.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="canter-dashboard",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def render(self, page: Page) -> bytes:
        template = self._templates.get_template(page.template)
        context = {
            "api_url": self.api_url,
            "csrf": self.token,
            "poll_ms": self.poll_ms,
            "notice": "",
            "flash_error": "",
            **page.context,
        }
        return str(template.render(context)).encode()


def _handler_for(dashboard: Dashboard) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        pass

    Handler.dashboard = dashboard
    return Handler


class _Handler(BaseHTTPRequestHandler):
    dashboard: Dashboard
    server_version = "canter-dashboard"
    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle kept-alive connection is closed after a minute

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path, query = self._path_and_query()
        if path.startswith("/static/"):
            self._static(path.removeprefix("/static/"))
            return
        self._dispatch(GET_ROUTES, path, query, {})

    def do_POST(self) -> None:
        if not self._host_ok():
            return
        path, query = self._path_and_query()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._plain(413, "request too large")
            return
        raw = self.rfile.read(length)
        if not self._same_origin():
            self._plain(403, "cross-origin requests are refused")
            return
        if path.startswith("/api/"):
            self._proxy(path.removeprefix("/api/"), raw)
            return
        form = dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
        if not secrets.compare_digest(form.get("csrf", ""), self.dashboard.token):
            self._plain(403, "this form is from another dashboard session; reload the page")
            return
        self._dispatch(POST_ROUTES, path, query, form)

    # --- pages -----------------------------------------------------------------------

    def _dispatch(
        self,
        routes: tuple[tuple[re.Pattern[str], PageFunction], ...],
        path: str,
        query: Mapping[str, str],
        form: Mapping[str, str],
    ) -> None:
        for pattern, function in routes:
            match = pattern.match(path)
            if match is None:
                continue
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            request = Request(self.dashboard.client, params, query, form)
            try:
                try:
                    answer = function(request)
                except CanterError as exc:
                    answer = _error_page(exc)
                self._answer(answer, query)
            except Exception:
                log.exception("dashboard page %s failed", path)
                self._plain(500, "the dashboard failed on this page; its log says why")
            return
        self._answer(
            Page("error.html", {"code": "NOT_FOUND", "message": f"no page {path}"}, 404), query
        )

    def _answer(self, answer: Page | Redirect, query: Mapping[str, str]) -> None:
        if isinstance(answer, Redirect):
            self._send(303, b"", "text/plain", {"Location": answer.location})
            return
        flash = {"notice": query.get("notice", ""), "flash_error": query.get("error", "")}
        page = Page(answer.template, {**flash, **answer.context}, answer.status)
        body = self.dashboard.render(page)
        self._send(page.status, body, "text/html; charset=utf-8")

    # --- the API proxy ----------------------------------------------------------------

    def _proxy(self, rpc: str, raw: bytes) -> None:
        """POST /api/<Rpc>: the request forwarded, signed when the API is deployed."""
        if not secrets.compare_digest(self.headers.get(TOKEN_HEADER, ""), self.dashboard.token):
            self._json(403, {"code": "PERMISSION_DENIED", "message": f"{TOKEN_HEADER} missing"})
            return
        if rpc not in PROXIED_RPCS:
            self._json(404, {"code": "NOT_FOUND", "message": f"the dashboard proxies no {rpc}"})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"code": "INVALID_ARGUMENT", "message": "the body is not JSON"})
            return
        if not isinstance(body, dict):
            self._json(400, {"code": "INVALID_ARGUMENT", "message": "the body is not an object"})
            return
        try:
            self._json(200, self.dashboard.client.call(rpc, body))
        except CanterError as exc:
            self._json(exc.status or 502, {"code": exc.code, "message": exc.message})

    # --- plumbing -----------------------------------------------------------------------

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.dashboard.allowed_hosts:
            return True
        self._plain(421, "this dashboard answers only at its own address")
        return False

    def _same_origin(self) -> bool:
        origin = self.headers.get("Origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc in self.dashboard.allowed_hosts

    def _path_and_query(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        return path, dict(parse_qsl(parts.query, keep_blank_values=False))

    def _static(self, name: str) -> None:
        target = (STATIC / name).resolve()
        if STATIC not in target.parents or not target.is_file():
            self._plain(404, f"no asset {name}")
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith("javascript"):
            kind += "; charset=utf-8"
        self._send(200, target.read_bytes(), kind, {"Cache-Control": "max-age=3600"})

    def _json(self, status: int, body: Mapping[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _plain(self, status: int, message: str) -> None:
        self._send(status, message.encode(), "text/plain; charset=utf-8")

    def _send(
        self, status: int, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> None:
        headers = {**SECURITY_HEADERS, **(extra or {})}
        headers["Content-Type"] = content_type
        headers["Content-Length"] = str(len(body))
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The browser left (a poll cut short by navigating away): nobody to answer.
            self.close_connection = True


def _error_page(exc: CanterError) -> Page:
    status = exc.status if 400 <= exc.status < 500 else 404 if isinstance(exc, NotFound) else 502
    return Page("error.html", {"code": exc.code, "message": exc.message}, status)
