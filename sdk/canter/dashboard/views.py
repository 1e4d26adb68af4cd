"""What the dashboard shows, computed from LittleHorse messages without I/O.

A WfSpec's thread becomes a :class:`ThreadGraph` (nodes by type, edges
with their conditions and mutations, failure handlers and interrupts as
nodes of their own); a ThreadRun's NodeRuns are laid onto it by
:func:`overlay` (each node's latest status, how often it ran, the edges
the run took). The browser only lays the graph out (dagre) and draws it;
everything it draws is decided here, so it is tested here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

# A Node message's oneof field -> LittleHorse's node type name.
NODE_TYPES: Mapping[str, str] = {
    "entrypoint": "ENTRYPOINT",
    "exit": "EXIT",
    "task": "TASK",
    "externalEvent": "EXTERNAL_EVENT",
    "startThread": "START_THREAD",
    "waitForThreads": "WAIT_FOR_THREADS",
    "nop": "NOP",
    "sleep": "SLEEP",
    "userTask": "USER_TASK",
    "startMultipleThreads": "START_MULTIPLE_THREADS",
    "throwEvent": "THROW_EVENT",
    "waitForCondition": "WAIT_FOR_CONDITION",
    "runChildWf": "RUN_CHILD_WF",
    "waitForChildWf": "WAIT_FOR_CHILD_WF",
}
COMPARATORS: Mapping[str, str] = {
    "LESS_THAN": "<",
    "GREATER_THAN": ">",
    "LESS_THAN_EQ": "<=",
    "GREATER_THAN_EQ": ">=",
    "EQUALS": "==",
    "NOT_EQUALS": "!=",
    "IN": "in",
    "NOT_IN": "not in",
}
OPERATIONS: Mapping[str, str] = {
    "ASSIGN": "=",
    "ADD": "+=",
    "SUBTRACT": "-=",
    "MULTIPLY": "*=",
    "DIVIDE": "/=",
    "EXTEND": "extend",
    "REMOVE_IF_PRESENT": "remove",
    "REMOVE_INDEX": "remove index",
    "REMOVE_KEY": "remove key",
}
EXPRESSION_OPERATORS: Mapping[str, str] = {
    "ADD": "+",
    "SUBTRACT": "-",
    "MULTIPLY": "*",
    "DIVIDE": "/",
}
FINAL_WF_RUN_STATUSES = frozenset({"COMPLETED", "ERROR", "EXCEPTION"})


@dataclass(frozen=True)
class GraphNode:
    """One box of the graph: a WfSpec node, or a failure handler / interrupt."""

    id: str
    kind: str  # a NODE_TYPES value, or HANDLER / INTERRUPT
    label: str
    detail: str = ""
    # The ThreadSpec this box starts or hands over to (START_THREAD, handlers, interrupts).
    thread_spec: str = ""
    status: str = ""
    runs: int = 0
    current: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "detail": self.detail,
            "threadSpec": self.thread_spec,
            "status": self.status,
            "runs": self.runs,
            "current": self.current,
        }


@dataclass(frozen=True)
class GraphEdge:
    """An arrow: ``flow`` (an Edge), ``failure`` (to a handler) or ``interrupt``."""

    source: str
    target: str
    kind: str = "flow"
    condition: str = ""
    mutations: tuple[str, ...] = ()
    taken: bool = False

    @property
    def label(self) -> str:
        return "; ".join(part for part in (self.condition, *self.mutations) if part)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "label": self.label,
            "taken": self.taken,
        }


@dataclass(frozen=True)
class ThreadGraph:
    thread_spec: str
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    variables: tuple[Mapping[str, Any], ...] = ()

    def node(self, node_id: str) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "threadSpec": self.thread_spec,
            "nodes": [n.to_json() for n in self.nodes],
            "edges": [e.to_json() for e in self.edges],
        }

    def json_text(self) -> str:
        """For a ``<script type="application/json">``: no ``<`` can end the element early."""
        return json.dumps(self.to_json(), separators=(",", ":")).replace("<", "\\u003c")


# --- WfSpec -> graph -----------------------------------------------------------------


def wf_spec_graphs(wf_spec: Mapping[str, Any]) -> list[ThreadGraph]:
    """Every thread of a WfSpec, the entrypoint first, then by name."""
    threads: Mapping[str, Any] = wf_spec.get("threadSpecs", {})
    entry = wf_spec.get("entrypointThreadName", "entrypoint")
    names = sorted(threads, key=lambda name: (name != entry, name))
    return [thread_graph(name, threads[name]) for name in names]


def thread_graph(name: str, thread_spec: Mapping[str, Any]) -> ThreadGraph:
    nodes: list[GraphNode] = []
    edges: list[GraphEdge] = []
    for node_name, node in _by_position(thread_spec.get("nodes", {})):
        kind, detail, target_thread = _describe(node)
        nodes.append(GraphNode(node_name, kind, node_name, detail, target_thread))
        for edge in node.get("outgoingEdges", []):
            edges.append(
                GraphEdge(
                    node_name,
                    edge["sinkNodeName"],
                    condition=condition_text(edge.get("condition")),
                    mutations=tuple(mutation_text(m) for m in edge.get("variableMutations", [])),
                )
            )
        for i, handler in enumerate(node.get("failureHandlers", [])):
            handler_id = f"handler:{node_name}:{i}"
            spec = handler.get("handlerSpecName", "")
            nodes.append(
                GraphNode(
                    handler_id,
                    "HANDLER",
                    f"on {failure_text(handler)}",
                    f"thread {spec}",
                    spec,
                )
            )
            edges.append(GraphEdge(node_name, handler_id, kind="failure"))
    for i, interrupt in enumerate(thread_spec.get("interruptDefs", [])):
        event = interrupt.get("externalEventDefId", {}).get("name", "")
        spec = interrupt.get("handlerSpecName", "")
        nodes.append(
            GraphNode(f"interrupt:{i}", "INTERRUPT", f"interrupt {event}", f"thread {spec}", spec)
        )
    variables = tuple(thread_spec.get("variableDefs", []))
    return ThreadGraph(name, tuple(nodes), tuple(edges), variables)


def _by_position(nodes: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Nodes in the order the builder numbered them (``3-...`` before ``12-...``)."""

    def key(item: tuple[str, Any]) -> tuple[int, str]:
        prefix = item[0].split("-", 1)[0]
        return (int(prefix) if prefix.isdigit() else 1 << 30, item[0])

    return sorted(nodes.items(), key=key)


