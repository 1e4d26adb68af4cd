"""The reference workflows, built with ``canter.Workflow`` as a user would write them.

Every task runs the one TaskDef ``STEP`` (one SQS queue), so concurrent
WfRuns share a queue and the worker's receives batch as they would in
production. Each reference pairs the workflow with its Step Functions
Standard equivalent (:mod:`bench.stepfunctions`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canter import Workflow, WorkflowThread

from bench import stepfunctions

STEP = "bench-step"
EVENT = "bench-approved"
STEP_TASK_DEF = {"name": STEP, "inputVars": [{"name": "n", "type": "INT"}]}
APPROVAL = "bench-approval"
APPROVAL_GROUP = "bench-approvers"
APPROVAL_USER_TASK_DEF = {
    "name": APPROVAL,
    "fields": [{"name": "approved", "type": "BOOL", "required": True}],
}
REMINDER_SECONDS = 1

# A task's timeout is enforced by the worker SDK, counted from the first
# receive of its message; the engine sets no timer per task, so the value
# costs nothing whatever it is. It is short so that a task stuck in a bench
# run is retried well before the run gives up, not after the default 60 s.
TASK_TIMEOUT_SECONDS = 15


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    title: str
    workflow: Workflow
    variables: dict[str, Any]
    tasks_per_run: int
    sfn_transitions: int
    in_flight: int
    needs_event: bool = False
    user_tasks_per_run: int = 0
    """Each WfRun's UserTaskRuns, which the bench assigns and completes once reminded."""


def chain(tasks: int) -> Callable[[WorkflowThread], None]:
    def body(t: WorkflowThread) -> None:
        for n in range(tasks):
            t.execute(STEP, n)

    return body


def fan_out(children: int) -> Callable[[WorkflowThread], None]:
    def child(t: WorkflowThread) -> None:
        t.execute(STEP, t.declare_int("INPUT"))

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items", list(range(children)))
        t.wait_for_threads(t.spawn_thread_for_each(items, child, "child"))

    return body


def loop(t: WorkflowThread) -> None:
    count = t.declare_int("count").required()
    i = t.declare_int("i", 0)

    def step(b: WorkflowThread) -> None:
        b.execute(STEP, i)
        b.mutate(i, "ADD", 1)

    t.do_while(i.is_less_than(count), step)


def event_then_sleep(seconds: int) -> Callable[[WorkflowThread], None]:
    def body(t: WorkflowThread) -> None:
        got = t.declare_str("got")
        t.mutate(got, "ASSIGN", t.wait_for_event(EVENT))
        t.sleep_seconds(seconds)

    return body


def approval(t: WorkflowThread) -> None:
    """Assign to a group, remind (one task) if still open, and go on when completed."""
    approved = t.declare_bool("approved")
    review = t.assign_user_task(APPROVAL, user_group=APPROVAL_GROUP)
    t.schedule_reminder_task(review, REMINDER_SECONDS, STEP, 0)
    approved.assign(review.with_json_path("$.approved"))


def references(
    loop_iterations: int, loop_runs: int, sleep_seconds: int, in_flight: int
) -> list[Reference]:
    """The reference set; ``in_flight`` WfRuns run at once, except the loops (``loop_runs``).

    The fan-out runs a quarter as many WfRuns, since each has 20 tasks in
    flight at once: every task must start within its timeout.
    """
    return [
        Reference(
            "chain10",
            "10-task chain",
            _workflow("bench-chain10", chain(10)),
            {},
            10,
            stepfunctions.chain(10),
            in_flight,
        ),
        Reference(
            "fanout20",
            "fan-out of 20 child threads, one task each",
            _workflow("bench-fanout20", fan_out(20)),
            {},
            20,
            stepfunctions.fan_out(20),
            max(1, in_flight // 4),
        ),
        Reference(
            "loop",
            f"{loop_iterations:,}-iteration loop of one task",
            _workflow("bench-loop", loop),
            {"count": loop_iterations},
            loop_iterations,
            stepfunctions.loop(loop_iterations),
            loop_runs,
        ),
        Reference(
            "event_sleep",
            f"external event, then a sleep (60 s on AWS; {sleep_seconds} s here)",
            _workflow("bench-event-sleep", event_then_sleep(sleep_seconds)),
            {},
            0,
            stepfunctions.event_then_sleep(),
            in_flight,
            needs_event=True,
        ),
        Reference(
            "user_task",
            f"user task: assigned, reminded after {REMINDER_SECONDS} s, completed",
            _workflow("bench-user-task", approval),
            {},
            1,
            stepfunctions.user_task(),
            in_flight,
            user_tasks_per_run=1,
        ),
    ]


def _workflow(name: str, body: Callable[[WorkflowThread], None]) -> Workflow:
    return Workflow(name, body, task_timeout_seconds=TASK_TIMEOUT_SECONDS)
