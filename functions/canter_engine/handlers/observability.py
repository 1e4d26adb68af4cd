"""The Powertools Logger, Tracer and Metrics shared by the three handlers.

Service name and namespace come from :mod:`canter_engine.resources` so logs,
traces and metrics of all handlers group under one service wherever the
``POWERTOOLS_*`` variables are not set.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from canter_engine import resources

_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", resources.POWERTOOLS_SERVICE_NAME)

logger = Logger(service=_SERVICE)
tracer = Tracer(service=_SERVICE)
metrics = Metrics(
    service=_SERVICE,
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", resources.METRICS_NAMESPACE),
)
