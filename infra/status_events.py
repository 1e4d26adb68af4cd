"""Status events: the EventBridge bus WfRun status changes are published to.

Deployed only when ``cdk.json`` names WfSpecs under ``statusEvents``; the
scheduler, which publishes them (handlers/status_events.py), may put events
on this one bus and nothing else. Users attach their own rules to it (match
``detail.wfRun.status``), as Step Functions users do with execution status
events.
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from canter_engine.resources import ENV_EVENT_BUS, ENV_STATUS_EVENTS, status_bus_name
from constructs import Construct


class StatusEvents(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        wf_specs: tuple[str, ...],
        publisher: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, "Bus", event_bus_name=status_bus_name(stage))
        self.bus.grant_put_events_to(publisher)
        publisher.add_environment(ENV_EVENT_BUS, self.bus.event_bus_name)
        publisher.add_environment(ENV_STATUS_EVENTS, ",".join(wf_specs))
