"""The pure engine: ``apply(blueprint, state, event) -> Transition``.

No boto3, no clock, no randomness: everything the core knows arrives in its
arguments, so the same journal always rebuilds the same WfRun.
"""

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import Effect, ScheduleTask, StartTimer
from canter_engine.core.engine import Transition, apply
from canter_engine.core.events import Event, Timer
from canter_engine.core.records import Record, live_records, wf_run_json
from canter_engine.core.recovery import outstanding_effects, timer_pending
from canter_engine.core.state import WfRunState

__all__ = [
    "Blueprint",
    "Effect",
    "Event",
    "Record",
    "ScheduleTask",
    "StartTimer",
    "Timer",
    "Transition",
    "WfRunState",
    "apply",
    "live_records",
    "outstanding_effects",
    "timer_pending",
    "wf_run_json",
]
