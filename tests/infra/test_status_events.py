"""``statusEvents`` in cdk.json: an EventBridge bus the scheduler alone may put events on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.config import CanterConfig


@pytest.fixture(scope="module")
def with_events(synth: Callable[..., list[Any]]) -> Any:
    (synthesized,) = synth(
        CanterConfig.of(stage="ev", task_queues=["greet"], status_events="orders, billing")
    )
    return synthesized


def test_the_bus_is_deployed_and_named_for_the_stage(with_events: Any) -> None:
    assert with_events.stack.config.status_events == ("billing", "orders")
    assert with_events.nag_report()["violations"] == []
    bus = {"Name": "canter-ev-status"}
    with_events.template.has_resource_properties("AWS::Events::EventBus", bus)


def test_only_the_scheduler_may_put_events_and_only_on_its_bus(with_events: Any) -> None:
    stack = with_events.stack
    bus_arn = stack.resolve(stack.status_events.bus.event_bus_arn)
    grants = []
    for policy in with_events.resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            if "events:PutEvents" in (actions if isinstance(actions, list) else [actions]):
                grants.append((policy["Properties"]["Roles"], statement["Resource"]))
    scheduler_role = {"Ref": with_events.logical_id(stack.engine.roles[stack.engine.scheduler])}
    assert grants == [([scheduler_role], bus_arn)]


def test_the_scheduler_learns_the_bus_and_the_wf_specs(with_events: Any) -> None:
    stack = with_events.stack
    scheduler = with_events.template.to_json()["Resources"][
        stack.get_logical_id(stack.engine.scheduler.node.default_child)
    ]
    env = scheduler["Properties"]["Environment"]["Variables"]
    assert env["CANTER_STATUS_EVENTS"] == "billing,orders"
    assert json.dumps(env["CANTER_EVENT_BUS"]) == json.dumps(
        stack.resolve(stack.status_events.bus.event_bus_name)
    )


def test_without_status_events_there_is_no_bus(dev: Any) -> None:
    assert dev.resources("AWS::Events::EventBus") == {}
    assert dev.stack.status_events is None


def test_a_malformed_list_is_refused() -> None:
    with pytest.raises(ValueError, match="statusEvents must be a list of WfSpec names"):
        CanterConfig.of(stage="ev", status_events=[1, 2])


def test_a_mapping_gives_each_wf_spec_its_level() -> None:
    """``{"<wfSpec>": "all"}`` beside the list form: ``all`` also publishes entity events."""
    config = CanterConfig.of(stage="ev", status_events={"orders": "all", "billing": "status"})
    assert config.status_events == ("billing", "orders:all")
    assert CanterConfig.of(stage="ev", status_events="orders:all").status_events == ("orders:all",)


@pytest.mark.parametrize("bad", [{"orders": "everything"}, "orders:some"])
def test_an_unknown_level_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="statusEvents"):
        CanterConfig.of(stage="ev", status_events=bad)
