"""The local stack's EventBridge: the status-event bus, and a queue that keeps them.

The scheduler publishes status events to the bus exactly as on AWS (moto's
EventBridge); a rule sends everything from ``canter`` to an SQS queue, from
which ``canter events tail`` reads them, as a rule of yours would on AWS.
"""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError
from canter_engine.resources import status_bus_name
from canter_engine.store.status_events import SOURCE

RULE = "canter-status-events-to-queue"


def queue_name(stage: str) -> str:
    return f"canter-{stage}-status-events"


def ensure(stage: str) -> str:
    """Create the bus, the queue and the rule between them if missing; the queue URL."""
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    bus = status_bus_name(stage)
    try:
        events.create_event_bus(Name=bus)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise
    url = sqs.create_queue(QueueName=queue_name(stage))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name=RULE, EventBusName=bus, EventPattern=json.dumps({"source": [SOURCE]}))
    events.put_targets(Rule=RULE, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    return url
