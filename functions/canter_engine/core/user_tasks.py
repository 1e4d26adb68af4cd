"""USER_TASK nodes: a UserTaskRun for a person, its lifecycle and its actions.

Arriving at a USER_TASK creates a UserTaskRun (UNASSIGNED, or ASSIGNED when
the node names a user) and the NodeRun waits. Every change is a journalled
:class:`UserTaskRequested` (an rpc) or a timer (an action) applied here, by
the one writer, so it applies exactly once; a request that no longer fits
the run (completing a run that is DONE, editing a deleted comment) changes
nothing. The NodeRun ends when its thread next runs after the UserTaskRun
is DONE (output: the results as a JSON_OBJ) or CANCELLED (the node fails
with the node's ``onCancellationExceptionName`` as an EXCEPTION, else the
ERROR ``USER_TASK_CANCELLED``): a completion that arrives while the thread
is halted is kept on the run and takes effect when it resumes.

:func:`refusal` and :func:`change` are pure functions of the UserTaskRun,
shared with the API: it refuses a request with the same reason the core
would ignore it for, and shows the run as the request leaves it.

Actions (UTActionTrigger) are timers of kind ``USER_TASK_ACTION``. A timer's
``attempt`` packs the action's index on the node and the UserTaskRun's
``epoch`` (the number of assignments) when it was scheduled, so a deadline
reassignment scheduled before a later assignment does nothing, as in
LittleHorse (DeadlineReassignUserTaskModel).
"""

from __future__ import annotations

from typing import Any

from canter_engine.core.effects import ScheduleTask, StartTimer
from canter_engine.core.events import TaskReported, Timer, UserTaskRequested
from canter_engine.core.operations import VarSubError, as_str
from canter_engine.core.run import Run
from canter_engine.core.state import Failure, NodeRun, TaskAttempt, TaskRun, ThreadRun
from canter_engine.core.tasks import (
    DEFAULT_TASK_TIMEOUT_SECONDS,
    REPORTABLE,
    input_value,
    schedule_task,
)
from canter_engine.core.user_task_state import USER_TASK_CANCELLED, UserTaskRun
from canter_engine.model import values
from canter_engine.model.spec import TaskNode, UserTaskNode, UTActionTrigger

ACTION_TIMER = "USER_TASK_ACTION"
# Actions per node: a timer's attempt is epoch * MAX_ACTIONS + the action's index.
MAX_ACTIONS = 1000

ASSIGN = "AssignUserTaskRun"
COMPLETE = "CompleteUserTaskRun"
SAVE = "SaveUserTaskRunProgress"
CANCEL = "CancelUserTaskRun"
COMMENT = "PutUserTaskRunComment"
EDIT_COMMENT = "EditUserTaskRunComment"
DELETE_COMMENT = "DeleteUserTaskRunComment"
OPS = frozenset({ASSIGN, COMPLETE, SAVE, CANCEL, COMMENT, EDIT_COMMENT, DELETE_COMMENT})

# Events one UserTaskRun keeps: it lives in the WfRun's head, a bounded item
# (DESIGN invariant 5), so assignments, saves and comments stop there.
MAX_EVENTS = 100
# (gRPC code, message)
Refusal = tuple[str, str]


# --- the node ---------------------------------------------------------------


def arrive(run: Run, thread: ThreadRun, node_run: NodeRun, node: UserTaskNode) -> None:
    """LittleHorse's UserTaskRunModel.onArrival."""
    utr = UserTaskRun(
        thread=thread.number,
        position=node_run.position,
        def_name=node.user_task_def_name,
        def_version=node.user_task_def_version or 0,
        status="UNASSIGNED",
        scheduled=run.now,
        wf_spec=run.state.spec_id,
    )
    if node.notes is not None:
        utr.notes = as_str(run.evaluate(thread, node.notes))
    user = None if node.user_id is None else as_str(run.evaluate(thread, node.user_id))
    group = None if node.user_group is None else as_str(run.evaluate(thread, node.user_group))
    problem = None
    if user is None and group is None:
        problem = "Invalid user task assignment"
    elif user is not None and not user.strip():
        problem = "Invalid user task assignment. UserId can't be empty"
    elif group is not None and not group.strip():
        problem = "Invalid group task assignment. UserGroup can't be empty"
    if problem is not None:
        run.fail_node(thread, node_run, Failure("VAR_ERROR", problem))
        return
    node_run.user_task = utr
    _assign(run, thread, node, utr, user, group, hooks=True)
    for index, action in enumerate(node.actions):
        if action.hook == "ON_ARRIVAL":
            _schedule(run, thread, utr, index, action)
    _touch(run, utr)


