"""The Lambda code asset: ``functions/`` as it stands.

The handlers run exactly the modules the tests import. The engine needs no
third-party package beyond boto3 (in the Lambda runtime) and Powertools and
pydantic (in the Powertools layer), so there is nothing to bundle.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/*.egg-info", "**/.mypy_cache"]


def engine_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=ASSET_EXCLUDES)
