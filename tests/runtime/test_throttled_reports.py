"""A report API Gateway throttles (429) is sent again later, never turned into a failure."""

from __future__ import annotations

from typing import Any

import pytest
from canter import Client
from canter.client import CanterError, _error_from
from canter.worker.reporter import Reporter


class _ThrottledClient(Client):
    """The answer API Gateway's stage throttling gives (infra/api.py, cdk.json)."""

    def report_task(self, report: Any, token: str) -> None:
        raise _error_from(429, b'{"message":"Too Many Requests"}')


def test_a_throttled_report_is_retried_by_redelivery_not_reported_too_large() -> None:
    reporter = Reporter(
        _ThrottledClient("http://127.0.0.1:9"),
        None,  # type: ignore[arg-type]  # no message is deleted in this test
        lambda _: None,
        lambda: False,
    )
    with pytest.raises(CanterError) as throttled:
        reporter._report_one({"taskRunId": {"wfRunId": {"id": "w"}, "taskGuid": "0-1"}}, "token")
    assert throttled.value.status == 429