def poll(run: Run, thread: ThreadRun, node_run: NodeRun) -> bool:
    """End the NodeRun once its UserTaskRun is DONE or CANCELLED; True if it ended."""
    utr = node_run.user_task
    if utr is None:
        return False
    if utr.status == "DONE":
        node_run.user_task = None
        run.complete_node(thread, node_run, dict(utr.results))
        return True
    if utr.failure is not None:
        node_run.user_task = None
        run.fail_node(thread, node_run, Failure(*utr.failure))
        return True
    return False


# --- requests (the user-task rpcs) -------------------------------------------


def on_request(run: Run, event: UserTaskRequested) -> bool:
    found = _find(run, event.guid)
    if found is None or event.op not in OPS:
        return False
    thread, node_run = found
    utr = node_run.user_task
    assert utr is not None
    if refusal(utr, event.op, event.request) is not None:
        return False
    node = _node(run, thread, node_run)
    if change(utr, event.op, event.request, run.now):
        _hooks(run, thread, node, utr)
    if event.op == CANCEL:
        utr.failure = _cancellation(run, thread, node)
    _touch(run, utr)
    return True


def refusal(utr: UserTaskRun, op: str, request: dict[str, Any]) -> Refusal | None:
    """Why ``op`` cannot apply to ``utr`` now, as the API answers it; None if it can."""
    where = f"UserTaskRun {utr.guid}"
    if op in (COMMENT, EDIT_COMMENT) and not _text(request, "comment").strip():
        return "INVALID_ARGUMENT", f"{op}: The comment must be provided."
    if op in (COMMENT, EDIT_COMMENT, DELETE_COMMENT) and not _text(request, "userId").strip():
        return "INVALID_ARGUMENT", f"{op}: The userId must be provided."
    if op == ASSIGN and not (_text(request, "userId") or _text(request, "userGroup")):
        return "INVALID_ARGUMENT", f"{op}: must provide either userGroup or userId"
    if op not in (COMPLETE, CANCEL) and len(utr.events) >= MAX_EVENTS:
        return (
            "RESOURCE_EXHAUSTED",
            f"{op}: {where} holds {len(utr.events)} events, the most one UserTaskRun keeps "
            "(it lives in its WfRun's bounded state); complete or cancel it",
        )
    if utr.terminated:
        return (
            "FAILED_PRECONDITION",
            f"{op}: {where} is {utr.status}; a DONE or CANCELLED UserTaskRun cannot change",
        )
    if op == ASSIGN and not request.get("overrideClaim") and utr.user_id is not None:
        return (
            "FAILED_PRECONDITION",
            f"{op}: {where} already assigned to {utr.user_id} (set overrideClaim to reassign)",
        )
    if (
        op == SAVE
        and request.get("policy", "FAIL_IF_CLAIMED_BY_OTHER") == "FAIL_IF_CLAIMED_BY_OTHER"
        and utr.user_id is not None
        and _text(request, "userId") != utr.user_id
    ):
        return (
            "FAILED_PRECONDITION",
            f"{op}: {where} is assigned to another user (policy FAIL_IF_CLAIMED_BY_OTHER)",
        )
    if op in (EDIT_COMMENT, DELETE_COMMENT):
        number = request.get("userCommentId", 0)
        if not number:
            return "FAILED_PRECONDITION", f"{op}: The User Comment Id must be provided"
        last = _last_comment_event(utr, int(number))
        if last is None:
            return "NOT_FOUND", f"{op}: No comment exists for the provided comment ID: {number}"
        if "commentDeleted" in last:
            return (
                "FAILED_PRECONDITION",
                f"{op}: comment {number} of {where} has already been deleted.",
            )
    return None


