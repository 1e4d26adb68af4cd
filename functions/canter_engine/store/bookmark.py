"""A page's bookmark: the key to read on from, as proto3 JSON writes ``bytes``.

Standard base64 of compact JSON, so that a LittleHorse client that parsed a
page and sends its bookmark back sends exactly what Canter wrote. Each store
checks that a decoded bookmark belongs to the listing it is given to.
"""

from __future__ import annotations

import base64
import json
from typing import Any


def encode(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(raw.encode()).decode()


def decode(bookmark: str) -> Any:
    """The key a bookmark holds; ValueError for one that is not base64 JSON."""
    try:
        return json.loads(base64.b64decode(bookmark.encode(), validate=True))
    except (ValueError, UnicodeError) as exc:
        raise ValueError("not a bookmark") from exc
