"""The Lambda runtime every engine function shares, and its Powertools layer.

The layer's name encodes the Python version and architecture, so it is
derived from the runtime here rather than spelled out: changing the runtime
cannot leave a mismatched layer behind.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64

# The public Powertools for AWS Lambda (Python) v3 layer: it ships
# aws-lambda-powertools, aws-xray-sdk and pydantic v2.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_VERSION = 23


def powertools_layer_arn(region: str) -> str:
    python = PYTHON_RUNTIME.name.replace(".", "")
    name = f"AWSLambdaPowertoolsPythonV3-{python}-{ARCHITECTURE.name}"
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:{name}:"
        f"{POWERTOOLS_LAYER_VERSION}"
    )


def powertools_layer(scope: Construct, construct_id: str) -> lambda_.ILayerVersion:
    arn = powertools_layer_arn(Stack.of(scope).region)
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
