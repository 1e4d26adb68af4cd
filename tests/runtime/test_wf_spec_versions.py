"""WfSpec versions as LittleHorse numbers them, and ``allowedUpdates``.

Every request is compiled by LittleHorse's own Python SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from canter import Client
from canter.client import AlreadyExists, FailedPrecondition, InvalidArgument
from google.protobuf.json_format import MessageToDict
from littlehorse.model import AllowedUpdateType
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names


def put(
    client: Client,
    name: str,
    fn: Callable[[WorkflowThread], None],
    update: AllowedUpdateType | None = None,
) -> tuple[int, int]:
    wf = Workflow(name, fn)
    if update is not None:
        wf.with_update_type(update)
    spec: dict[str, Any] = client.put_wf_spec(MessageToDict(wf.compile()))
    return spec["id"].get("majorVersion", 0), spec["id"].get("revision", 0)


def required_bool(wf: WorkflowThread) -> None:
    wf.declare_bool("variable").required()


def with_optional(wf: WorkflowThread) -> None:
    wf.declare_bool("variable").required()
    wf.declare_str("optional")


def with_second_required(wf: WorkflowThread) -> None:
    wf.declare_bool("variable").required()
    wf.declare_bool("second-required").required()


def test_adding_a_return_type_to_the_entrypoint_is_a_major_version(
    client: Client, names: Names
) -> None:
    """Mirrors ThreadRunReturnTest.changingReturnTypeOfEntrypointCausesMajorVersion:
    a private variable's type change is a revision; returning a value is a major version."""
    name = names("wf")

    def unused_str(wf: WorkflowThread) -> None:
        wf.declare_str("unused")

    def unused_int(wf: WorkflowThread) -> None:
        wf.declare_int("unused")

    def returns(wf: WorkflowThread) -> None:
        wf.declare_int("unused")
        wf.complete("some-output")

    assert put(client, name, unused_str) == (0, 0)
    assert put(client, name, unused_int) == (0, 1)
    assert put(client, name, returns) == (1, 0)


def test_public_and_required_variables_decide_major_versions(client: Client, names: Names) -> None:
    """Mirrors WfSpecLifecycleTest.shouldCreateMinorRevisionWhenUpdatingTheWorkflow and
    shouldAddMajorVersionWhenWfSpecHasBreakingChanges (WfSpecUtil.hasBreakingChanges)."""
    name = names("wf")
    assert put(client, name, required_bool) == (0, 0)
    assert put(client, name, required_bool) == (0, 0), "an identical body is the same version"
    assert put(client, name, with_optional) == (0, 1)
    assert put(client, name, with_second_required) == (1, 0)

    def public(wf: WorkflowThread) -> None:
        with_second_required(wf)
        wf.declare_str("shared").as_public()

    assert put(client, name, public) == (2, 0)


def test_no_updates_refuses_a_change_with_already_exists(client: Client, names: Names) -> None:
    """Mirrors WfSpecLifecycleTest.AllowNone."""
    name = names("wf")
    put(client, name, required_bool)
    assert put(client, name, required_bool, AllowedUpdateType.NO_UPDATES) == (0, 0)
    with pytest.raises(AlreadyExists, match="already exists"):
        put(client, name, with_optional, AllowedUpdateType.NO_UPDATES)


def test_minor_revision_updates_refuses_a_breaking_change(client: Client, names: Names) -> None:
    """Mirrors WfSpecLifecycleTest.MinorRevisionOnly."""
    name = names("wf")
    put(client, name, required_bool)
    update = AllowedUpdateType.MINOR_REVISION_UPDATES
    assert put(client, name, required_bool, update) == (0, 0)
    assert put(client, name, with_optional, update) == (0, 1)
    with pytest.raises(FailedPrecondition, match="breaking change"):
        put(client, name, with_second_required, update)
    assert client.get_latest_wf_spec(name)["id"].get("majorVersion", 0) == 0


def test_the_first_version_is_accepted_whatever_allowed_updates_says(
    client: Client, names: Names
) -> None:
    assert put(client, names("a"), required_bool, AllowedUpdateType.NO_UPDATES) == (0, 0)
    assert put(client, names("b"), required_bool, AllowedUpdateType.MINOR_REVISION_UPDATES) == (
        0,
        0,
    )


def test_a_child_wf_spec_that_does_not_exist_is_refused(client: Client, names: Names) -> None:
    """Mirrors RunChildWfTest.cannotReferToNonexistingWfSpec."""
    child = names("missing-child")

    def parent(wf: WorkflowThread) -> None:
        wf.run_wf(child, {})

    with pytest.raises(InvalidArgument) as refused:
        put(client, names("parent"), parent)
    assert "could not find wfspec" in str(refused.value).lower()


def test_a_child_wf_spec_s_required_inputs_are_checked(client: Client, names: Names) -> None:
    """Mirrors RunChildWfTest.validateInputstToChildWfSpec."""
    child = names("child")

    def child_fn(wf: WorkflowThread) -> None:
        wf.declare_str("required-input").required()

    def parent(wf: WorkflowThread) -> None:
        wf.run_wf(child, {})

    put(client, child, child_fn)
    with pytest.raises(InvalidArgument, match="required-input"):
        put(client, names("parent"), parent)


