"""One local stack per test session: moto's server, the pumps and the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from canter import Client
from canter.local import LocalStack

from .support import Names


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(port=0).start()
    yield local
    local.stop()


@pytest.fixture(scope="session")
def client(stack: LocalStack) -> Client:
    return Client(stack.api_url, timeout=10)


@pytest.fixture
def names(request: pytest.FixtureRequest) -> Names:
    """Unique TaskDef/WfSpec names per test, so tests sharing the stack never share a queue."""
    return Names(request.node.name)
