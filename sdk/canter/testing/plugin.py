"""The pytest plugin (entry point ``pytest11``): the ``canter_env`` fixture.

Loaded into every pytest run of a project that installs Canter, so it imports
nothing heavy until a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from canter.testing.env import TestEnv


@pytest.fixture
def canter_env() -> Iterator[TestEnv]:
    """A started :class:`canter.testing.TestEnv`: register workflows and tasks, run, advance."""
    from canter.testing.env import TestEnv

    with TestEnv() as env:
        yield env
