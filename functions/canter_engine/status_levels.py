"""``CANTER_STATUS_EVENTS``: which WfSpecs publish status events, and how much.

Read by the scheduler (handlers/status_events.py) and by ``infra/`` when it
checks ``cdk.json``, so it imports nothing of either.
"""

from __future__ import annotations

# Every WfRun status change (LittleHorse's WfRun output-topic records).
STATUS = "status"
# Also every change of the WfRun's entities (LittleHorse's ALL_ENTITY_EVENTS).
ALL = "all"
LEVELS = (STATUS, ALL)


def parse(raw: str) -> dict[str, str]:
    """``name[:level],...`` -> WfSpec name (or ``*``) -> level; ValueError for a bad level."""
    levels: dict[str, str] = {}
    for part in raw.split(","):
        name, _, level = part.strip().partition(":")
        name, level = name.strip(), level.strip() or STATUS
        if not name:
            continue
        if level not in LEVELS:
            raise ValueError(f"status events of {name!r}: level {level!r} is not one of {LEVELS}")
        levels[name] = ALL if ALL in (level, levels.get(name)) else STATUS
    return levels
