"""No stranded WfRun under any sequence of calls (issue 11, item 1).

Hypothesis drives random interleavings of RunWf, DeleteWfRun, RunWf again
under the same id, ExternalEvents, genuine, forged, stale and duplicated
task reports, and workers that crash holding a task. The WfRun's last step
runs in a child WfRun, so a parent run again meets its deleted run's child
under the child's id. Afterwards every WfRun
id either is gone (its last call was a DeleteWfRun) or, once a real worker
serves its queue and its event is posted, completes with exactly the outputs
the genuine reports give: nothing forged or stale got in, and nothing any
call did left it waiting on something that will never come.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from canter import Client, WorkflowThread
from canter.client import CanterError, NotFound, to_value
from canter.local import LocalStack
from canter_engine.handlers import task_tokens
from canter_engine.handlers.task_tokens import Attempt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import Names, int_input, post, register, wait_deleted, worker

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

IDS = 2
_examples = itertools.count()


def plus_one(n: int) -> int:
    return n + 1


@dataclass
class Taken:
    """A ScheduledTask a pretend worker holds: its body, token and receipt."""

    scheduled: dict[str, Any]
    token: str
    receipt: str


@dataclass
class World:
    client: Client
    api_url: str
    spec: str
    task: str
    event_def: str
    queue_url: str
    prefix: str
    sqs: Any = field(default_factory=lambda: boto3.client("sqs"))
    held: list[Taken] = field(default_factory=list)
    reported: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    # The input of the live run of each id: another for each run after a
    # delete, so that a report of a deleted run that applied would show.
    expected: dict[str, int] = field(default_factory=dict)
    generation: dict[str, int] = field(default_factory=dict)

    def wf_run_id(self, k: int) -> str:
        return f"{self.prefix}-{k}"

    def run(self, k: int) -> None:
        wf_run_id = self.wf_run_id(k)
        n = 100 * k + self.generation.get(wf_run_id, 0)
        self.client.run_wf(self.spec, {"n": n}, id=wf_run_id)
        self.expected[wf_run_id] = n

    def delete(self, k: int) -> None:
        wf_run_id = self.wf_run_id(k)
        try:
            self.client.delete_wf_run(wf_run_id)
        except NotFound:
            return
        self.expected.pop(wf_run_id, None)
        self.generation[wf_run_id] = self.generation.get(wf_run_id, 0) + 1
        wait_deleted(self.client, wf_run_id)

    def rerun(self, k: int) -> None:
        """DeleteWfRun, then RunWf under the same id: a new run."""
        self.delete(k)
        self.run(k)

    def event(self, k: int) -> None:
        with contextlib.suppress(NotFound):
            self.client.put_external_event(self.wf_run_id(k), self.event_def, "go")

    def take(self) -> None:
        for message in self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=2, MessageAttributeNames=["All"]
        ).get("Messages", []):
            token = message["MessageAttributes"]["canter.taskToken"]["StringValue"]
            self.held.append(Taken(json.loads(message["Body"]), token, message["ReceiptHandle"]))

    def report(self, i: int) -> None:
        """The genuine outcome, as a worker reports it; then the message is deleted."""
        if not self.held:
            return
        taken = self.held.pop(i % len(self.held))
        body = outcome(taken.scheduled, plus_one(scheduled_input(taken.scheduled)))
        self.client.report_task(body, taken.token)
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=taken.receipt)
        self.reported.append((body, taken.token))

    def crash(self, i: int) -> None:
        """A worker dies holding the task: its message comes back at once."""
        if not self.held:
            return
        taken = self.held.pop(i % len(self.held))
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=taken.receipt, VisibilityTimeout=0
        )

    def duplicate(self, i: int) -> None:
        if self.reported:
            self.client.report_task(*self.reported[i % len(self.reported)])

    def stale(self, i: int) -> None:
        """A genuine token of an attempt already reported, with another output."""
        if self.reported:
            body, token = self.reported[i % len(self.reported)]
            self.client.report_task({**body, "output": to_value(-1)}, token)

    def forge(self, k: int, attempt: int, how: int) -> None:
        wf_run_id = self.wf_run_id(k)
        body = outcome(
            {"taskRunId": {"wfRunId": {"id": wf_run_id}, "taskGuid": "0-1"}, "attemptNumber": 0},
            -1,
        )
        body["attemptNumber"] = attempt
        tokens = [
            None,
            task_tokens.issue(b"guess", Attempt(wf_run_id, "x", "0-1", attempt)),
            *(t.token for t in self.held),  # a real token, of another attempt or run
        ]
        token = tokens[how % len(tokens)]
        if token is not None and task_tokens.incarnation_of(token) is not None:
            body["taskRunId"]["taskGuid"] = "0-9"  # never this token's TaskRun
        headers = {task_tokens.HEADER: token} if token else {}
        status, answer = post(self.api_url, "ReportTask", json.dumps(body).encode(), headers)
        assert 400 <= status < 500, answer


def scheduled_input(scheduled: dict[str, Any]) -> int:
    return int(scheduled["variables"][0]["value"]["int"])


def outcome(scheduled: dict[str, Any], output: int) -> dict[str, Any]:
    return {
        "taskRunId": scheduled["taskRunId"],
        "attemptNumber": scheduled.get("attemptNumber", 0),
        "status": "TASK_SUCCESS",
        "output": to_value(output),
    }


ids = st.integers(0, IDS - 1)
picks = st.integers(0, 7)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("run"), ids),
        st.tuples(st.just("rerun"), ids),
        st.tuples(st.just("delete"), ids),
        st.tuples(st.just("event"), ids),
        st.tuples(st.just("take")),
        st.tuples(st.just("take")),
        st.tuples(st.just("report"), picks),
        st.tuples(st.just("report"), picks),
        st.tuples(st.just("crash"), picks),
        st.tuples(st.just("duplicate"), picks),
        st.tuples(st.just("stale"), picks),
        st.tuples(st.just("forge"), ids, st.sampled_from([0, 1, -1, 2**63, 2**31]), picks),
    ),
    min_size=4,
    max_size=18,
)


@pytest.fixture(scope="module")
def world_spec(client: Client, names: Names) -> tuple[str, str, str]:
    """The second step runs in a child WfRun, whose id derives from its parent's:
    a parent run again must get a new child, never the old one's result."""
    task, event = names("step"), names("go")

    def child(t: WorkflowThread) -> None:
        t.complete(t.execute(task, t.declare_int("n").required(), timeout_seconds=30))

    def body(t: WorkflowThread) -> None:
        n = t.declare_int("n").required()
        a, b = t.declare_int("a"), t.declare_int("b")
        t.mutate(a, "ASSIGN", t.execute(task, n, timeout_seconds=30))
        t.wait_for_event(event)
        t.mutate(b, "ASSIGN", t.wait_for_child_wf(t.run_wf(names("child"), {"n": a})))

    register(client, names("child"), child, {task: int_input()})
    register(client, names("wf"), body, events=(event,))
    return names("wf"), task, event