def change(utr: UserTaskRun, op: str, request: dict[str, Any], now: int) -> bool:
    """Apply ``op`` (which :func:`refusal` allows) to ``utr``; True if a new user holds it,
    so that the ON_TASK_ASSIGNED actions are due."""
    stamp = values.format_timestamp(now)
    user = _text(request, "userId") or None
    if op == ASSIGN:
        return assign_fields(utr, user, _text(request, "userGroup") or None, now)
    if op == COMPLETE:
        if user is not None and user != utr.user_id:
            # Completed by someone else: theirs now, without assignment actions.
            assign_fields(utr, user, utr.user_group, now)
        utr.results.update(_results(request))
        utr.status = "DONE"
        utr.events.append({"time": stamp, "completed": {}})
    elif op == SAVE:
        utr.results = _results(request)
        saved: dict[str, Any] = {"userId": user} if user else {}
        if request.get("results"):
            saved["results"] = request["results"]
        utr.events.append({"time": stamp, "saved": saved})
    elif op == CANCEL:
        utr.status = "CANCELLED"
        utr.events.append({"time": stamp, "cancelled": {"message": "UserTaskRun was cancelled"}})
    elif op == COMMENT:
        utr.comments += 1
        comment = {"userCommentId": utr.comments, "userId": user, "comment": request["comment"]}
        utr.events.append({"time": stamp, "commentAdded": comment})
    elif op == EDIT_COMMENT:
        edited = {
            "userCommentId": int(request["userCommentId"]),
            "userId": user,
            "comment": request["comment"],
        }
        utr.events.append({"time": stamp, "commentEdited": edited})
    elif op == DELETE_COMMENT:
        deleted = {"userCommentId": int(request["userCommentId"]), "userId": user}
        utr.events.append({"time": stamp, "commentDeleted": deleted})
    return False


def assign_fields(utr: UserTaskRun, user: str | None, group: str | None, now: int) -> bool:
    """LittleHorse's UserTaskRunModel.assignTo without its actions; True if a new user."""
    old_user, old_group = utr.user_id, utr.user_group
    utr.user_id, utr.user_group = user, group
    utr.epoch += 1
    assigned = {
        k: v
        for k, v in (
            ("oldUserId", old_user),
            ("oldUserGroup", old_group),
            ("newUserId", user),
            ("newUserGroup", group),
        )
        if v
    }
    utr.events.append({"time": values.format_timestamp(now), "assigned": assigned})
    utr.status = "ASSIGNED" if user is not None else "UNASSIGNED"
    return user is not None and user != old_user


# --- actions -------------------------------------------------------------------


def on_action_due(run: Run, timer: Timer) -> bool:
    found = _find(run, f"{timer.thread}-{timer.position}")
    if found is None:
        return False
    thread, node_run = found
    utr = node_run.user_task
    assert utr is not None
    if (timer.due, timer.attempt) not in utr.timers:
        return False
    utr.timers.remove((timer.due, timer.attempt))
    _touch(run, utr)
    if utr.terminated:
        return True
    node = _node(run, thread, node_run)
    epoch, index = divmod(timer.attempt, MAX_ACTIONS)
    action = node.actions[index]
    if action.cancel is not None:
        change(utr, CANCEL, {}, run.now)
        utr.failure = _cancellation(run, thread, node)
    elif action.reassign is not None:
        _deadline_reassign(run, thread, node, utr, action, epoch)
    elif action.task is not None:
        _remind(run, thread, utr, action.task.task)
    return True


def _deadline_reassign(
    run: Run,
    thread: ThreadRun,
    node: UserTaskNode,
    utr: UserTaskRun,
    action: UTActionTrigger,
    epoch: int,
) -> None:
    """Reassign or release to the group, only if nobody reassigned it since (the epoch)."""
    if utr.status != "ASSIGNED" or utr.epoch != epoch:
        return
    reassign = action.reassign
    assert reassign is not None
    try:
        user = None if reassign.user_id is None else as_str(run.evaluate(thread, reassign.user_id))
        group = (
            None
            if reassign.user_group is None
            else as_str(run.evaluate(thread, reassign.user_group))
        )
    except VarSubError as exc:
        utr.failure = (
            "VAR_SUB_ERROR",
            f"Failed calculating new assignment for UserTaskRun: {exc}",
        )
        return
    if user is None and group is None:
        return
    _assign(run, thread, node, utr, user, group, hooks=True)


def _remind(run: Run, thread: ThreadRun, utr: UserTaskRun, task: TaskNode) -> None:
    """A reminder TASK: a TaskRun of its own, outside the thread's path (TriggeredTaskRun).

    Its worker's report ends nothing: the NodeRun keeps waiting for its person
    (:func:`on_reminder_report` records it on the TaskRun).
    A TaskRun whose inputs cannot be computed is not scheduled, as in LittleHorse.
    """
    assert task.task_def_id is not None
    name = task.task_def_id.name
    task_def = run.bp.task_defs[name]
    try:
        inputs = [
            (
                var_def.name,
                input_value(run.evaluate(thread, assignment), var_def, name, run.bp.struct_defs),
            )
            for var_def, assignment in zip(task_def.input_vars, task.variables, strict=True)
        ]
    except (VarSubError, ValueError):
        return
    guid = f"{utr.guid}-{len(utr.events)}"
    task_run = TaskRun(
        guid=guid,
        task_def=name,
        task_queue=task_def.task_queue,
        thread=utr.thread,
        position=utr.position,
        inputs=inputs,
        masked_inputs=frozenset(v.name for v in task_def.input_vars if v.is_masked),
        max_attempts=1,
        timeout_seconds=task.timeout_seconds or DEFAULT_TASK_TIMEOUT_SECONDS,
        backoff=None,
        scheduled_at=run.now,
        attempts=[TaskAttempt("TASK_SCHEDULED", run.now)],
    )
    run.effects.append(schedule_task(run.bp.id_json, run.state.wf_run_id, task_run))
    utr.reminders[guid] = task_run.to_item()
    task_run_id = {"wfRunId": {"id": run.state.wf_run_id}, "taskGuid": guid}
    utr.events.append(
        {"time": values.format_timestamp(run.now), "taskExecuted": {"taskRun": task_run_id}}
    )
    run.records[task_run.sk] = task_run


def _schedule(
    run: Run, thread: ThreadRun, utr: UserTaskRun, index: int, action: UTActionTrigger
) -> None:
    """A timer for one action, ``delaySeconds`` from now (an INT, else VarSubError)."""
    if action.delay_seconds is None:
        raise VarSubError("a user task action needs delaySeconds")
    delay = run.evaluate(thread, action.delay_seconds)
    if values.type_of(delay) != "INT":
        raise VarSubError(
            f"Delay for User Task Action was not an INT, got a {values.type_of(delay)}"
        )
    due = run.now + int(delay) * 1000
    attempt = utr.epoch * MAX_ACTIONS + index
    utr.timers.append((due, attempt))
    run.effects.append(StartTimer(Timer(ACTION_TIMER, due, utr.thread, utr.position, attempt)))


def _assign(
    run: Run,
    thread: ThreadRun,
    node: UserTaskNode,
    utr: UserTaskRun,
    user: str | None,
    group: str | None,
    *,
    hooks: bool,
) -> None:
    if assign_fields(utr, user, group, run.now) and hooks:
        _hooks(run, thread, node, utr)


def _hooks(run: Run, thread: ThreadRun, node: UserTaskNode, utr: UserTaskRun) -> None:
    """The ON_TASK_ASSIGNED actions; one whose delay cannot be computed is skipped, as
    LittleHorse skips it (it logs and goes on) rather than fail an assignment."""
    for index, action in enumerate(node.actions):
        if action.hook == "ON_TASK_ASSIGNED":
            try:
                _schedule(run, thread, utr, index, action)
            except VarSubError:
                continue


def _cancellation(run: Run, thread: ThreadRun, node: UserTaskNode) -> tuple[str, str]:
    """The failure of a cancelled node: the node's exception name, else USER_TASK_CANCELLED."""
    name = USER_TASK_CANCELLED
    if node.on_cancellation_exception_name is not None:
        try:
            named = as_str(run.evaluate(thread, node.on_cancellation_exception_name))
        except VarSubError as exc:
            return "VAR_SUB_ERROR", f"onCancellationExceptionName: {exc}"
        if named and named.strip():
            name = named
    return name, "User task cancelled"


