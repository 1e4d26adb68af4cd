"""The node graph of one ThreadSpec while it is being built.

Nodes are appended in program order and named ``<index>-<label>-<KIND>`` as
the LittleHorse SDK names them. Each new node is linked from the previous one
by an edge that carries the mutations and the condition queued since, which
is how LittleHorse turns straight-line Python into a graph.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from canter.builder.errors import WorkflowDefinitionError


class NodeKind(StrEnum):
    ENTRYPOINT = "entrypoint"
    EXIT = "exit"
    TASK = "task"
    EXTERNAL_EVENT = "externalEvent"
    START_THREAD = "startThread"
    WAIT_FOR_THREADS = "waitForThreads"
    NOP = "nop"
    SLEEP = "sleep"
    START_MULTIPLE_THREADS = "startMultipleThreads"
    THROW_EVENT = "throwEvent"
    WAIT_FOR_CONDITION = "waitForCondition"
    RUN_CHILD_WF = "runChildWf"
    WAIT_FOR_CHILD_WF = "waitForChildWf"
    USER_TASK = "userTask"


@dataclass
class Edge:
    sink_node_name: str
    condition: dict[str, Any] | None = None
    variable_mutations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        edge: dict[str, Any] = {"sinkNodeName": self.sink_node_name}
        if self.condition is not None:
            edge["condition"] = self.condition
        if self.variable_mutations:
            edge["variableMutations"] = list(self.variable_mutations)
        return edge


@dataclass
class Node:
    name: str
    kind: NodeKind
    body: dict[str, Any]
    outgoing_edges: list[Edge] = field(default_factory=list)
    failure_handlers: list[dict[str, Any]] = field(default_factory=list)
    late_fields: Callable[[], dict[str, Any]] | None = None
    """Body fields known only when the workflow compiles (workflow-wide task defaults)."""

    def edge_to(self, sink_node_name: str) -> Edge:
        return next(edge for edge in self.outgoing_edges if edge.sink_node_name == sink_node_name)

    def to_json(self) -> dict[str, Any]:
        body = self.body if self.late_fields is None else {**self.body, **self.late_fields()}
        node: dict[str, Any] = {self.kind.value: body}
        if self.outgoing_edges:
            node["outgoingEdges"] = [edge.to_json() for edge in self.outgoing_edges]
        if self.failure_handlers:
            node["failureHandlers"] = list(self.failure_handlers)
        return node


class ThreadGraph:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.last_node_name = ""
        self.pending_mutations: list[dict[str, Any]] = []
        self.pending_condition: dict[str, Any] | None = None

    def add_node(self, label: str, kind: NodeKind, body: dict[str, Any]) -> str:
        """Append a node, linked from the last one unless that one ended the thread.

        After an EXIT only a NOP may follow: it is the join node of an
        if/else whose branch ended the thread, and it gets no edge from it.
        """
        name = f"{len(self.nodes)}-{label}-{kind.name}"
        if self.nodes:
            last = self.last_node()
            if last.kind != NodeKind.EXIT:
                last.outgoing_edges.append(
                    Edge(name, self.pending_condition, self.take_mutations())
                )
                self.pending_condition = None
            elif kind != NodeKind.NOP:
                raise WorkflowDefinitionError(
                    "cannot add a node after the thread has ended (fail() or complete())"
                )
        self.nodes.append(Node(name, kind, body))
        self.last_node_name = name
        return name

    def find(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    def last_node(self) -> Node:
        return self.find(self.last_node_name)

    def node_after(self, name: str) -> Node:
        index = next(i for i, node in enumerate(self.nodes) if node.name == name)
        return self.nodes[index + 1]

    def take_mutations(self) -> list[dict[str, Any]]:
        taken, self.pending_mutations = self.pending_mutations, []
        return taken

    def to_json(self) -> dict[str, Any]:
        return {node.name: node.to_json() for node in self.nodes}
