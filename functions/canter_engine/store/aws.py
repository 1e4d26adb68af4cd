"""boto3 clients shared by everything in one process.

Created lazily and once: a Lambda reuses them across invocations, and the
endpoint comes from the standard ``AWS_ENDPOINT_URL`` variable, which is how
the local stack points the unchanged handlers at moto.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
)


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", config=_CONFIG)


@cache
def scheduler() -> Any:
    """EventBridge Scheduler (ScheduleWf); typed Any: boto3 ships no stubs for it here."""
    return boto3.client("scheduler", config=_CONFIG)


@cache
def s3() -> Any:
    """S3 (the payload bucket); path-style against a local endpoint, which serves one host."""
    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = _CONFIG.merge(Config(s3={"addressing_style": "path" if local else "auto"}))
    return boto3.client("s3", config=config)


def reset() -> None:
    """Forget the clients, for a process that changed its endpoint (the local stack)."""
    dynamodb.cache_clear()
    sqs.cache_clear()
    scheduler.cache_clear()
    s3.cache_clear()