def _describe(node: Mapping[str, Any]) -> tuple[str, str, str]:
    """(node type, one line saying what it does, the ThreadSpec it starts if any)."""
    field_name = next((k for k in NODE_TYPES if k in node), "")
    kind = NODE_TYPES.get(field_name, "UNKNOWN")
    body: Mapping[str, Any] = node.get(field_name, {})
    if kind == "TASK":
        name = body.get("taskDefId", {}).get("name") or assignment_text(body.get("dynamicTask"))
        return kind, f"task {name}", ""
    if kind == "EXTERNAL_EVENT":
        detail = f"wait for {body.get('externalEventDefId', {}).get('name', '')}"
        if "timeoutSeconds" in body:
            detail += f" (timeout {assignment_text(body['timeoutSeconds'])} s)"
        return kind, detail, ""
    if kind in ("START_THREAD", "START_MULTIPLE_THREADS"):
        spec = body.get("threadSpecName", "")
        each = f" for each in {assignment_text(body['iterable'])}" if "iterable" in body else ""
        return kind, f"start {spec}{each}", spec
    if kind == "SLEEP":
        for key, text in (("rawSeconds", "sleep {} s"), ("timestamp", "sleep until {}")):
            if key in body:
                return kind, text.format(assignment_text(body[key])), ""
        return kind, f"sleep until {assignment_text(body.get('isoDate'))}", ""
    if kind == "EXIT" and "failureDef" in body:
        return kind, f"throw {body['failureDef'].get('failureName', '')}", ""
    if kind == "THROW_EVENT":
        return kind, f"throw {body.get('eventDefId', {}).get('name', '')}", ""
    if kind == "USER_TASK":
        who = body.get("userId") or body.get("userGroup")
        assigned = f" to {assignment_text(who)}" if who else ""
        return kind, f"user task {body.get('userTaskDefName', '')}{assigned}", ""
    if kind == "RUN_CHILD_WF":
        return kind, f"run {body.get('wfSpecName', '')}", ""
    if kind == "WAIT_FOR_CONDITION":
        return kind, f"until {condition_text(body.get('condition'))}", ""
    if kind == "WAIT_FOR_THREADS":
        return kind, "wait for threads", ""
    return kind, kind.lower().replace("_", " "), ""


