"""GetInactiveThreadRun through the local stack: LittleHorse's InactiveThreadRun, a
COMPLETED child ThreadRun that its ThreadSpec's retention policy archived
(WfRunModel.archiveCompletedThreadRuns); any other ThreadRun, and a missing one, is
NOT_FOUND. Workflows compiled by LittleHorse's SDK."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from canter import Client
from canter.client import NotFound
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import InactiveThreadRun, ThreadRetentionPolicy
from littlehorse.workflow import SpawnedThreads, Workflow, WorkflowThread

from .support import Names

pytestmark = pytest.mark.e2e


def _spawning(child: Callable[[WorkflowThread], None]) -> Callable[[WorkflowThread], None]:
    def body(wf: WorkflowThread) -> None:
        wf.wait_for_threads(SpawnedThreads.from_list(wf.spawn_thread(child, "child")))

    return body


def _run(client: Client, names: Names, child: Callable[[WorkflowThread], None]) -> str:
    client.put_wf_spec(MessageToDict(Workflow(names("wf"), _spawning(child)).compile()))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ("COMPLETED", "ERROR", "EXCEPTION"), timeout=30)
    return wf_run_id


def _kept(seconds: int) -> Callable[[WorkflowThread], None]:
    def child(thread: WorkflowThread) -> None:
        thread.declare_int("n", 7)
        thread.with_retention_policy(
            ThreadRetentionPolicy(seconds_after_thread_termination=seconds)
        )

    return child


def test_a_completed_child_thread_archived_by_its_retention_is_inactive(
    client: Client, names: Names
) -> None:
    wf_run_id = _run(client, names, _kept(0))
    found = client.get_inactive_thread_run(wf_run_id, 1)
    ParseDict(found, InactiveThreadRun())
    thread = found["threadRun"]
    assert (thread["number"], thread["status"], thread["threadSpecName"]) == (
        1,
        "COMPLETED",
        "child",
    )
    assert thread["type"] == "CHILD" and "endTime" in thread
    # Canter keeps it in its WfRun too (LittleHorse moves it out).
    (listed,) = [t for t in client.get_wf_run(wf_run_id)["threadRuns"] if t.get("number") == 1]
    assert listed == thread


def test_the_entrypoint_is_never_inactive(client: Client, names: Names) -> None:
    wf_run_id = _run(client, names, _kept(0))
    with pytest.raises(NotFound, match="not inactive"):
        client.get_inactive_thread_run(wf_run_id, 0)


def test_a_thread_without_a_retention_policy_stays_active(client: Client, names: Names) -> None:
    wf_run_id = _run(client, names, lambda thread: thread.declare_int("n", 7) and None)
    with pytest.raises(NotFound, match="keeps it in the WfRun"):
        client.get_inactive_thread_run(wf_run_id, 1)


def test_a_thread_is_active_until_its_retention_has_passed(client: Client, names: Names) -> None:
    wf_run_id = _run(client, names, _kept(3600))
    with pytest.raises(NotFound, match="for 3600s after it ended"):
        client.get_inactive_thread_run(wf_run_id, 1)


def test_a_failed_thread_is_not_archived(client: Client, names: Names) -> None:
    def failing(thread: WorkflowThread) -> None:
        thread.with_retention_policy(ThreadRetentionPolicy(seconds_after_thread_termination=0))
        thread.fail("no", "the child failed")

    wf_run_id = _run(client, names, failing)
    with pytest.raises(NotFound, match="EXCEPTION"):
        client.get_inactive_thread_run(wf_run_id, 1)


def test_a_missing_thread_or_wf_run_is_not_found(client: Client, names: Names) -> None:
    wf_run_id = _run(client, names, _kept(0))
    with pytest.raises(NotFound, match=r"ThreadRun 9 .* does not exist"):
        client.get_inactive_thread_run(wf_run_id, 9)
    with pytest.raises(NotFound, match="does not exist"):
        client.get_inactive_thread_run(names("nobody"), 1)
