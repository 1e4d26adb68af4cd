"""GetServerVersion: which LittleHorse API this Canter serves.

A LittleHorse client asks it to learn what the server speaks. Canter answers
the LittleHorse release whose messages it implements (the littlehorse-client
version its wire contract is pinned to and tested against), and names itself
in ``preReleaseIdentifier`` so that a person reading the answer is not misled.
"""

from __future__ import annotations

from typing import Any

from canter_engine.handlers.api_parse import only
from canter_engine.handlers.runtime import Runtime

# littlehorse-client's version in pyproject.toml: the messages every answer parses into.
LITTLEHORSE_API = (1, 3, 0)
CANTER = "canter"


def get_server_version(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """LittleHorse's ``LittleHorseVersion`` of the API Canter serves."""
    del rt
    only(body, "GetServerVersion", ())
    major, minor, patch = LITTLEHORSE_API
    return {
        "majorVersion": major,
        "minorVersion": minor,
        "patchVersion": patch,
        "preReleaseIdentifier": CANTER,
    }
