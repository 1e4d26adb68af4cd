"""The Powertools Logger, Tracer and Metrics shared by the three handlers.

Service name and namespace come from :mod:`canter_engine.resources` so logs,
traces and metrics of all handlers group under one service wherever the
``POWERTOOLS_*`` variables are not set.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from canter_engine import resources

_SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", resources.POWERTOOLS_SERVICE_NAME)

logger = Logger(service=_SERVICE)
tracer = Tracer(service=_SERVICE)
metrics = Metrics(
    service=_SERVICE,
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", resources.METRICS_NAMESPACE),
)

H = TypeVar("H", bound=Callable[..., Any])


def publish_metrics(handler: H) -> H:
    """Flush the invocation's metrics, or drop them when metrics are disabled.

    Used instead of ``Metrics.log_metrics`` because with metrics disabled
    (the local stack) Powertools never clears its metric set, which then
    grows for the life of the process; and an invocation that recorded
    nothing should not warn.
    """

    @functools.wraps(handler)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            if is_metrics_disabled():
                metrics.clear_metrics()
            elif metrics.metric_set:
                metrics.flush_metrics()

    return invoke  # type: ignore[return-value]
