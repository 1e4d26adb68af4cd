"""The journal, state and metadata tables, exactly as `resources.TABLES` defines them,
and the payload bucket of `resources.PAYLOAD_BUCKET` (values over the inline limit).

On-demand billing keeps an idle deployment free; the AWS-managed key
encrypts at rest without the monthly charge of a customer-managed key.
Tables are retained when the stack is deleted: they hold users' workflow
history, which a ``cdk destroy`` should not take with it.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from canter_engine.resources import (
    JOURNAL_TABLE,
    METADATA_TABLE,
    PAYLOAD_BUCKET,
    STATE_TABLE,
    TABLES,
    BucketDef,
    Key,
    TableDef,
)
from constructs import Construct

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.tables = {
            definition.logical_id: _table(self, definition, stage) for definition in TABLES
        }
        self.payloads = _bucket(self, PAYLOAD_BUCKET, stage)

    @property
    def journal(self) -> dynamodb.Table:
        return self.tables[JOURNAL_TABLE.logical_id]

    @property
    def state(self) -> dynamodb.Table:
        return self.tables[STATE_TABLE.logical_id]

    @property
    def metadata(self) -> dynamodb.Table:
        return self.tables[METADATA_TABLE.logical_id]


def _table(scope: Construct, definition: TableDef, stage: str) -> dynamodb.Table:
    table = dynamodb.Table(
        scope,
        definition.logical_id,
        table_name=definition.physical_name(stage),
        partition_key=_attribute(definition.partition_key),
        sort_key=_attribute(definition.sort_key),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        stream=dynamodb.StreamViewType.NEW_IMAGE if definition.stream_new_image else None,
        time_to_live_attribute=definition.ttl_attribute,
        removal_policy=RemovalPolicy.RETAIN,
    )
    for index in definition.indexes:
        table.add_global_secondary_index(
            index_name=index.name,
            partition_key=_attribute(index.partition_key),
            sort_key=_attribute(index.sort_key),
            projection_type=(
                dynamodb.ProjectionType.INCLUDE
                if index.projected
                else dynamodb.ProjectionType.KEYS_ONLY
            ),
            non_key_attributes=list(index.projected) or None,
        )
    return table


def _bucket(scope: Construct, definition: BucketDef, stage: str) -> s3.Bucket:
    """Encrypted, TLS only, never public, retained like the tables it extends.

    DeleteWfRun removes a run's objects (store/payloads.py). The lifecycle
    rules clean up what nothing else will: uploads cut off half-way, and
    objects left by runs whose items DynamoDB's TTL removed, after
    ``orphan_expiry_days`` (longer than any retention a WfSpec sets).
    """
    return s3.Bucket(
        scope,
        definition.logical_id,
        bucket_name=definition.physical_name(stage, Aws.ACCOUNT_ID, Aws.REGION),
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=False,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="AbortIncompleteUploads",
                abort_incomplete_multipart_upload_after=Duration.days(1),
            ),
            s3.LifecycleRule(
                id="ExpireOrphans",
                prefix="runs/",
                expiration=Duration.days(definition.orphan_expiry_days),
            ),
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )


def _attribute(key: Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])