def failure_text(handler: Mapping[str, Any]) -> str:
    if "specificFailure" in handler:
        return str(handler["specificFailure"])
    kind = handler.get("anyFailureOfType")
    if kind == "FAILURE_TYPE_ERROR":
        return "any error"
    if kind == "FAILURE_TYPE_EXCEPTION":
        return "any exception"
    return "any failure"


def condition_text(condition: Mapping[str, Any] | None) -> str:
    """``index < item-count``: an EdgeCondition, old (left/right) or expression form."""
    if not condition:
        return ""
    if "expression" in condition:
        condition = condition["expression"]
    left = condition.get("lhs", condition.get("left"))
    right = condition.get("rhs", condition.get("right"))
    comparator = str(condition.get("comparator", "LESS_THAN"))
    symbol = COMPARATORS.get(comparator, comparator)
    return f"{assignment_text(left)} {symbol} {assignment_text(right)}"


def mutation_text(mutation: Mapping[str, Any]) -> str:
    """``reserved += output of 2-reserve-item-TASK``."""
    lhs = str(mutation.get("lhsName", ""))
    if "lhsJsonPath" in mutation:
        lhs += str(mutation["lhsJsonPath"]).removeprefix("$")
    op = str(mutation.get("operation", "ASSIGN"))
    if "rhsAssignment" in mutation:
        rhs = assignment_text(mutation["rhsAssignment"])
    elif "literalValue" in mutation:
        rhs = value_text(mutation["literalValue"])
    else:
        rhs = "node output"
        if "nodeOutput" in mutation and "jsonpath" in mutation["nodeOutput"]:
            rhs += str(mutation["nodeOutput"]["jsonpath"]).removeprefix("$")
    return f"{lhs} {OPERATIONS.get(op, op)} {rhs}"


def assignment_text(assignment: Any) -> str:
    """A VariableAssignment as a person would write it."""
    if not isinstance(assignment, Mapping):
        return "" if assignment is None else str(assignment)
    path = str(assignment.get("jsonPath", "")).removeprefix("$")
    if "variableName" in assignment:
        return f"{assignment['variableName']}{path}"
    if "literalValue" in assignment:
        return value_text(assignment["literalValue"]) + path
    if "nodeOutput" in assignment:
        return f"output of {assignment['nodeOutput'].get('nodeName', '')}{path}"
    if "formatString" in assignment:
        fmt = assignment["formatString"]
        args = ", ".join(assignment_text(a) for a in fmt.get("args", []))
        return f"format({assignment_text(fmt.get('format'))}, {args})"
    if "expression" in assignment:
        expr = assignment["expression"]
        op = str(expr.get("operation", ""))
        lhs, rhs = assignment_text(expr.get("lhs")), assignment_text(expr.get("rhs"))
        return f"({lhs} {EXPRESSION_OPERATORS.get(op, op)} {rhs})"
    return json.dumps(dict(assignment), separators=(",", ":"))


def value_text(value: Mapping[str, Any] | None) -> str:
    """A VariableValue as text; a masked value stays the mask the API sent."""
    if not value:
        return "null"
    ((kind, raw),) = value.items()
    if kind == "str":
        return json.dumps(raw)
    if kind == "wfRunId":
        return str(raw.get("id", ""))
    if kind in ("bool",):
        return "true" if raw else "false"
    if kind == "struct":
        fields = raw.get("struct", {}).get("fields", {})
        shown = ", ".join(f"{name}: {value_text(f.get('value'))}" for name, f in fields.items())
        return f"{raw.get('structDefId', {}).get('name', '')} {{{shown}}}"
    if kind == "array":
        return "[" + ", ".join(value_text(item) for item in raw.get("items", [])) + "]"
    return str(raw)


# --- statuses onto the graph ----------------------------------------------------------


