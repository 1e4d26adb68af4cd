"""Plays EventBridge Scheduler for the local stack.

The API creates each ScheduledWfRun's schedule in moto's EventBridge
Scheduler exactly as on AWS (canter_engine.store.eventbridge_schedules);
this loop reads those schedules, works out from their ``cron(...)``
expressions which firings are due, and invokes the ScheduledRuns handler
with each schedule's target input, ``<aws.scheduler.scheduled-time>``
filled in as EventBridge fills it. The handler derives the WfRun id from
that time, so a firing delivered twice starts one WfRun, here as on AWS.

Time is ``time.time``, so the test kit's clock skips to firings as it skips
to timers. Firings missed while the stack was stopped are not made up (as
an EventBridge schedule that did not exist then would not fire them).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

from canter_engine import resources
from canter_engine.model import cron, values
from canter_engine.store.eventbridge_schedules import SCHEDULED_TIME, EventBridgeSchedules

from canter.local.lambda_context import LocalLambdaContext
from canter.local.sqs_pump import Handler

log = logging.getLogger("canter.local")

# Firings made up at most per schedule and pass (a clock skipped far ahead).
MAX_CATCH_UP = 1000


class SchedulePump:
    def __init__(
        self, scheduler: Any, stage: str, handler: Handler, *, poll_seconds: float = 1.0
    ) -> None:
        self._client = scheduler
        self._group = resources.schedule_group(stage)
        self._schedules = EventBridgeSchedules(scheduler, self._group, "", "")
        self._handler = handler
        self._poll = poll_seconds
        self._started_ms = int(time.time() * 1000)
        # Per schedule name: the time up to which its firings were made.
        self._done: dict[str, int] = {}
        # The loop and the test kit (which fires at once after skipping its clock) may
        # both fire: one at a time, so no firing is made twice.
        self._firing = threading.Lock()
        # The schedules as last listed (by fire_due): next_firing reads them without a
        # request, so asking it does not count as activity on the stack.
        self._listed: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canter-schedules", daemon=True)
        ensure_group(scheduler, self._group)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._poll + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            try:
                self.fire_due()
            except Exception:
                log.exception("could not fire the due schedules; trying again")

    def next_firing(self) -> int | None:
        """When the earliest firing not made yet is due (epoch ms), among the schedules as
        the last :meth:`fire_due` listed them; None without schedules."""
        with self._firing:
            dues = [
                due
                for schedule in self._listed
                if (due := cron.next_fire(*self._position(schedule))) is not None
            ]
        return min(dues) if dues else None

    def _position(self, schedule: dict[str, Any]) -> tuple[cron.Cron, int]:
        """A schedule's parsed expression and the time up to which its firings were made."""
        created = int(schedule["CreationDate"].timestamp() * 1000)
        done = self._done.get(str(schedule["Name"]), max(created, self._started_ms))
        return cron.from_eventbridge(str(schedule["ScheduleExpression"])), done

    def fire_due(self) -> int:
        """Fire every firing due by now; returns how many were made."""
        with self._firing:
            return self._fire_due()

    def _fire_due(self) -> int:
        now = int(time.time() * 1000)
        fired = 0
        seen = set()
        self._listed = self._schedules.all()
        for schedule in self._listed:
            name = str(schedule["Name"])
            seen.add(name)
            parsed, done = self._position(schedule)
            for _ in range(MAX_CATCH_UP):
                due = cron.next_fire(parsed, done)
                if due is None or due > now:
                    break
                self._fire(schedule, due)
                done = due
                fired += 1
            self._done[name] = done
        for gone in set(self._done) - seen:
            del self._done[gone]
        return fired

    def _fire(self, schedule: dict[str, Any], due_ms: int) -> None:
        stamp = values.format_timestamp(due_ms).replace(".000Z", "Z")
        raw = str(schedule["Target"]["Input"]).replace(SCHEDULED_TIME, stamp)
        event = json.loads(raw)
        context = LocalLambdaContext(
            "canter-local-scheduled-runs", resources.SCHEDULED_RUNS_FUNCTION.timeout_seconds
        )
        self._handler(event, context)


def ensure_group(scheduler: Any, group: str) -> None:
    """The stage's schedule group, created on moto if it is not there yet."""
    names = {g["Name"] for g in scheduler.list_schedule_groups().get("ScheduleGroups", [])}
    if group not in names:
        scheduler.create_schedule_group(Name=group)
