"""``do_if`` / ``do_else_if`` / ``do_else`` and ``do_while`` as NOP nodes and edges.

The wiring reproduces the LittleHorse SDK's node for node, so that a
workflow compiles to the same graph in both: an if is a NOP fan-out whose
last edge is the unconditional else, joined by a second NOP; a while loop is
a NOP pair with a conditional edge into the body, the negated edge past it,
and a back edge from the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from canter.builder.errors import WorkflowDefinitionError
from canter.builder.graph import Edge, NodeKind

if TYPE_CHECKING:
    from canter.builder.thread import WorkflowThread

ThreadBody = Callable[["WorkflowThread"], None]


class IfStatement:
    """Handle returned by ``do_if``: chain ``do_else_if`` and ``do_else`` on it."""

    def __init__(self, thread: WorkflowThread, first_nop: str, last_nop: str) -> None:
        self._thread = thread
        self._first_nop = first_nop
        self._last_nop = last_nop
        self._has_else = False

    def get_first_nop_node_name(self) -> str:
        """The NOP node the branches fan out from."""
        return self._first_nop

    def get_last_nop_node_name(self) -> str:
        """The NOP node the branches join at."""
        return self._last_nop

    def do_else_if(self, condition: Any, body: ThreadBody) -> IfStatement:
        """Run ``body`` when every earlier condition failed and ``condition`` holds."""
        if self._has_else:
            raise WorkflowDefinitionError("do_else_if() after do_else(): the else must come last")
        compiled, _ = self._thread.compile_condition(condition)
        self._add_branch(compiled, body)
        return self

    def do_else(self, body: ThreadBody) -> None:
        """Run ``body`` when every earlier condition failed."""
        if self._has_else:
            raise WorkflowDefinitionError("this if statement already has an else")
        self._has_else = True
        self._add_branch(None, body)

    def _add_branch(self, condition: dict[str, Any] | None, body: ThreadBody) -> None:
        """Insert a branch before the else edge (or as the else edge when unconditional).

        The body's nodes are appended after the join NOP; the edge that
        ``add_node`` drew from the join NOP to the body's first node is moved
        to the fan-out NOP, and the body's last node is linked to the join.
        """
        graph = self._thread.graph
        first = graph.find(self._first_nop)
        else_edge = first.outgoing_edges.pop()
        parent_last_name = graph.last_node_name
        parent_last = graph.last_node()
        self._thread.run_body(body)
        body_last = graph.last_node()
        if body_last.name == parent_last.name:
            first.outgoing_edges.append(Edge(self._last_nop, condition, graph.take_mutations()))
        else:
            into_body = parent_last.outgoing_edges.pop()
            first.outgoing_edges.append(
                Edge(into_body.sink_node_name, condition, into_body.variable_mutations)
            )
            if body_last.kind != NodeKind.EXIT:
                body_last.outgoing_edges.append(Edge(self._last_nop, None, graph.take_mutations()))
        if condition is not None:
            first.outgoing_edges.append(else_edge)
        graph.last_node_name = parent_last_name


def do_if(thread: WorkflowThread, condition: Any, body: ThreadBody) -> IfStatement:
    compiled, _ = thread.compile_condition(condition)
    graph = thread.graph
    first_nop = graph.add_node("nop", NodeKind.NOP, {})
    graph.pending_condition = compiled
    thread.run_body(body)
    last_nop = graph.add_node("nop", NodeKind.NOP, {})
    graph.find(first_nop).outgoing_edges.append(Edge(last_nop))
    return IfStatement(thread, first_nop, last_nop)


def do_while(thread: WorkflowThread, condition: Any, body: ThreadBody) -> None:
    compiled, negated = thread.compile_condition(condition)
    graph = thread.graph
    start = graph.add_node("nop", NodeKind.NOP, {})
    thread.run_body(body)
    end = graph.add_node("nop", NodeKind.NOP, {})
    start_node = graph.find(start)
    start_node.edge_to(graph.node_after(start).name).condition = compiled
    start_node.outgoing_edges.append(Edge(end, negated))
    graph.find(end).outgoing_edges.append(Edge(start, compiled))
