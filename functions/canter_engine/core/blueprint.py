"""A WfSpec prepared for execution: built once per WfSpec version, then reused.

Lookups the engine makes on every transition (a thread's variable
definitions, which node outputs must be kept, decoded literals) are computed
here once instead of on every event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from canter_engine.model import structs, values
from canter_engine.model.spec import (
    Node,
    TaskDef,
    ThreadSpec,
    ThreadVarDef,
    VariableAssignment,
    VariableDef,
    WfSpec,
)


@dataclass(frozen=True, slots=True)
class ThreadBlueprint:
    name: str
    spec: ThreadSpec
    entrypoint: str
    var_defs: dict[str, ThreadVarDef]
    kept_outputs: frozenset[str]
    kinds: dict[str, str]


@dataclass(slots=True)
class Blueprint:
    spec: WfSpec
    task_defs: Mapping[str, TaskDef]
    threads: dict[str, ThreadBlueprint] = field(default_factory=dict)
    _literals: dict[int, Any] = field(default_factory=dict)

    def __init__(self, spec: WfSpec, task_defs: Mapping[str, TaskDef]) -> None:
        self.spec = spec
        self.task_defs = task_defs
        self._literals = {}
        self.threads = {}
        for name, thread in spec.thread_specs.items():
            entry = next(
                (n for n, node in thread.nodes.items() if node.entrypoint is not None),
                "",
            )
            kept = frozenset(
                a.node_output.node_name
                for node in thread.nodes.values()
                for a in assignments_of(node)
                if a.node_output is not None
            )
            self.threads[name] = ThreadBlueprint(
                name=name,
                spec=thread,
                entrypoint=entry,
                var_defs={v.var_def.name: v for v in thread.variable_defs},
                kept_outputs=kept,
                kinds={n: node.kind for n, node in thread.nodes.items()},
            )

    @property
    def id_json(self) -> dict[str, Any]:
        return {
            "name": self.spec.id.name,
            "majorVersion": self.spec.id.major_version,
            "revision": self.spec.id.revision,
        }

    @property
    def struct_defs(self) -> structs.StructDefs:
        """The StructDefs pinned with this WfSpec, for checking struct values."""
        return self.spec.struct_defs

    def conform(self, var_def: VariableDef, value: Any) -> Any:
        """``value`` as a variable or input of ``var_def`` holds it; a struct is checked
        against its StructDef (:class:`~canter_engine.model.structs.StructError` if it
        does not match). Other types are checked where they always were."""
        if var_def.var_type != "STRUCT" or value is None:
            return value
        return structs.check(value, var_def.type_json, self.spec.struct_defs)

    def node(self, thread_spec: str, node_name: str) -> Node:
        return self.threads[thread_spec].spec.nodes[node_name]

    def literal(self, raw: dict[str, Any]) -> Any:
        """A decoded literal; the spec is immutable, so decode each one once."""
        key = id(raw)
        try:
            return self._literals[key]
        except KeyError:
            value = values.decode(raw, "literalValue")
            self._literals[key] = value
            return value


def assignments_of(node: Node) -> Iterator[VariableAssignment]:
    """Every VariableAssignment a node holds, nested ones included."""
    roots: list[VariableAssignment | None] = []
    for edge in node.outgoing_edges:
        roots.append(edge.condition)
        if edge.legacy_condition is not None:
            roots += [edge.legacy_condition.left, edge.legacy_condition.right]
        roots += [m.rhs_assignment for m in edge.variable_mutations]
    if node.task is not None:
        roots += list(node.task.variables)
        roots.append(node.task.dynamic_task)
    if node.exit is not None:
        roots.append(node.exit.return_content)
        if node.exit.failure_def is not None:
            roots.append(node.exit.failure_def.content)
    if node.external_event is not None:
        roots += [node.external_event.timeout_seconds, node.external_event.correlation_key]
    if node.sleep is not None:
        roots += [node.sleep.raw_seconds, node.sleep.timestamp, node.sleep.iso_date]
    if node.start_thread is not None:
        roots += list(node.start_thread.variables.values())
    if node.start_multiple_threads is not None:
        roots += list(node.start_multiple_threads.variables.values())
        roots.append(node.start_multiple_threads.iterable)
    if node.wait_for_threads is not None:
        roots.append(node.wait_for_threads.thread_list)
        if node.wait_for_threads.threads is not None:
            roots += [t.thread_run_number for t in node.wait_for_threads.threads.threads]
    if node.throw_event is not None:
        roots.append(node.throw_event.content)
    if node.wait_for_condition is not None:
        roots.append(node.wait_for_condition.condition)
    if node.run_child_wf is not None:
        roots += list(node.run_child_wf.inputs.values())
    if node.wait_for_child_wf is not None:
        roots.append(node.wait_for_child_wf.child_wf_run_id)
    if node.user_task is not None:
        ut = node.user_task
        roots += [ut.user_id, ut.user_group, ut.notes, ut.on_cancellation_exception_name]
        for action in ut.actions:
            roots.append(action.delay_seconds)
            if action.task is not None:
                roots += list(action.task.task.variables)
            if action.reassign is not None:
                roots += [action.reassign.user_id, action.reassign.user_group]
    for root in roots:
        if root is not None:
            yield from _walk(root)


def _walk(a: VariableAssignment) -> Iterator[VariableAssignment]:
    yield a
    if a.format_string is not None:
        yield from _walk(a.format_string.format)
        for arg in a.format_string.args:
            yield from _walk(arg)
    if a.expression is not None:
        yield from _walk(a.expression.lhs)
        if a.expression.rhs is not None:
            yield from _walk(a.expression.rhs)
