"""The order example used by ``make demo`` runs to COMPLETED on the shared stack."""

from __future__ import annotations

import pytest
from canter import Client

from examples.order.tasks import TASKS
from examples.order.workflow import NAME, PAYMENT_EVENT, WORKFLOW

from .support import worker

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("total", "review"), [(142.5, "approved by fraud check"), (20.0, "auto-approved")]
)
def test_order_example_completes(client: Client, total: float, review: str) -> None:
    with worker(client, TASKS, register_task_defs=True):
        client.put_external_event_def(PAYMENT_EVENT)
        client.put_wf_spec(WORKFLOW)
        wf_run_id = client.run_wf(
            NAME, {"order-id": "o-7", "items": ["a", "b"], "item-count": 2, "total": total}
        )["id"]["id"]
        client.put_external_event(wf_run_id, PAYMENT_EVENT, {"method": "wire"})
        assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "COMPLETED"
    variables = client.variables(wf_run_id)
    assert variables["reserved"] == ["a", "b"]
    assert variables["review"] == review
    assert variables["tracking"] == "TRACK-O-7-WIRE"
