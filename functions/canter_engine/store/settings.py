"""Physical resource names, read from the environment the deployment sets.

Infra sets the ``CANTER_*`` variables named in :mod:`canter_engine.resources`
on every function; the local stack sets the same variables on its own
process. A name that is not set falls back to the stage's derived name so a
missing variable cannot point two stages at one table.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from canter_engine import resources


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str
    journal_table: str
    state_table: str
    metadata_table: str
    timer_queue_url: str | None
    scheduler_failure_queue_url: str | None
    task_queue_prefix: str
    payload_bucket: str
    dynamic_queues: bool
    task_token_secret: bytes
    # EventBridge Scheduler (ScheduleWf); the local stack plays it on moto.
    schedule_group: str = ""
    schedule_target_arn: str = ""
    schedule_role_arn: str = ""

    @staticmethod
    def from_env(env: Mapping[str, str]) -> Settings:
        stage = resources.validate_stage(env.get(resources.ENV_STAGE, resources.DEFAULT_STAGE))
        return Settings(
            stage=stage,
            journal_table=env.get(
                resources.ENV_JOURNAL_TABLE, resources.JOURNAL_TABLE.physical_name(stage)
            ),
            state_table=env.get(
                resources.ENV_STATE_TABLE, resources.STATE_TABLE.physical_name(stage)
            ),
            metadata_table=env.get(
                resources.ENV_METADATA_TABLE, resources.METADATA_TABLE.physical_name(stage)
            ),
            timer_queue_url=env.get(resources.ENV_TIMER_QUEUE_URL) or None,
            scheduler_failure_queue_url=env.get(resources.ENV_SCHEDULER_DLQ_URL) or None,
            task_queue_prefix=env.get(
                resources.ENV_TASK_QUEUE_PREFIX, resources.task_queue_prefix(stage)
            ),
            payload_bucket=env.get(
                resources.ENV_PAYLOAD_BUCKET, resources.PAYLOAD_BUCKET.physical_name(stage)
            ),
            dynamic_queues=env.get(resources.ENV_DYNAMIC_QUEUES, "").lower()
            in ("1", "true", "yes", "on"),
            task_token_secret=_task_token_secret(env),
            schedule_group=env.get(resources.ENV_SCHEDULE_GROUP, resources.schedule_group(stage)),
            # Where a deployment sets no ARN (the local stack): names in moto's account.
            schedule_target_arn=env.get(
                resources.ENV_SCHEDULE_TARGET_ARN,
                f"arn:aws:lambda:us-east-1:{_LOCAL_ACCOUNT}:function:canter-{stage}-scheduled-runs",
            ),
            schedule_role_arn=env.get(
                resources.ENV_SCHEDULE_ROLE_ARN,
                f"arn:aws:iam::{_LOCAL_ACCOUNT}:role/canter-{stage}-schedules",
            ),
        )


_LOCAL_ACCOUNT = "123456789012"


# Without a configured secret (a process that runs every handler itself, as
# the local stack does), one random per process: tokens then hold within it.
_PROCESS_SECRET = secrets.token_bytes(32)


def _task_token_secret(env: Mapping[str, str]) -> bytes:
    configured = env.get(resources.ENV_TASK_TOKEN_SECRET, "")
    return configured.encode() if configured else _PROCESS_SECRET


@cache
def current() -> Settings:
    """The settings of this process; read once, like a Lambda's environment."""
    return Settings.from_env(os.environ)
