"""The dashboard's view models: a WfSpec as a graph, a ThreadRun's NodeRuns laid onto it."""

from __future__ import annotations

import json
from typing import Any

from canter import Workflow, WorkflowThread
from canter.dashboard import views

from tests.dashboard.flows import APPROVED_EVENT, CANCEL_EVENT, CHECK_TASK, WORKFLOW


def spec_of(workflow: Workflow) -> dict[str, Any]:
    """The WfSpec the API stores for a compiled workflow (same threadSpecs)."""
    request = workflow.compile()
    return {"id": {"name": request["name"]}, **request}


def edges(graph: views.ThreadGraph) -> dict[tuple[str, str], views.GraphEdge]:
    return {(e.source, e.target): e for e in graph.edges}


def node_run(position: int, name: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "id": {"wfRunId": {"id": "r"}, "position": position},
        "nodeName": name,
        "status": status,
        **more,
    }


def test_every_thread_is_a_graph_the_entrypoint_first() -> None:
    graphs = views.wf_spec_graphs(spec_of(WORKFLOW))

    assert [g.thread_spec for g in graphs] == [
        "entrypoint",
        "exn-handler-1-dashboard-check-TASK-FAILURE_TYPE_ERROR",
        "interrupt-dashboard-cancel",
        "notify",
    ]


def test_nodes_carry_their_type_and_what_they_do() -> None:
    entry = views.wf_spec_graphs(spec_of(WORKFLOW))[0]

    described = {n.id: (n.kind, n.detail) for n in entry.nodes if n.kind not in ("NOP",)}
    assert described["0-entrypoint-ENTRYPOINT"] == ("ENTRYPOINT", "entrypoint")
    assert described["1-dashboard-check-TASK"] == ("TASK", f"task {CHECK_TASK}")
    assert described["2-notify-START_THREAD"] == ("START_THREAD", "start notify")
    assert described["3-threads-WAIT_FOR_THREADS"] == ("WAIT_FOR_THREADS", "wait for threads")
    assert described["5-dashboard-approved-EXTERNAL_EVENT"] == (
        "EXTERNAL_EVENT",
        f"wait for {APPROVED_EVENT}",
    )
    assert described["7-exit-EXIT"] == ("EXIT", "exit")
    assert entry.node("2-notify-START_THREAD").thread_spec == "notify"


def test_edges_show_their_conditions_and_mutations() -> None:
    entry = views.wf_spec_graphs(spec_of(WORKFLOW))[0]
    by_ends = edges(entry)

    assert by_ends[("4-nop-NOP", "5-dashboard-approved-EXTERNAL_EVENT")].label == "amount > 100"
    assert by_ends[("4-nop-NOP", "6-nop-NOP")].label == 'decision = {"approved": true}'
    assert by_ends[("1-dashboard-check-TASK", "2-notify-START_THREAD")].mutations == (
        "token = output of 1-dashboard-check-TASK",
    )
    assert by_ends[("6-nop-NOP", "7-exit-EXIT")].label == ""


def test_failure_handlers_and_interrupts_are_boxes_of_their_own() -> None:
    entry = views.wf_spec_graphs(spec_of(WORKFLOW))[0]

    handler = entry.node("handler:1-dashboard-check-TASK:0")
    assert (handler.kind, handler.label) == ("HANDLER", "on any error")
    assert handler.thread_spec == "exn-handler-1-dashboard-check-TASK-FAILURE_TYPE_ERROR"
    assert edges(entry)[("1-dashboard-check-TASK", handler.id)].kind == "failure"
    interrupt = entry.node("interrupt:0")
    assert (interrupt.kind, interrupt.label) == ("INTERRUPT", f"interrupt {CANCEL_EVENT}")
    assert interrupt.thread_spec == "interrupt-dashboard-cancel"


def test_loops_and_else_branches_read_as_written() -> None:
    def body(t: WorkflowThread) -> None:
        i = t.declare_int("i", 0)
        limit = t.declare_int("limit").required()
        items = t.declare_json_arr("items", [])
        t.do_while(
            i.is_less_than(limit),
            lambda loop: (loop.mutate(i, "ADD", 1), loop.mutate(items, "EXTEND", [1])),
        )
        t.sleep_seconds(limit)

    graph = views.wf_spec_graphs(spec_of(Workflow("loop", body)))[0]
    labels = {e.label for e in graph.edges}

    assert "i < limit" in labels
    assert "i >= limit" in labels
    assert any("i += 1" in label and "items extend [1]" in label for label in labels)
    assert ("SLEEP", "sleep limit s") in {(n.kind, n.detail) for n in graph.nodes}


