"""WfSpec retention in the core: an ending WfRun asks to be deleted N seconds later."""

from typing import Any

from canter_engine.core.effects import ExpireWfRun
from canter_engine.core.events import RescueRequested
from google.protobuf.json_format import MessageToDict
from littlehorse.model import WorkflowRetentionPolicy
from littlehorse.workflow import Workflow, WorkflowThread

from tests.core.harness import Harness


def flow(wf: WorkflowThread) -> None:
    wf.execute("work")


def kept(seconds: int) -> dict[str, Any]:
    workflow = Workflow("wf", flow).with_retention_policy(
        WorkflowRetentionPolicy(seconds_after_wf_termination=seconds)
    )
    return MessageToDict(workflow.compile())


def expiries(h: Harness) -> list[ExpireWfRun]:
    assert h.last is not None
    return [e for e in h.last.effects if isinstance(e, ExpireWfRun)]


def test_the_ending_transition_asks_for_the_expiry() -> None:
    h = Harness(kept(3600), tasks={"work": ()})
    h.run()
    assert expiries(h) == []
    h.succeed()
    assert h.status == "COMPLETED"
    assert h.state is not None and h.state.end is not None
    assert expiries(h) == [ExpireWfRun(h.state.end, h.state.end + 3_600_000)]


def test_without_a_policy_nothing_expires() -> None:
    h = Harness(flow, tasks={"work": ()})
    h.run()
    h.succeed()
    assert expiries(h) == []


def test_a_rescued_run_asks_again_for_its_new_end() -> None:
    h = Harness(kept(60), tasks={"work": ()})
    h.run()
    h.fail()
    assert h.state is not None
    first = h.state.end
    assert [e.ended_at for e in expiries(h)] == [first]
    h.apply(RescueRequested(h.tick(), 0))
    h.succeed()
    assert h.state.end is not None and h.state.end > (first or 0)
    assert [e.ended_at for e in expiries(h)] == [h.state.end]
