"""The local gateway under a burst: every connection is accepted and answered."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

import pytest
from canter.local import LocalStack

pytestmark = pytest.mark.e2e

CONNECTIONS = 200


def test_200_concurrent_connections_are_all_answered(stack: LocalStack) -> None:
    """Issue 11 item 8: 100 concurrent requests used to get ~60 connection resets."""
    url = urlsplit(stack.api_url)
    start = threading.Barrier(CONNECTIONS)
    statuses: list[int] = []
    failures: list[OSError] = []

    def one(index: int) -> None:
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        try:
            start.wait()
            connection.request("POST", "/GetWfRun", body=f'{{"id": "burst-{index}"}}')
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        except OSError as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert statuses == [404] * CONNECTIONS


def test_events_carry_the_route_key_api_gateway_would_match() -> None:
    """One route per rpc, as infra/api.py deploys; other names reach the catch-all."""
    from canter.local.gateway import _proxy_event

    def key(method: str, path: str) -> str:
        return str(_proxy_event(method, path, {}, b"{}", "localhost")["routeKey"])

    assert key("POST", "/RunWf") == "POST /RunWf"
    assert key("POST", "/LaunchRocket") == "POST /{rpc}"
    assert key("GET", "/RunWf") == "$default"