def test_node_runs_colour_the_graph_and_mark_the_path_taken() -> None:
    """A run that took the big-amount branch and waits for approval at node 5."""
    entry = views.wf_spec_graphs(spec_of(WORKFLOW))[0]
    runs = [
        node_run(0, "0-entrypoint-ENTRYPOINT", "COMPLETED"),
        node_run(1, "1-dashboard-check-TASK", "COMPLETED"),
        node_run(2, "2-notify-START_THREAD", "COMPLETED"),
        node_run(3, "3-threads-WAIT_FOR_THREADS", "COMPLETED"),
        node_run(4, "4-nop-NOP", "COMPLETED"),
        node_run(5, "5-dashboard-approved-EXTERNAL_EVENT", "RUNNING"),
    ]

    walked = views.overlay(entry, reversed(runs), current_position=5)

    status = {n.id: n.status for n in walked.nodes}
    assert status["1-dashboard-check-TASK"] == "COMPLETED"
    assert status["5-dashboard-approved-EXTERNAL_EVENT"] == "RUNNING"
    assert status["6-nop-NOP"] == "" and status["7-exit-EXIT"] == ""
    assert [n.id for n in walked.nodes if n.current] == ["5-dashboard-approved-EXTERNAL_EVENT"]
    taken = {(e.source, e.target) for e in walked.edges if e.taken}
    assert ("4-nop-NOP", "5-dashboard-approved-EXTERNAL_EVENT") in taken
    assert ("4-nop-NOP", "6-nop-NOP") not in taken
    assert ("1-dashboard-check-TASK", "handler:1-dashboard-check-TASK:0") not in taken
    assert len(taken) == 5


def test_a_loop_counts_its_passes_and_a_handled_failure_takes_the_dashed_edge() -> None:
    entry = views.wf_spec_graphs(spec_of(WORKFLOW))[0]
    runs = [
        node_run(0, "0-entrypoint-ENTRYPOINT", "COMPLETED"),
        node_run(
            1,
            "1-dashboard-check-TASK",
            "ERROR",
            failureHandlerIds=[1],
            failures=[{"failureName": "TASK_FAILED", "message": "boom"}],
        ),
    ]

    walked = views.overlay(entry, runs, current_position=None)

    assert walked.node("1-dashboard-check-TASK").status == "ERROR"
    assert edges(walked)[("1-dashboard-check-TASK", "handler:1-dashboard-check-TASK:0")].taken

    def loop(t: WorkflowThread) -> None:
        i = t.declare_int("i", 0)
        t.do_while(i.is_less_than(2), lambda body: body.mutate(i, "ADD", 1))

    graph = views.wf_spec_graphs(spec_of(Workflow("loop", loop)))[0]
    names = [n.id for n in graph.nodes]
    passes = [names[0], names[1], names[2], names[1], names[2], names[1], names[-1]]
    walked = views.overlay(
        graph, [node_run(p, name, "COMPLETED") for p, name in enumerate(passes)], None
    )
    assert walked.node(names[1]).runs == 3
    assert walked.node(names[2]).runs == 2


def test_the_graph_json_cannot_close_its_script_element() -> None:
    def body(t: WorkflowThread) -> None:
        t.declare_str("s", "</script><script>alert(1)</script>")
        note = t.declare_str("note")
        t.mutate(note, "ASSIGN", "</script>")

    graph = views.wf_spec_graphs(spec_of(Workflow("sneaky", body)))[0]
    text = graph.json_text()

    assert "<" not in text
    assert json.loads(text)["edges"][0]["label"] == 'note = "</script>"'


def test_the_thread_tree_nests_children_under_their_parents() -> None:
    threads = [
        {"number": 0, "threadSpecName": "entrypoint", "status": "RUNNING"},
        {"number": 2, "threadSpecName": "b", "parentThreadId": 0, "type": "CHILD"},
        {"number": 1, "threadSpecName": "a", "parentThreadId": 0, "type": "CHILD"},
        {
            "number": 3,
            "threadSpecName": "handler",
            "parentThreadId": 1,
            "type": "FAILURE_HANDLER",
            "status": "ERROR",
            "errorMessage": "failed",
        },
    ]

    tree = views.thread_tree(threads)

    assert [(t.number, t.depth) for t in tree] == [(0, 0), (1, 1), (3, 2), (2, 1)]
    assert tree[0].children == (1, 2)
    assert (tree[2].type, tree[2].status, tree[2].error) == ("FAILURE_HANDLER", "ERROR", "failed")
    assert tree[3].status == "STARTING"


def test_values_and_durations_read_plainly() -> None:
    assert views.value_text({"str": "*****"}) == '"*****"'
    assert views.value_text({"int": "42"}) == "42"
    assert views.value_text({"bool": False}) == "false"
    assert views.value_text({"jsonObj": '{"a":1}'}) == '{"a":1}'
    assert views.value_text({"wfRunId": {"id": "parent_child"}}) == "parent_child"
    assert views.value_text(None) == "null"
    assert views.duration_text("2026-01-01T00:00:00Z", "2026-01-01T00:00:00.250Z") == "250 ms"
    assert views.duration_text("2026-01-01T00:00:00Z", "2026-01-01T00:00:03.5Z") == "3.50 s"
    assert views.duration_text("2026-01-01T00:00:00Z", None) == ""
