"""Tasks and workflows the CLI tests deploy with ``canter deploy tests.cli.flows``."""

from __future__ import annotations

import canter
from canter import Workflow, WorkflowThread

APPROVAL = "cli-approval"


@canter.task(name="cli-greet")
def greet(name: str) -> str:
    return f"Hello, {name}!"


def shout(text: str) -> str:
    return text.upper()


SHOUT = canter.create_task_def(shout, name="cli-shout")


def greeting(t: WorkflowThread) -> None:
    name = t.declare_str("name").required()
    t.declare_str("secret", "hunter2").masked()
    message = t.declare_str("message")
    message.assign(t.execute(greet, name))


def refusal(t: WorkflowThread) -> None:
    t.declare_int("amount").required()
    t.fail("not-allowed", "amounts are never allowed")


def approval(t: WorkflowThread) -> None:
    decision = t.declare_json_obj("decision")
    decision.assign(t.wait_for_event(APPROVAL))


def typed(t: WorkflowThread) -> None:
    t.declare_int("i")
    t.declare_double("d")
    t.declare_bool("b")
    t.declare_str("s")
    t.declare_bytes("raw")
    t.declare_json_obj("obj")
    t.declare_json_arr("arr")
    t.declare_timestamp("at")
    t.declare_wf_run_id("other")


def impatient(t: WorkflowThread) -> None:
    """Fails with a TIMEOUT ERROR after a second without approval: a run to rescue."""
    decision = t.declare_json_obj("decision")
    decision.assign(t.wait_for_event(APPROVAL, timeout=1))


GREETING = Workflow("cli-greeting", greeting)
REFUSAL = Workflow("cli-refusal", refusal)
APPROVAL_WF = Workflow("cli-approval-wf", approval)
TYPED = Workflow("cli-typed", typed)
IMPATIENT = Workflow("cli-impatient", impatient)
