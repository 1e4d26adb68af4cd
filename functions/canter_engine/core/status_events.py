"""Status events: every change of a WfRun's status, as an output-topic record.

LittleHorse sends a ``WfRun`` to its output topic whenever a command changes
its status (WfRunModel.shouldProduceToOutputTopic); Canter does the same per
journal record applied, and the scheduler publishes the record to Amazon
EventBridge for the WfSpecs that opted in (handlers/status_events.py).
"""

from __future__ import annotations

from canter_engine.core.effects import WfRunStatusChanged
from canter_engine.core.records import wf_run_json
from canter_engine.core.state import WfRunState
from canter_engine.model import values


def status_change(
    before: WfRunState | None, after: WfRunState, time: int
) -> WfRunStatusChanged | None:
    """The change ``after`` makes to the status of ``before`` (None: none)."""
    if before is not None and before.status == after.status:
        return None
    record = {"timestamp": values.format_timestamp(time), "wfRun": wf_run_json(after)}
    return WfRunStatusChanged(after.spec_name, after.status, record)
