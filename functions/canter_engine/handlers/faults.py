"""Named points at the scheduler's and the API's I/O boundaries where tests inject crashes.

The fault tests of invariants 1-4 install a hook that raises at one point,
then let the event source redeliver the batch (scheduler) or the worker
send its report again (API). With no hook installed (every
deployment) reaching a point costs one attribute read.
"""

from __future__ import annotations

from collections.abc import Callable

BEFORE_WRITES = "scheduler.before_writes"
BEFORE_COMMIT = "scheduler.before_commit"
AFTER_COMMIT = "scheduler.after_commit"
BEFORE_SEND = "scheduler.before_send"
BETWEEN_EFFECTS = "scheduler.between_effects"
DURING_DELETE = "scheduler.during_delete"
REPORT_BEFORE_APPEND = "api.report.before_append"
REPORT_AFTER_APPEND = "api.report.after_append"

SCHEDULER_POINTS = (BEFORE_WRITES, BEFORE_COMMIT, AFTER_COMMIT, BEFORE_SEND, BETWEEN_EFFECTS)
API_POINTS = (REPORT_BEFORE_APPEND, REPORT_AFTER_APPEND)

Hook = Callable[[str], None]

_hook: Hook | None = None


def install(hook: Hook | None) -> None:
    global _hook
    _hook = hook


def reach(point: str) -> None:
    if _hook is not None:
        _hook(point)
