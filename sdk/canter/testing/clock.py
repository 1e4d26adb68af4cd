"""The test kit's clock: wall time plus an offset that only moves forward.

Everything that decides when something is due reads it: the handlers and the
worker through ``time.time``, moto's SQS (message delays, visibility,
first-receive stamps) through ``moto.core.utils.utcnow``. Moving the offset
therefore makes sleeps, event timeouts, retry backoffs and task timeouts due
exactly as if that much time had passed, through the same code paths as a
real wait. Intervals (``time.monotonic``, thread waits) stay real.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()
        self._real_time: Callable[[], float] = time.time
        self._saved: list[tuple[Any, str, Any]] = []

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def time(self) -> float:
        return self._real_time() + self._offset

    def now_ms(self) -> int:
        return int(self.time() * 1000)

    def advance_to(self, epoch_seconds: float) -> None:
        """Move to a later moment; an earlier one is ignored (time never goes back)."""
        with self._lock:
            self._offset = max(self._offset, epoch_seconds - self._real_time())

    def install(self) -> None:
        import moto.core.utils as moto_utils

        def utcnow() -> datetime.datetime:
            return datetime.datetime.fromtimestamp(self.time(), datetime.UTC).replace(tzinfo=None)

        self._saved = [(time, "time", time.time), (moto_utils, "utcnow", moto_utils.utcnow)]
        time.time = self.time
        moto_utils.utcnow = utcnow

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []
