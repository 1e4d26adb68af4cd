"""Every answer of every rpc parses strictly into its LittleHorse 1.3.0 message.

Strictly: ``ParseDict`` without ``ignore_unknown_fields``, so a field that
LittleHorse's message lacks (a Canter extra) fails as surely as a wrong type.
One workflow runs tasks (one succeeding, one failing and handled), an
if/else, a child thread and its wait, an external event, a sleep, a child
WfRun and a thrown WorkflowEvent; then each rpc of ``handlers.routes`` is
called and its answer parsed into the class LittleHorse's ``LittlehorseStub``
answers that rpc with.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from canter import Client, TaskException, Workflow, WorkflowThread
from canter.client import TASK_TOKEN_HEADER
from canter_engine.handlers.routes import ROUTES
from google.protobuf.empty_pb2 import Empty
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from google.protobuf.message import Message
from littlehorse.model import (
    BulkJob,
    BulkJobIdList,
    Checkpoint,
    CorrelatedEvent,
    CorrelatedEventIdList,
    ExternalEvent,
    ExternalEventDef,
    ExternalEventDefIdList,
    ExternalEventIdList,
    ExternalEventList,
    InactiveThreadRun,
    LittleHorseVersion,
    NodeRun,
    NodeRunIdList,
    NodeRunList,
    PutCheckpointResponse,
    ScheduledWfRun,
    ScheduledWfRunIdList,
    StructDef,
    StructDefIdList,
    TaskDef,
    TaskDefIdList,
    TaskRun,
    TaskRunIdList,
    TaskRunList,
    ThreadRetentionPolicy,
    UserTaskDef,
    UserTaskDefIdList,
    UserTaskRun,
    UserTaskRunIdList,
    UserTaskRunList,
    ValidateStructDefEvolutionResponse,
    Variable,
    VariableIdList,
    VariableList,
    WfRun,
    WfRunIdList,
    WfSpec,
    WfSpecIdList,
    WorkflowEvent,
    WorkflowEventDef,
    WorkflowEventDefIdList,
    WorkflowEventIdList,
    WorkflowEventList,
    WorkflowMigrationPlan,
    WorkflowMigrationPlanIdList,
)
from littlehorse.workflow import SpawnedThreads
from littlehorse.workflow import Workflow as LhWorkflow
from littlehorse.workflow import WorkflowThread as LhWorkflowThread

from .support import Names, int_input, node_statuses, success_report, take_attempt, worker

pytestmark = pytest.mark.e2e

# The rpcs of Canter's own, which LittleHorse does not have: no message to parse into.
CANTER_ONLY = {"ReportTasks", "GetTaskDefQueue", "ReportTaskStarts"}


class _Answers:
    """Each rpc's answers, with the LittleHorse class it must parse into."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.seen: list[tuple[str, dict[str, Any], type[Message]]] = []

    def call(
        self,
        rpc: str,
        request: dict[str, Any],
        cls: type[Message],
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        answer = self.client.call(rpc, request, headers)
        self.seen.append((rpc, answer, cls))
        return answer

    def violations(self) -> list[str]:
        """Each answer that does not parse: the rpc, the class and the first offending field."""
        found = []
        for rpc, answer, cls in self.seen:
            try:
                ParseDict(answer, cls())
            except ParseError as exc:
                found.append(f"{rpc} -> {cls.__name__}: {str(exc).splitlines()[0]}")
        return found

    def node_kinds(self) -> set[str]:
        """The node-type oneof fields the NodeRuns answered carry."""
        fields = NodeRun.DESCRIPTOR.fields_by_camelcase_name
        return {
            key
            for rpc, answer, _ in self.seen
            if rpc == "GetNodeRun"
            for key in answer
            if key not in fields or fields[key].containing_oneof is not None
        }


def _register(answers: _Answers, names: Names) -> dict[str, str]:
    inc, boom, manual = names("inc"), names("boom"), names("manual")
    event, thrown = names("go"), names("thrown")
    child, parent = names("child"), names("wf")
    answers.call("PutTaskDef", {"name": inc, **int_input()}, TaskDef)
    answers.call("PutTaskDef", {"name": boom}, TaskDef)
    answers.call("PutTaskDef", {"name": manual}, TaskDef)
    answers.call("PutExternalEventDef", {"name": event}, ExternalEventDef)
    answers.call(
        "PutWorkflowEventDef",
        {"name": thrown, "contentType": {"returnType": {"primitiveType": "INT"}}},
        WorkflowEventDef,
    )

    def child_body(t: WorkflowThread) -> None:
        t.complete(7)

    def parent_body(t: WorkflowThread) -> None:
        n = t.declare_int("n", 1).searchable()
        got = t.declare_int("got")
        n.assign(t.execute(inc, n))
        t.handle_exception(t.execute(boom), lambda h: None)
        t.do_if(
            n.is_greater_than(1),
            lambda b: b.execute(inc, n),
            lambda b: b.execute(boom),
        )
        spawned = t.spawn_thread(lambda c: c.execute(inc, 5), "side")
        t.wait_for_threads(spawned)
        got.assign(t.wait_for_event(event))
        t.sleep_seconds(1)
        t.wait_for_child_wf(t.run_wf(child))
        t.throw_event(thrown, n)
        t.execute(manual)

    for name, body in ((child, child_body), (parent, parent_body)):
        request = _compiled(name, body)
        answers.call("PutWfSpec", request, WfSpec)
    return {"inc": inc, "boom": boom, "manual": manual, "event": event, "thrown": thrown}


def _compiled(name: str, body: Any) -> dict[str, Any]:
    compiled: dict[str, Any] = Workflow(name, body).compile()
    return compiled


def _read_run(answers: _Answers, wf_run_id: str) -> None:
    """Every read of one WfRun and its NodeRuns, TaskRuns, Variables and events."""
    run_id = {"id": wf_run_id}
    answers.call("GetWfRun", run_id, WfRun)
    node_runs = answers.call("ListNodeRuns", {"wfRunId": run_id}, NodeRunList)["results"]
    for node_run in node_runs:
        node_id = node_run["id"]
        answers.call("GetNodeRun", node_id, NodeRun)
        task_run_id = node_run.get("task", {}).get("taskRunId")
        if task_run_id:
            answers.call("GetTaskRun", task_run_id, TaskRun)
    answers.call("ListTaskRuns", {"wfRunId": run_id}, TaskRunList)
    variables = answers.call("ListVariables", {"wfRunId": run_id}, VariableList)["results"]
    for variable in variables:
        answers.call("GetVariable", variable["id"], Variable)
    events = answers.call("ListExternalEvents", {"wfRunId": run_id}, ExternalEventList)
    for event in events["results"]:
        answers.call("GetExternalEvent", event["id"], ExternalEvent)
    thrown = answers.call("ListWorkflowEvents", {"wfRunId": run_id}, WorkflowEventList)
    for workflow_event in thrown["results"]:
        answers.call("GetWorkflowEvent", workflow_event["id"], WorkflowEvent)
        answers.call("AwaitWorkflowEvent", {"wfRunId": run_id}, WorkflowEvent)
    # A page's bookmark is LittleHorse's ``bytes``: base64 in JSON.
    for rpc, cls in (
        ("ListNodeRuns", NodeRunList),
        ("ListTaskRuns", TaskRunList),
        ("ListVariables", VariableList),
        ("ListExternalEvents", ExternalEventList),
        ("ListWorkflowEvents", WorkflowEventList),
    ):
        first = answers.call(rpc, {"wfRunId": run_id, "limit": 1}, cls)
        if "bookmark" in first:
            bookmark = _as_littlehorse_sends_it(first, cls)
            answers.call(rpc, {"wfRunId": run_id, "limit": 1, "bookmark": bookmark}, cls)


def _as_littlehorse_sends_it(page: dict[str, Any], cls: type[Message]) -> str:
    """The page's bookmark after a LittleHorse client's round trip through its ``bytes``."""
    bookmark: str = MessageToDict(ParseDict(page, cls()))["bookmark"]
    return bookmark


def _read_definitions(answers: _Answers, names: Names) -> None:
    spec = names("wf")
    answers.call("GetWfSpec", {"name": spec}, WfSpec)
    answers.call("GetLatestWfSpec", {"name": spec}, WfSpec)
    answers.call("GetTaskDef", {"name": names("inc")}, TaskDef)
    answers.call("GetExternalEventDef", {"name": names("go")}, ExternalEventDef)
    answers.call("GetWorkflowEventDef", {"name": names("thrown")}, WorkflowEventDef)
    answers.call("SearchWfRun", {"wfSpecName": spec}, WfRunIdList)
    paged = answers.call("SearchTaskDef", {"prefix": names(""), "limit": 1}, TaskDefIdList)
    answers.call(
        "SearchTaskDef",
        {"prefix": names(""), "limit": 1, "bookmark": paged["bookmark"]},
        TaskDefIdList,
    )
    answers.call("SearchWfSpec", {"name": spec}, WfSpecIdList)
    answers.call("SearchTaskDef", {"prefix": names("")}, TaskDefIdList)
    answers.call("SearchExternalEventDef", {"prefix": names("")}, ExternalEventDefIdList)
    answers.call("SearchWorkflowEventDef", {"prefix": names("")}, WorkflowEventDefIdList)
    variable = {"wfSpecName": spec, "varName": "n", "value": {"int": 1}}
    answers.call("SearchVariable", variable, VariableIdList)
    answers.call("SearchTaskRun", {"taskDefName": names("inc")}, TaskRunIdList)
    answers.call("SearchNodeRun", {"externalEventDef": {"name": names("go")}}, NodeRunIdList)
    answers.call(
        "SearchExternalEvent", {"externalEventDefId": {"name": names("go")}}, ExternalEventIdList
    )
    # SearchWorkflowEvent (visibility-rest).
    answers.call(
        "SearchWorkflowEvent",
        {"workflowEventDefId": {"name": names("thrown")}},
        WorkflowEventIdList,
    )


# --- issue 18, operating WfRuns (ops-rescue): rescue, schedules -------------------------


def _operate(answers: _Answers, names: Names) -> None:
    """A WfRun in ERROR is rescued."""
    client = answers.client
    flaky = names("flaky")
    answers.call("PutTaskDef", {"name": flaky}, TaskDef)
    answers.call("PutWfSpec", _compiled(names("rescued"), lambda t: t.execute(flaky)), WfSpec)
    fixed: list[bool] = []

    def flaky_fn() -> None:
        if not fixed:
            raise RuntimeError("down")

    with worker(client, {flaky: flaky_fn}):
        wf_run_id = client.run_wf(names("rescued"))["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("ERROR",), timeout=30)
        fixed.append(True)
        answers.call("RescueThreadRun", {"wfRunId": {"id": wf_run_id}}, WfRun)
        client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=30)
    scheduled = {"wfSpecName": names("rescued"), "cronExpression": "0 0 * * *"}
    schedule_id = answers.call("ScheduleWf", scheduled, ScheduledWfRun)["id"]["id"]
    answers.call("GetScheduledWfRun", {"id": schedule_id}, ScheduledWfRun)
    found = {"wfSpecName": names("rescued")}
    answers.call("SearchScheduledWfRun", found, ScheduledWfRunIdList)
    answers.call("DeleteScheduledWfRun", {"id": {"id": schedule_id}}, Empty)


# --- end of issue 18 ---------------------------------------------------------------


def _correlated_events(answers: _Answers, names: Names) -> None:
    """Correlated events (ops-events): put, get, search and delete one."""
    event = names("correlated")
    answers.client.put_external_event_def(event, correlatedEventConfig={"ttlSeconds": 600})
    ident = {"key": "k-1", "externalEventDefId": {"name": event}}
    answers.call("PutCorrelatedEvent", {**ident, "content": {"int": 1}}, CorrelatedEvent)
    answers.call("GetCorrelatedEvent", ident, CorrelatedEvent)
    search = {"externalEventDefId": {"name": event}, "hasExternalEvents": False}
    answers.call("SearchCorrelatedEvent", search, CorrelatedEventIdList)
    answers.call("DeleteCorrelatedEvent", {"id": ident}, Empty)


def _struct_defs(answers: _Answers, names: Names) -> None:
    """StructDefs (ops-events): put, get, search, validate an evolution, delete."""
    name = names("struct")
    schema = {"fields": {"model": {"fieldType": {"primitiveType": "STR"}}}}
    answers.call("PutStructDef", {"name": name, "structDef": schema}, StructDef)
    answers.call("GetStructDef", {"name": name}, StructDef)
    answers.call("SearchStructDef", {"prefix": name}, StructDefIdList)
    evolution = {"structDefId": {"name": name, "version": -1}, "structDef": schema}
    answers.call("ValidateStructDefEvolution", evolution, ValidateStructDefEvolutionResponse)
    answers.call("DeleteStructDef", {"id": {"name": name}}, Empty)


# --- WfSpec migration (migrate) -----------------------------------------------------------


def _migrations(answers: _Answers, names: Names) -> None:
    """Two WfRuns waiting at an EXTERNAL_EVENT: one moved by a plan, one by MigrateWfSpec."""
    client = answers.client
    go, then = names("mig-go"), names("mig-then")
    client.put_external_event_def(go)
    client.put_external_event_def(then)
    name = names("migrated")
    client.put_wf_spec(_compiled(name, lambda t: t.wait_for_event(go)))
    runs = [client.run_wf(name)["id"]["id"] for _ in range(2)]

    def v2(t: WorkflowThread) -> None:
        t.wait_for_event(go)
        t.wait_for_event(then)

    new = client.put_wf_spec(_compiled(name, v2))["id"]
    for wf_run_id in runs:
        while [s for _, s in node_statuses(client, wf_run_id)][1:] != ["RUNNING"]:
            time.sleep(0.1)
    ee = f"1-{go}-EXTERNAL_EVENT"
    nodes = {ee: {"newNodeName": f"2-{then}-EXTERNAL_EVENT"}}
    plan = {
        "name": names("plan"),
        "oldWfSpec": {"name": name},
        "revision": new.get("revision", 0),
        "threadMigrations": {
            "entrypoint": {"newThreadName": "entrypoint", "nodeMigrations": nodes}
        },
    }
    answers.call("PutWorkflowMigrationPlan", plan, WorkflowMigrationPlan)
    answers.call("GetWorkflowMigrationPlan", {"name": names("plan")}, WorkflowMigrationPlan)
    search = {"wfSpecName": name}
    answers.call("SearchWorkflowMigrationPlan", search, WorkflowMigrationPlanIdList)
    applied = {"id": {"name": names("plan")}, "wfRunId": {"id": runs[0]}}
    answers.call("ApplyWorkflowMigrationPlan", applied, WfRun)
    answers.call("DeleteWorkflowMigrationPlan", {"id": {"name": names("plan")}}, Empty)
    migration = {
        "newRevision": new.get("revision", 0),
        "threadSpecMigrations": {
            "entrypoint": {"newThreadSpecName": "entrypoint", "nodeMigrations": nodes}
        },
    }
    request = {"oldWfSpec": {"name": name}, "migration": migration}
    answers.call("MigrateWfSpec", request, WfSpec)
    for wf_run_id in runs:
        while "oldWfSpecVersions" not in client.get_wf_run(wf_run_id):
            time.sleep(0.1)
        _read_run(answers, wf_run_id)


# --- BulkJobs (bulk-jobs) -------------------------------------------------------------


def _bulk_jobs(answers: _Answers, names: Names) -> None:
    """A bulk delete of one COMPLETED WfRun: the job created, read, searched and deleted."""
    client = answers.client
    name = names("bulk")
    client.put_wf_spec(_compiled(name, lambda t: t.declare_str("note").assign("done")))
    wf_run_id = client.run_wf(name)["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=30)
    delete = {"wfSpecName": name, "wfRunStatus": "COMPLETED"}
    request = {"id": names("bulk-job"), "bulkDeleteWfRun": delete}
    answers.call("CreateBulkJob", request, BulkJob)
    ident = {"id": {"id": names("bulk-job")}}
    while answers.call("GetBulkJob", ident, BulkJob)["status"] == "BULK_JOB_RUNNING":
        time.sleep(0.1)
    answers.call("SearchBulkJob", {"status": "BULK_JOB_COMPLETED"}, BulkJobIdList)
    answers.call("DeleteBulkJob", ident, Empty)


def _inactive_thread_run(answers: _Answers, names: Names) -> None:
    """GetInactiveThreadRun (ops-misc): a child thread its ThreadSpec's retention archived."""
    client = answers.client

    def child(thread: LhWorkflowThread) -> None:
        thread.with_retention_policy(ThreadRetentionPolicy(seconds_after_thread_termination=0))

    def body(wf: LhWorkflowThread) -> None:
        wf.wait_for_threads(SpawnedThreads.from_list(wf.spawn_thread(child, "child")))

    client.put_wf_spec(MessageToDict(LhWorkflow(names("archived"), body).compile()))
    wf_run_id = client.run_wf(names("archived"))["id"]["id"]
    client.wait_for_wf_run(wf_run_id, ("COMPLETED",), timeout=30)
    ident = {"wfRunId": {"id": wf_run_id}, "threadRunNumber": 1}
    answers.call("GetInactiveThreadRun", ident, InactiveThreadRun)


def test_every_rpc_answers_with_its_littlehorse_message(client: Client, names: Names) -> None:
    answers = _Answers(client)
    tasks = _register(answers, names)

    def boom() -> None:
        raise TaskException("boom", "a business failure")

    with worker(client, {tasks["inc"]: lambda n: n + 1, tasks["boom"]: boom}):
        run = answers.call("RunWf", {"wfSpecName": names("wf")}, WfRun)
        wf_run_id = run["id"]["id"]
        client.wait_for_wf_run(wf_run_id, ("RUNNING",), timeout=30)
        answers.call(
            "PutExternalEvent",
            {
                "wfRunId": {"id": wf_run_id},
                "externalEventDefId": {"name": tasks["event"]},
                "content": {"int": 3},
            },
            ExternalEvent,
        )
        scheduled, token, _ = take_attempt(client, tasks["manual"], wait_seconds=30)
        _read_run(answers, wf_run_id)
        answers.call("StopWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        answers.call("ResumeWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        # Task checkpoints (ops-events): the attempt saves a step before it reports.
        step = {"taskRunId": scheduled["taskRunId"], "taskAttempt": 0, "value": {"int": 2}}
        answers.call("PutCheckpoint", step, PutCheckpointResponse, {TASK_TOKEN_HEADER: token})
        report = success_report(scheduled, {"int": 1})
        answers.call("ReportTask", report, Empty, {TASK_TOKEN_HEADER: token})
        client.wait_for_wf_run(wf_run_id, timeout=30)
        checkpoint_id = {"taskRun": scheduled["taskRunId"], "checkpointNumber": 0}
        answers.call("GetCheckpoint", checkpoint_id, Checkpoint)
    _read_run(answers, wf_run_id)
    (child_id,) = {
        a["runChildWf"]["childWfRunId"]["id"]
        for rpc, a, _ in answers.seen
        if rpc == "GetNodeRun" and "childWfRunId" in a.get("runChildWf", {})
    }
    _read_run(answers, child_id)
    _read_definitions(answers, names)
    _operate(answers, names)
    assert client.get_wf_run(wf_run_id)["status"] == "COMPLETED"
    answers.call("DeleteWfRun", {"id": {"id": wf_run_id}}, Empty)
    answers.call("DeleteWfSpec", {"id": {"name": names("wf")}}, Empty)
    answers.call("DeleteTaskDef", {"id": {"name": tasks["boom"]}}, Empty)
    answers.call("DeleteExternalEventDef", {"id": {"name": tasks["event"]}}, Empty)
    answers.call("DeleteWorkflowEventDef", {"id": {"name": tasks["thrown"]}}, Empty)
    _user_task_rpcs(answers, names)
    _correlated_events(answers, names)
    _struct_defs(answers, names)
    _migrations(answers, names)
    _inactive_thread_run(answers, names)
    _bulk_jobs(answers, names)
    answers.call("GetServerVersion", {}, LittleHorseVersion)

    called = {rpc for rpc, _, _ in answers.seen}
    assert called | CANTER_ONLY == {route.rpc for route in ROUTES}
    kinds = answers.node_kinds()
    assert {"task", "externalEvent", "startThread", "waitForThreads", "sleep"} <= kinds
    assert {"runChildWf", "waitForChildWf", "throwEvent", "entrypoint", "exit"} <= kinds
    assert "userTask" in kinds
    assert answers.violations() == []


# --- user tasks (issue 14) -------------------------------------------------


def _user_task_rpcs(answers: _Answers, names: Names) -> None:
    """Every UserTaskDef and UserTaskRun rpc, on a WfRun of its own."""
    form = names("form")
    field = {"name": "ok", "type": "BOOL", "displayName": "OK?", "required": True}
    answers.call("PutUserTaskDef", {"name": form, "fields": [field]}, UserTaskDef)
    answers.call("GetUserTaskDef", {"name": form}, UserTaskDef)
    answers.call("GetLatestUserTaskDef", {"name": form}, UserTaskDef)
    answers.call("SearchUserTaskDef", {"prefix": form}, UserTaskDefIdList)
    answers.call("PutUserTaskDef", {"name": names("gone")}, UserTaskDef)
    answers.call("DeleteUserTaskDef", {"id": {"name": names("gone")}}, Empty)
    client = answers.client

    def body(wf: LhWorkflowThread) -> None:
        wf.assign_user_task(form, user_id="alice", user_group="finance").with_notes("look")

    client.put_wf_spec(MessageToDict(LhWorkflow(names("ut"), body).compile()))
    runs = [client.run_wf(names("ut"))["id"] for _ in range(2)]
    utr_ids = [_user_task_run_of(client, run) for run in runs]
    utr_id, other = utr_ids
    answers.call("GetUserTaskRun", utr_id, UserTaskRun)
    answers.call("ListUserTaskRuns", {"wfRunId": runs[0]}, UserTaskRunList)
    answers.call("SearchUserTaskRun", {"userId": "alice"}, UserTaskRunIdList)
    answers.call("SearchUserTaskRun", {"userGroup": "finance", "limit": 1}, UserTaskRunIdList)
    change = {"userTaskRunId": utr_id, "userId": "alice"}
    answers.call("AssignUserTaskRun", {**change, "overrideClaim": True}, Empty)
    answers.call("SaveUserTaskRunProgress", {**change, "results": {}}, UserTaskRun)
    answers.call("PutUserTaskRunComment", {**change, "comment": "hm"}, UserTaskRun)
    _wait_for_event(client, utr_id, "commentAdded")
    answers.call(
        "EditUserTaskRunComment", {**change, "comment": "ok", "userCommentId": 1}, UserTaskRun
    )
    answers.call("DeleteUserTaskRunComment", {**change, "userCommentId": 1}, UserTaskRun)
    _wait_for_event(client, utr_id, "commentDeleted")
    answers.call("CompleteUserTaskRun", {**change, "results": {"ok": {"bool": True}}}, Empty)
    answers.call("CancelUserTaskRun", {"userTaskRunId": other}, Empty)
    for run in runs:
        client.wait_for_wf_run(run["id"], timeout=30)
        _read_run(answers, run["id"])
    answers.call("GetUserTaskRun", utr_id, UserTaskRun)


def _user_task_run_of(client: Client, run: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        listed = client.call("ListUserTaskRuns", {"wfRunId": run})["results"]
        if listed:
            found: dict[str, Any] = listed[0]["id"]
            return found
        time.sleep(0.1)
    raise AssertionError(f"no UserTaskRun in {run}")


def _wait_for_event(client: Client, utr_id: dict[str, Any], kind: str) -> None:
    deadline = time.monotonic() + 30
    while kind not in client.call("GetUserTaskRun", utr_id)["events"][-1]:
        assert time.monotonic() < deadline, kind
        time.sleep(0.1)


def test_failed_halted_and_fanned_out_runs_answer_with_littlehorse_messages(
    client: Client, names: Names
) -> None:
    """ERROR and TIMEOUT failures handled, a fan-out, a condition, an interrupt, a halt
    and an EXCEPTION end."""
    answers = _Answers(client)
    crash, square, late, poke = names("crash"), names("square"), names("late"), names("poke")
    answers.call("PutTaskDef", {"name": crash}, TaskDef)
    answers.call("PutTaskDef", {"name": square, **int_input()}, TaskDef)
    for event in (late, poke, names("never")):
        answers.call("PutExternalEventDef", {"name": event}, ExternalEventDef)

    def body(t: WorkflowThread) -> None:
        items = t.declare_json_arr("items", [2, 3])
        ready = t.declare_bool("ready", False)
        t.add_interrupt_handler(poke, lambda h: h.execute(square, 1))
        t.handle_error(t.execute(crash), lambda h: None)
        t.handle_error(t.wait_for_event(late, timeout=1), lambda h: None)

        def each(c: WorkflowThread) -> None:
            c.execute(square, c.declare_int("INPUT"))
            ready.assign(True)

        t.wait_for_threads(t.spawn_thread_for_each(items, each, "each"))
        t.wait_for_condition(ready.is_equal_to(True))
        t.wait_for_event(names("never"))
        t.fail("gave-up", "no event came")

    answers.call("PutWfSpec", _compiled(names("wf"), body), WfSpec)
    never = next(
        name
        for name in answers.call("GetWfSpec", {"name": names("wf")}, WfSpec)["threadSpecs"][
            "entrypoint"
        ]["nodes"]
        if names("never") in name
    )

    def crash_fn() -> None:
        raise ValueError("a technical failure")

    with worker(client, {crash: crash_fn, square: lambda n: n * n}):
        wf_run_id = answers.call("RunWf", {"wfSpecName": names("wf")}, WfRun)["id"]["id"]
        deadline = time.monotonic() + 30
        while (never, "RUNNING") not in node_statuses(client, wf_run_id):
            assert time.monotonic() < deadline, "the run never reached its last wait"
            time.sleep(0.1)
        client.put_external_event(wf_run_id, poke, guid="p1")
        answers.call("StopWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        _read_run(answers, wf_run_id)
        answers.call("ResumeWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        client.put_external_event(wf_run_id, names("never"))
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "EXCEPTION"
    _read_run(answers, wf_run_id)
    kinds = answers.node_kinds()
    assert {"startMultipleThreads", "waitForCondition", "waitForThreads"} <= kinds
    assert answers.violations() == []