def overlay(
    graph: ThreadGraph, node_runs: Iterable[Mapping[str, Any]], current_position: int | None
) -> ThreadGraph:
    """The graph as one ThreadRun walked it.

    ``node_runs`` are that ThreadRun's NodeRuns (any order). Each node gets
    the status of its latest NodeRun and how many it had; the node at
    ``current_position`` is marked current; an edge is taken when one
    NodeRun of its source was followed by one of its sink (positions are
    consecutive within a ThreadRun). A failure edge is taken when its
    node's NodeRun started a failure handler.
    """
    ordered = sorted(node_runs, key=_position)
    latest: dict[str, Mapping[str, Any]] = {}
    counts: dict[str, int] = {}
    steps: set[tuple[str, str]] = set()
    handled: set[str] = set()
    current_name = ""
    for previous, node_run in zip([None, *ordered], ordered, strict=False):
        name = str(node_run.get("nodeName", ""))
        latest[name] = node_run
        counts[name] = counts.get(name, 0) + 1
        if previous is not None and _position(previous) + 1 == _position(node_run):
            steps.add((str(previous.get("nodeName", "")), name))
        if node_run.get("failureHandlerIds"):
            handled.add(name)
        if current_position is not None and _position(node_run) == current_position:
            current_name = name
    nodes = tuple(
        replace(
            node,
            status=str(latest[node.id].get("status", "STARTING")),
            runs=counts[node.id],
            current=node.id == current_name,
        )
        if node.id in latest
        else node
        for node in graph.nodes
    )
    edges = tuple(
        replace(
            edge,
            taken=(edge.source, edge.target) in steps
            or (edge.kind == "failure" and edge.source in handled),
        )
        for edge in graph.edges
    )
    return replace(graph, nodes=nodes, edges=edges)


def _position(node_run: Mapping[str, Any]) -> int:
    return int(node_run.get("id", {}).get("position", 0))


def thread_number(record: Mapping[str, Any]) -> int:
    """The ThreadRun number of a NodeRun or Variable (proto3 JSON omits 0)."""
    return int(record.get("id", {}).get("threadRunNumber", 0))


# --- the thread tree ---------------------------------------------------------------


@dataclass(frozen=True)
class ThreadItem:
    number: int
    spec: str
    status: str
    type: str
    depth: int
    start: str = ""
    end: str = ""
    error: str = ""
    children: tuple[int, ...] = field(default=())


def thread_tree(thread_runs: Sequence[Mapping[str, Any]]) -> list[ThreadItem]:
    """ThreadRuns depth first from the entrypoint, each with its depth for indentation.

    A ThreadRun whose parent is not in the list (never expected) is shown
    at the top level rather than hidden.
    """
    by_number = {int(t.get("number", 0)): t for t in thread_runs}
    children: dict[int | None, list[int]] = {}
    for number, thread in by_number.items():
        parent = thread.get("parentThreadId")
        key = int(parent) if parent is not None and int(parent) in by_number else None
        children.setdefault(key, []).append(number)
    items: list[ThreadItem] = []

    def visit(number: int, depth: int) -> None:
        thread = by_number[number]
        kids = tuple(sorted(children.get(number, [])))
        items.append(
            ThreadItem(
                number=number,
                spec=str(thread.get("threadSpecName", "")),
                status=str(thread.get("status", "STARTING")),
                type=str(thread.get("type", "ENTRYPOINT")),
                depth=depth,
                start=str(thread.get("startTime", "")),
                end=str(thread.get("endTime", "")),
                error=str(thread.get("errorMessage", "")),
                children=kids,
            )
        )
        for kid in kids:
            visit(kid, depth + 1)

    for root in sorted(children.get(None, [])):
        visit(root, 0)
    return items


# --- small formatting -------------------------------------------------------------------


def duration_text(start: str | None, end: str | None) -> str:
    """``1.25 s`` / ``120 ms`` between two RFC 3339 timestamps; empty if either is missing."""
    if not start or not end:
        return ""
    seconds = (_parse_time(end) - _parse_time(start)).total_seconds()
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    return f"{seconds / 60:.1f} min"


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_final(wf_run: Mapping[str, Any]) -> bool:
    return str(wf_run.get("status", "")) in FINAL_WF_RUN_STATUSES