def test_a_child_runs_the_latest_revision_of_the_major_version_pinned_at_put(
    client: Client, names: Names
) -> None:
    """Mirrors RunChildWfTest.shouldRunLatestRevisionOfPinnedWfSpec."""
    child = names("child")

    def v0(wf: WorkflowThread) -> None:
        wf.declare_str("user-id").required()

    def v0_1(wf: WorkflowThread) -> None:
        wf.declare_str("user-id").required()
        wf.declare_str("some-hidden-var")

    def v1(wf: WorkflowThread) -> None:
        wf.declare_str("new-required-variable").required()
        wf.declare_bool("not-used")

    def parent(wf: WorkflowThread) -> None:
        wf.run_wf(child, {"user-id": "obi-wan"})

    assert put(client, child, v0) == (0, 0)
    spec = client.put_wf_spec(MessageToDict(Workflow(names("parent"), parent).compile()))
    node = spec["threadSpecs"]["entrypoint"]["nodes"]["1-run-" + child + "-RUN_CHILD_WF"]
    assert node["runChildWf"].get("majorVersion", 0) == 0
    assert put(client, child, v0_1) == (0, 1)
    assert put(client, child, v1) == (1, 0)
    parent_id = client.run_wf(names("parent"))["id"]["id"]
    assert client.wait_for_wf_run(parent_id, timeout=20)["status"] == "COMPLETED"
    child_id = client.get_node_run(parent_id, 0, 1)["runChildWf"]["childWfRunId"]["id"]
    child_run = client.wait_for_wf_run(child_id, timeout=20)
    assert child_run["wfSpecId"] == {"name": child, "revision": 1}


def test_searchable_private_variables_are_not_frozen(client: Client, names: Names) -> None:
    """Mirrors SharedVariablesTest.shouldNotFreezeSearchableVariables."""
    name = names("wf")

    def searchable_str(wf: WorkflowThread) -> None:
        wf.declare_str("some-var").searchable()

    def plain_int(wf: WorkflowThread) -> None:
        wf.declare_int("some-var")

    first = client.put_wf_spec(MessageToDict(Workflow(name, searchable_str).compile()))
    assert first.get("frozenVariables", []) == []
    assert put(client, name, plain_int) == (0, 1)


def test_public_variables_stay_frozen_through_versions(client: Client, names: Names) -> None:
    """Mirrors SharedVariablesTest.publicVariablesShouldStayFrozenThroughVersions."""
    name = names("wf")

    def public_str(wf: WorkflowThread) -> None:
        wf.declare_str("some-var").as_public()

    def other(wf: WorkflowThread) -> None:
        wf.declare_str("some-other-var", "some string value").searchable()

    def public_int(wf: WorkflowThread) -> None:
        wf.declare_int("some-var").as_public()

    first = client.put_wf_spec(MessageToDict(Workflow(name, public_str).compile()))
    assert [v["varDef"]["name"] for v in first["frozenVariables"]] == ["some-var"]
    second = client.put_wf_spec(MessageToDict(Workflow(name, other).compile()))
    assert (second["id"].get("majorVersion"), second["id"].get("revision", 0)) == (1, 0)
    assert [v["varDef"]["name"] for v in second["frozenVariables"]] == ["some-var"]
    with pytest.raises(InvalidArgument, match="formerly declared a PUBLIC_VAR"):
        put(client, name, public_int)


def test_exits_returning_different_types_are_refused(client: Client, names: Names) -> None:
    """Mirrors ThreadRunReturnTest.dontAllowReturningDifferentTypes."""

    def wf_fn(wf: WorkflowThread) -> None:
        switch = wf.declare_bool("switch")
        my_int = wf.declare_int("my-int")
        my_double = wf.declare_double("my-double")
        wf.do_if(switch.is_equal_to(True), lambda h: h.complete(my_int))
        wf.complete(my_double)

    with pytest.raises(InvalidArgument) as refused:
        put(client, names("wf"), wf_fn)
    assert "returned different output types" in str(refused.value).lower()


def test_an_exit_returning_nothing_beside_one_returning_a_value_is_refused(
    client: Client, names: Names
) -> None:
    """Mirrors ThreadRunReturnTest.dontAllowReturningNullAndSomethingInSameThread."""

    def wf_fn(wf: WorkflowThread) -> None:
        switch = wf.declare_bool("switch")
        wf.do_if(switch.is_equal_to(True), lambda h: h.complete())
        wf.complete("asdf")

    with pytest.raises(InvalidArgument) as refused:
        put(client, names("wf"), wf_fn)
    message = str(refused.value).lower()
    assert "returns void" in message and "returns non-void" in message


def test_a_parent_wf_spec_that_does_not_exist_is_refused(client: Client, names: Names) -> None:
    """Mirrors HierarchicalWorkflowTest.shouldRejectInvalidWfSpecReference."""

    def wf_fn(wf: WorkflowThread) -> None:
        wf.sleep(1)

    request = MessageToDict(Workflow(names("child"), wf_fn).compile())
    request["parentWfSpec"] = {"wfSpecName": names("no-such-parent")}
    with pytest.raises(InvalidArgument, match="nonexistent parent wfSpec"):
        client.put_wf_spec(request)
