"""Named points at the scheduler's I/O boundaries where tests inject crashes.

The fault tests of invariants 1-4 install a hook that raises at one point,
then let the event source redeliver the batch. With no hook installed (every
deployment) reaching a point costs one attribute read.
"""

from __future__ import annotations

from collections.abc import Callable

BEFORE_WRITES = "scheduler.before_writes"
BEFORE_COMMIT = "scheduler.before_commit"
AFTER_COMMIT = "scheduler.after_commit"
BETWEEN_EFFECTS = "scheduler.between_effects"

Hook = Callable[[str], None]

_hook: Hook | None = None


def install(hook: Hook | None) -> None:
    global _hook
    _hook = hook


def reach(point: str) -> None:
    if _hook is not None:
        _hook(point)
