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

from typing import Any

import pytest
from canter import Client, TaskException, Workflow, WorkflowThread
from canter.client import TASK_TOKEN_HEADER
from canter_engine.handlers.routes import ROUTES
from google.protobuf.empty_pb2 import Empty
from google.protobuf.json_format import ParseDict, ParseError
from google.protobuf.message import Message
from littlehorse.model import (
    ExternalEvent,
    ExternalEventDef,
    ExternalEventDefIdList,
    ExternalEventList,
    NodeRun,
    NodeRunList,
    TaskDef,
    TaskDefIdList,
    TaskRun,
    TaskRunList,
    Variable,
    VariableList,
    WfRun,
    WfRunIdList,
    WfSpec,
    WfSpecIdList,
    WorkflowEvent,
    WorkflowEventDef,
    WorkflowEventDefIdList,
    WorkflowEventList,
)

from .support import Names, int_input, success_report, take_attempt, worker

pytestmark = pytest.mark.e2e

# The rpcs of Canter's own, which LittleHorse does not have: no message to parse into.
CANTER_ONLY = {"ReportTasks", "GetTaskDefQueue"}


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
        found = []
        for rpc, answer, cls in self.seen:
            try:
                ParseDict(answer, cls())
            except ParseError as exc:
                found.append(f"{rpc} -> {cls.__name__}: {exc}")
        return found


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
        n = t.declare_int("n", 1)
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


def _read_everything(answers: _Answers, names: Names, wf_run_id: str) -> None:
    run_id = {"id": wf_run_id}
    spec = names("wf")
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
    answers.call("GetWfSpec", {"name": spec}, WfSpec)
    answers.call("GetLatestWfSpec", {"name": spec}, WfSpec)
    answers.call("GetTaskDef", {"name": names("inc")}, TaskDef)
    answers.call("GetExternalEventDef", {"name": names("go")}, ExternalEventDef)
    answers.call("GetWorkflowEventDef", {"name": names("thrown")}, WorkflowEventDef)
    answers.call("SearchWfRun", {"wfSpecName": spec}, WfRunIdList)
    answers.call("SearchWfSpec", {"name": spec}, WfSpecIdList)
    answers.call("SearchTaskDef", {"prefix": names("")}, TaskDefIdList)
    answers.call("SearchExternalEventDef", {"prefix": names("")}, ExternalEventDefIdList)
    answers.call("SearchWorkflowEventDef", {"prefix": names("")}, WorkflowEventDefIdList)


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
        _read_everything(answers, names, wf_run_id)
        answers.call("StopWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        answers.call("ResumeWfRun", {"wfRunId": {"id": wf_run_id}}, Empty)
        report = success_report(scheduled, {"int": 1})
        answers.call("ReportTask", report, Empty, {TASK_TOKEN_HEADER: token})
        client.wait_for_wf_run(wf_run_id, timeout=30)
    _read_everything(answers, names, wf_run_id)
    assert client.get_wf_run(wf_run_id)["status"] == "COMPLETED"
    answers.call("DeleteWfRun", {"id": {"id": wf_run_id}}, Empty)
    answers.call("DeleteWfSpec", {"id": {"name": names("wf")}}, Empty)
    answers.call("DeleteTaskDef", {"id": {"name": tasks["boom"]}}, Empty)
    answers.call("DeleteExternalEventDef", {"id": {"name": tasks["event"]}}, Empty)
    answers.call("DeleteWorkflowEventDef", {"id": {"name": tasks["thrown"]}}, Empty)

    called = {rpc for rpc, _, _ in answers.seen}
    assert called | CANTER_ONLY == {route.rpc for route in ROUTES}
    kinds = {
        key
        for rpc, answer, _ in answers.seen
        if rpc == "GetNodeRun"
        for key in answer
        if key not in NodeRun.DESCRIPTOR.fields_by_camelcase_name
        or NodeRun.DESCRIPTOR.fields_by_camelcase_name[key].containing_oneof
    }
    assert {"task", "externalEvent", "startThread", "waitForThreads", "sleep"} <= kinds
    assert {"runChildWf", "waitForChildWf", "throwEvent", "entrypoint", "exit"} <= kinds
    assert answers.violations() == [], "\n".join(
        sorted(set(v.split(" Available")[0] for v in answers.violations()))
    )
