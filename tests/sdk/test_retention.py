"""``Workflow.with_retention_policy``: compiled as LittleHorse's SDK compiles it."""

from __future__ import annotations

import pytest
from canter import Workflow, WorkflowThread
from canter.builder.errors import WorkflowDefinitionError
from google.protobuf.json_format import MessageToDict
from littlehorse.model import WorkflowRetentionPolicy
from littlehorse.workflow import Workflow as LHWorkflow


def body(wf: WorkflowThread) -> None:
    wf.declare_int("n")


def test_seconds_compile_like_littlehorse() -> None:
    expected = MessageToDict(
        LHWorkflow("kept", body)
        .with_retention_policy(WorkflowRetentionPolicy(seconds_after_wf_termination=3600))
        .compile()
    )
    assert Workflow("kept", body).with_retention_policy(3600).compile() == expected
    assert expected["retentionPolicy"] == {"secondsAfterWfTermination": "3600"}


def test_littlehorse_policy_object_is_taken_as_it_is() -> None:
    policy = WorkflowRetentionPolicy(seconds_after_wf_termination=60)
    compiled = Workflow("kept", body).with_retention_policy(policy).compile()
    assert compiled["retentionPolicy"] == {"secondsAfterWfTermination": "60"}


@pytest.mark.parametrize("bad", [-1, 1.5, "60", True])
def test_a_retention_policy_is_whole_seconds(bad: object) -> None:
    with pytest.raises(WorkflowDefinitionError, match="number of seconds"):
        Workflow("kept", body).with_retention_policy(bad)
