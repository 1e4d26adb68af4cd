"""Create the tables and queues of :mod:`canter_engine.resources` on moto.

The same definitions drive CDK, so a key, an index or a queue setting cannot
differ between a laptop and AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from canter_engine import resources

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sqs import SQSClient


@dataclass(frozen=True, slots=True)
class Provisioned:
    journal_stream_arn: str
    timer_queue_url: str
    failure_queue_url: str


def provision(ddb: DynamoDBClient, sqs: SQSClient, stage: str) -> Provisioned:
    create_bucket(resources.PAYLOAD_BUCKET, stage)
    stream_arn = ""
    for table in resources.TABLES:
        arn = create_table(ddb, table, stage)
        if table.stream_new_image:
            stream_arn = arn
    return Provisioned(
        journal_stream_arn=stream_arn,
        timer_queue_url=create_queue(sqs, resources.TIMER_QUEUE, stage),
        failure_queue_url=create_queue(sqs, resources.SCHEDULER_FAILURE_QUEUE, stage),
    )


def create_table(ddb: DynamoDBClient, table: resources.TableDef, stage: str) -> str:
    """Create one table; returns its stream ARN ("" without a stream)."""
    keys = [table.partition_key, table.sort_key]
    for index in table.indexes:
        keys += [index.partition_key, index.sort_key]
    attributes = {key.name: key.type for key in keys}
    kwargs: dict[str, Any] = {}
    if table.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key.name, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key.name, "KeyType": "RANGE"},
                ],
                "Projection": (
                    {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}
                    if index.projected
                    else {"ProjectionType": "KEYS_ONLY"}
                ),
            }
            for index in table.indexes
        ]
    if table.stream_new_image:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    description = ddb.create_table(
        TableName=table.physical_name(stage),
        KeySchema=[
            {"AttributeName": table.partition_key.name, "KeyType": "HASH"},
            {"AttributeName": table.sort_key.name, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": kind} for name, kind in attributes.items()
        ],
        BillingMode="PAY_PER_REQUEST",
        **kwargs,
    )["TableDescription"]
    return str(description.get("LatestStreamArn", ""))


def create_bucket(bucket: resources.BucketDef, stage: str) -> str:
    """Create the payload bucket if it is not there (restored state may predate it)."""
    import boto3

    s3 = boto3.client("s3")
    name = bucket.physical_name(stage)
    if name not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=name)
    return name


def create_queue(sqs: SQSClient, queue: resources.QueueDef, stage: str) -> str:
    attributes: dict[Any, str] = {
        "VisibilityTimeout": str(queue.visibility_timeout_seconds),
        "MessageRetentionPeriod": str(queue.retention_seconds),
    }
    if queue.has_dead_letter_queue:
        dlq_url = sqs.create_queue(QueueName=queue.dead_letter_name(stage))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}
        )
    return sqs.create_queue(QueueName=queue.physical_name(stage), Attributes=attributes)["QueueUrl"]


def locate(ddb: DynamoDBClient, sqs: SQSClient, stage: str) -> Provisioned:
    """The resources of restored state: provisioned by an earlier run, found by name."""
    create_bucket(resources.PAYLOAD_BUCKET, stage)
    journal = ddb.describe_table(TableName=resources.JOURNAL_TABLE.physical_name(stage))
    return Provisioned(
        journal_stream_arn=str(journal["Table"].get("LatestStreamArn", "")),
        timer_queue_url=sqs.get_queue_url(QueueName=resources.TIMER_QUEUE.physical_name(stage))[
            "QueueUrl"
        ],
        failure_queue_url=sqs.get_queue_url(
            QueueName=resources.SCHEDULER_FAILURE_QUEUE.physical_name(stage)
        )["QueueUrl"],
    )