@pytest.fixture(scope="module")
def names(request: pytest.FixtureRequest) -> Names:
    return Names(request.node.name)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations)
def test_no_sequence_of_calls_strands_a_wf_run(
    stack: LocalStack,
    client: Client,
    world_spec: tuple[str, str, str],
    ops: list[tuple[Any, ...]],
) -> None:
    spec, task, event = world_spec
    world = World(
        client,
        stack.api_url,
        spec,
        task,
        event,
        client.get_task_def_queue(task)["queueUrl"],
        f"p{next(_examples)}",
    )
    for name, *args in ops:
        try:
            getattr(world, name)(*args)
        except CanterError as exc:
            assert exc.code in ("NOT_FOUND", "ALREADY_EXISTS"), (name, args, exc)
    for taken in world.held:
        world.sqs.change_message_visibility(
            QueueUrl=world.queue_url, ReceiptHandle=taken.receipt, VisibilityTimeout=0
        )
    with worker(client, {task: plus_one}):
        for k in range(IDS):
            wf_run_id = world.wf_run_id(k)
            n = world.expected.get(wf_run_id)
            if n is None:
                with pytest.raises(NotFound):
                    client.get_wf_run(wf_run_id)
                continue
            client.put_external_event(wf_run_id, event, "go")
            wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
            assert wf_run["status"] == "COMPLETED", (ops, wf_run)
            assert client.variables(wf_run_id) == {"n": n, "a": n + 1, "b": n + 2}, ops
