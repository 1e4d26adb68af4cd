"""The one exception a workflow author sees, located at the author's own line.

A builder error raised deep inside Canter is useless if its traceback ends in
Canter's code: the message names the first frame outside the SDK, which is the
line of the workflow definition that made the mistake.
"""

from __future__ import annotations

import sys
from pathlib import Path

_SDK_DIR = Path(__file__).resolve().parent.parent


def _is_sdk_file(filename: str) -> bool:
    try:
        Path(filename).resolve().relative_to(_SDK_DIR)
    except ValueError:
        return False
    return True


def user_location() -> tuple[str, int]:
    """The file and line of the innermost caller outside the Canter SDK."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not _is_sdk_file(filename):
            return filename, frame.f_lineno
        next_frame = frame.f_back
        if next_frame is None:
            break
        frame = next_frame
    return "<unknown>", 0


class WorkflowDefinitionError(Exception):
    """A mistake in a workflow or TaskDef definition, found before anything runs."""

    def __init__(self, message: str, location: tuple[str, int] | None = None) -> None:
        """``location`` is for mistakes found later than the line that made them."""
        self.filename, self.lineno = location or user_location()
        self.reason = message
        super().__init__(f"{self.filename}:{self.lineno}: {message}")


class RuntimeValueAsBoolError(WorkflowDefinitionError, TypeError):
    """A value known only when the workflow runs was used where Python needs a bool.

    ``a.is_greater_than(1) and a.is_less_than(5)`` would otherwise compile to
    the second condition alone, silently; it is also a ``TypeError``, as the
    Python data model expects of ``__bool__``.
    """
