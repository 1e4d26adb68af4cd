"""EventBridge Scheduler: one recurring schedule per ScheduledWfRun.

Each schedule invokes the ScheduledRuns function with the ScheduledWfRun's
id and EventBridge's own ``<aws.scheduler.scheduled-time>``, the time the
firing was due: a retried invocation of one firing carries the same time,
so it starts the same WfRun id (handlers/scheduled_runs.py). The local stack
reads the same schedules from moto and plays EventBridge
(canter/local/schedule_pump.py).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"
# A firing not delivered within an hour is dropped rather than starting a run late.
MAX_EVENT_AGE_SECONDS = 3600
MAX_RETRIES = 20


class EventBridgeSchedules:
    def __init__(self, client: Any, group: str, target_arn: str, role_arn: str) -> None:
        self._client = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn

    def create(self, schedule_id: str, expression: str) -> None:
        """Create the schedule; one that exists already (a repeated request) is kept."""
        try:
            self._client.create_schedule(
                Name=schedule_id,
                GroupName=self._group,
                ScheduleExpression=expression,
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={
                    "Arn": self._target_arn,
                    "RoleArn": self._role_arn,
                    "Input": json.dumps(
                        {"scheduledWfRunId": schedule_id, "scheduledTime": SCHEDULED_TIME}
                    ),
                    "RetryPolicy": {
                        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                        "MaximumRetryAttempts": MAX_RETRIES,
                    },
                },
                Description=f"Canter ScheduledWfRun {schedule_id}",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise

    def delete(self, schedule_id: str) -> None:
        """Delete the schedule; one already gone is fine."""
        try:
            self._client.delete_schedule(Name=schedule_id, GroupName=self._group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    def all(self) -> list[dict[str, Any]]:
        """Every schedule of the group, as GetSchedule describes it (for the local stack)."""
        found = []
        for page in self._client.get_paginator("list_schedules").paginate(GroupName=self._group):
            for summary in page.get("Schedules", []):
                try:
                    found.append(
                        self._client.get_schedule(Name=summary["Name"], GroupName=self._group)
                    )
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                        raise
        return found