def on_reminder_report(run: Run, event: TaskReported) -> bool:
    """A worker's report of a reminder TaskRun: its TaskRun records the outcome.

    Only while its UserTaskRun waits; a reminder has one attempt (LittleHorse's
    TriggeredTaskRun is not retried), and a report of another attempt is stale.
    """
    utr_guid, _, _ = event.task_guid.rpartition("-")
    found = _find(run, utr_guid)
    if found is None or event.status not in REPORTABLE:
        return False
    utr = found[1].user_task
    assert utr is not None
    item = utr.reminders.get(event.task_guid)
    if item is None or event.attempt_number != 0:
        return False
    task_run = TaskRun.from_item(item)
    attempt = task_run.current
    attempt.status = event.status
    attempt.end_time = event.time
    attempt.start_time = min(max(event.start_time or event.time, attempt.schedule_time), event.time)
    attempt.log_output = event.log_output
    attempt.worker_id = event.worker_id
    if event.status == "TASK_SUCCESS":
        attempt.output = event.output
    elif event.status == "TASK_EXCEPTION":
        attempt.exception_name = event.exception_name
        attempt.exception_message = event.exception_message
        attempt.exception_content = event.exception_content
    else:
        attempt.error_type = event.error_type or "TASK_FAILURE"
        attempt.error_message = event.error_message
    task_run.status = event.status
    del utr.reminders[event.task_guid]
    run.records[task_run.sk] = task_run
    _touch(run, utr)
    return True


def reminders_in_flight(
    bp_id: dict[str, Any], wf_run_id: str, utr: UserTaskRun
) -> list[ScheduleTask]:
    """The ScheduleTask of each reminder still in flight, for redelivery (core/recovery.py)."""
    return [schedule_task(bp_id, wf_run_id, TaskRun.from_item(i)) for i in utr.reminders.values()]


def close_open(run: Run) -> None:
    """The WfRun ended with UserTaskRuns still open (in threads halted for good, under a
    failed parent): cancel them, so nobody's inbox keeps work no workflow waits for.
    LittleHorse cancels them when their thread halts (UserTaskNodeRunModel.maybeHalt)."""
    for number, seen in list(run.state.threads.items()):
        current = seen.current
        utr = current.user_task if current is not None else None
        if utr is None or utr.terminated or current is None or current.status != "RUNNING":
            continue
        node_run = run.thread(number).current
        assert node_run is not None and node_run.user_task is not None
        utr = node_run.user_task
        utr.status = "CANCELLED"
        utr.timers.clear()
        message = f"the WfRun ended {run.state.status} while the UserTaskRun was open"
        utr.events.append(
            {"time": values.format_timestamp(run.now), "cancelled": {"message": message}}
        )
        _touch(run, utr)


# --- helpers -------------------------------------------------------------------


def _find(run: Run, guid: str) -> tuple[ThreadRun, NodeRun] | None:
    """The thread (safe to change) whose waiting NodeRun holds UserTaskRun ``guid``."""
    thread_no, _, position = guid.partition("-")
    if not (thread_no.isdigit() and position.isdigit()):
        return None
    seen = run.state.threads.get(int(thread_no))
    current = seen.current if seen is not None and not seen.ended else None
    if (
        current is None
        or current.position != int(position)
        or current.user_task is None
        or current.status != "RUNNING"
    ):
        return None
    thread = run.thread(int(thread_no))
    assert thread.current is not None
    return thread, thread.current


def _node(run: Run, thread: ThreadRun, node_run: NodeRun) -> UserTaskNode:
    node = run.bp.node(thread.spec_name, node_run.node_name).user_task
    assert node is not None
    return node


def _touch(run: Run, utr: UserTaskRun) -> None:
    run.records[utr.sk] = utr


def _text(request: dict[str, Any], key: str) -> str:
    found = request.get(key)
    return found if isinstance(found, str) else ""


def _results(request: dict[str, Any]) -> dict[str, Any]:
    raw = request.get("results") or {}
    return {str(k): values.decode(v, f"results.{k}") for k, v in raw.items()}


def _last_comment_event(utr: UserTaskRun, number: int) -> dict[str, Any] | None:
    last = None
    for event in utr.events:
        for kind in ("commentAdded", "commentEdited", "commentDeleted"):
            if kind in event and event[kind].get("userCommentId") == number:
                last = event
    return last
