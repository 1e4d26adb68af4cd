"""WfSpec retention (LittleHorse's ``WorkflowRetentionPolicy``): a terminated
WfRun is deleted ``secondsAfterWfTermination`` after it ended.

The core only says when: as the WfRun ends it asks for an :class:`ExpireWfRun`
effect. The scheduler turns that into one journal item whose DynamoDB TTL is
that moment (handlers/retention.py); when DynamoDB's TTL removes it, the
stream delivers the removal and the scheduler deletes the WfRun as a
DeleteWfRun does: every item, page, search entry and journal record. A WfRun
rescued before then is not deleted: its marker names the end it was for.
"""

from __future__ import annotations

from canter_engine.core.blueprint import Blueprint
from canter_engine.core.effects import ExpireWfRun
from canter_engine.core.state import WfRunState


def on_end(bp: Blueprint, state: WfRunState) -> ExpireWfRun | None:
    """The expiry to ask for as ``state`` ends, if its WfSpec has a retention policy."""
    policy = bp.spec.retention_policy
    if policy is None or policy.seconds_after_wf_termination is None or state.end is None:
        return None
    return ExpireWfRun(
        ended_at=state.end, expires_at=state.end + int(policy.seconds_after_wf_termination) * 1000
    )
