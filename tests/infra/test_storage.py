"""The tables are deployed exactly as `canter_engine.resources` defines them."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from canter_engine import resources as r

TABLE_IDS = [t.logical_id for t in r.TABLES]


def _table(dev: Any, definition: r.TableDef) -> dict[str, Any]:
    props = dev.resources("AWS::DynamoDB::Table")[
        dev.logical_id(dev.stack.storage.tables[definition.logical_id])
    ]
    return dict(props)


@pytest.mark.parametrize("definition", r.TABLES, ids=TABLE_IDS)
def test_keys_and_name_come_from_resources(dev: Any, definition: r.TableDef) -> None:
    props = _table(dev, definition)["Properties"]
    assert props["TableName"] == definition.physical_name("dev")
    assert props["KeySchema"] == [
        {"AttributeName": definition.partition_key.name, "KeyType": "HASH"},
        {"AttributeName": definition.sort_key.name, "KeyType": "RANGE"},
    ]
    declared = {definition.partition_key, definition.sort_key}
    for index in definition.indexes:
        declared |= {index.partition_key, index.sort_key}
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == sorted(
        ({"AttributeName": k.name, "AttributeType": k.type} for k in declared),
        key=lambda a: a["AttributeName"],
    )


@pytest.mark.parametrize("definition", r.TABLES, ids=TABLE_IDS)
def test_on_demand_recoverable_encrypted_and_retained(dev: Any, definition: r.TableDef) -> None:
    table = _table(dev, definition)
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # SSE enabled without a key id: the AWS-managed KMS key, free while idle.
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("definition", r.TABLES, ids=TABLE_IDS)
def test_stream_only_where_defined(dev: Any, definition: r.TableDef) -> None:
    props = _table(dev, definition)["Properties"]
    if definition.stream_new_image:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    else:
        assert "StreamSpecification" not in props


@pytest.mark.parametrize("definition", r.TABLES, ids=TABLE_IDS)
def test_ttl_attribute_from_resources(dev: Any, definition: r.TableDef) -> None:
    props = _table(dev, definition)["Properties"]
    if definition.ttl_attribute is None:
        assert "TimeToLiveSpecification" not in props
    else:
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }


def test_journal_streams_new_images(dev: Any) -> None:
    props = _table(dev, r.JOURNAL_TABLE)["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}


@pytest.mark.parametrize("definition", r.TABLES, ids=TABLE_IDS)
def test_indexes_from_resources(dev: Any, definition: r.TableDef) -> None:
    props = _table(dev, definition)["Properties"]
    expected = [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.partition_key.name, "KeyType": "HASH"},
                {"AttributeName": index.sort_key.name, "KeyType": "RANGE"},
            ],
            # Keys and the attributes search filters read: a head update that
            # changes neither writes nothing to the index.
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}
            if index.projected
            else {"ProjectionType": "KEYS_ONLY"},
        }
        for index in definition.indexes
    ]
    assert props.get("GlobalSecondaryIndexes", []) == expected


def test_exactly_the_defined_tables(dev: Any) -> None:
    names = {p["Properties"]["TableName"] for p in dev.resources("AWS::DynamoDB::Table").values()}
    assert names == {t.physical_name("dev") for t in r.TABLES}


def test_payload_bucket_is_encrypted_tls_only_private_and_expires_orphans(dev: Any) -> None:
    """One definition (resources.PAYLOAD_BUCKET) names the bucket for CDK and the local stack."""
    bucket = dev.resources("AWS::S3::Bucket")[dev.logical_id(dev.stack.storage.payloads)]
    props = bucket["Properties"]
    name = dev.stack.resolve(props["BucketName"])
    assert name == dev.stack.resolve(
        r.PAYLOAD_BUCKET.physical_name("dev", cdk.Aws.ACCOUNT_ID, cdk.Aws.REGION)
    )
    assert props["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rules = {rule["Id"]: rule for rule in props["LifecycleConfiguration"]["Rules"]}
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    assert rules["ExpireOrphans"]["ExpirationInDays"] == r.PAYLOAD_BUCKET.orphan_expiry_days
    assert rules["ExpireOrphans"]["Prefix"] == "runs/"
    assert bucket["DeletionPolicy"] == "Retain"
    (policy,) = [
        p
        for p in dev.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": dev.logical_id(dev.stack.storage.payloads)}
    ]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
