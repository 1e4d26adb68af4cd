"""Validation of WfSpecs and RunWf inputs, at the edge (DESIGN invariant 7).

A WfSpec that would fail at run time for a reason visible now is refused
when it is registered, with every problem listed and each one naming the
thread, the node and the field, so the author can fix them all in one go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from canter_engine.core.operations import (
    can_be_type,
    can_cast_to,
    check_jsonpath,
    comparison_refusal,
    expression_result_type,
)
from canter_engine.model import structs, values
from canter_engine.model.spec import (
    SUPPORTED_NODE_KINDS,
    Node,
    PutWfSpecRequest,
    TaskDef,
    ThreadSpec,
    ThreadVarDef,
    UserTaskNode,
    VariableAssignment,
    VariableMutation,
    WfSpec,
    non_primitive,
)

_UNSUPPORTED_ASSIGNMENT_FIELDS = {
    "struct_builder": "structBuilder",
    "size_of": "sizeOf",
    "map_builder": "mapBuilder",
}


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class SpecError(ValueError):
    """A request that cannot be accepted; the message says what and where."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_request(model: type[M], body: Any) -> M:
    """Parse a request body into its model, or SpecError naming each bad field."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        what = model.__name__
        raise SpecError([_pydantic_problem(what, e) for e in exc.errors()]) from None


def _pydantic_problem(what: str, error: Any) -> str:
    path = ".".join(str(p) for p in error["loc"])
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown field (not part of the LittleHorse message, or not supported)"
    return f"{what}.{path}: {message}"


# A USER_TASK's actions (core/user_tasks.py packs an action's index in its timers).
MAX_USER_TASK_ACTIONS = 1000


def validate_wf_spec(
    req: PutWfSpecRequest | WfSpec,
    task_defs: Mapping[str, TaskDef],
    external_event_defs: AbstractSet[str],
    workflow_event_defs: AbstractSet[str] | None = None,
    struct_defs: structs.StructDefs | None = None,
) -> None:
    """Raise :class:`SpecError` listing every problem of a WfSpec.

    ``workflow_event_defs`` None skips the check that THROW_EVENT nodes name a
    registered WorkflowEventDef. ``struct_defs`` are the StructDefs its
    (pinned) struct types refer to.
    """
    problems: list[str] = []
    entry = req.entrypoint_thread_name
    if not entry:
        problems.append("entrypointThreadName: missing")
    elif entry not in req.thread_specs:
        problems.append(
            f"entrypointThreadName: thread {entry!r} is not in threadSpecs "
            f"(threads: {sorted(req.thread_specs)})"
        )
    scopes = _scopes(req.thread_specs)
    type_scopes = _type_scopes(req.thread_specs)
    for thread_name, thread in req.thread_specs.items():
        checker = _ThreadChecker(
            thread_name,
            thread,
            scopes[thread_name],
            _Catalog(
                req.thread_specs,
                task_defs,
                external_event_defs,
                workflow_event_defs,
                struct_defs or {},
            ),
            type_scopes[thread_name],
        )
        problems.extend(checker.check())
    problems.extend(_interrupts_not_waited_on(req.thread_specs))
    retained = req.retention_policy.seconds_after_wf_termination if req.retention_policy else None
    if retained is not None and int(retained) < 0:
        problems.append(f"retentionPolicy.secondsAfterWfTermination: {retained} is negative")
    if problems:
        raise SpecError(problems)


def _scopes(threads: Mapping[str, ThreadSpec]) -> dict[str, dict[str, str]]:
    """Variables (name -> type) each thread can see: its own and any ancestor's."""
    return _visible(threads, lambda v: str(v.var_def.var_type))


def _type_scopes(threads: Mapping[str, ThreadSpec]) -> dict[str, dict[str, dict[str, Any]]]:
    """Variables (name -> TypeDefinition JSON) each thread can see."""
    return _visible(threads, lambda v: v.var_def.type_json)


def _visible(
    threads: Mapping[str, ThreadSpec], of: Callable[[ThreadVarDef], T]
) -> dict[str, dict[str, T]]:
    """What ``of`` says of each variable a thread can see: its own and any ancestor's."""
    parents: dict[str, set[str]] = {name: set() for name in threads}
    for name, thread in threads.items():
        for node in thread.nodes.values():
            for child in _children(node):
                parents.setdefault(child, set()).add(name)
        for interrupt in thread.interrupt_defs:
            parents.setdefault(interrupt.handler_spec_name, set()).add(name)

    def visible(name: str, seen: frozenset[str]) -> dict[str, T]:
        found: dict[str, T] = {}
        for parent in parents.get(name, ()):
            if parent not in seen and parent in threads:
                found.update(visible(parent, seen | {parent}))
        thread = threads.get(name)
        if thread is not None:
            found.update({v.var_def.name: of(v) for v in thread.variable_defs})
        return found

    return {name: visible(name, frozenset({name})) for name in threads}


def _interrupts_not_waited_on(threads: Mapping[str, ThreadSpec]) -> list[str]:
    """An ExternalEventDef is either an interrupt or waited on, never both."""
    interrupts = {
        i.external_event_def_id.name: name
        for name, thread in threads.items()
        for i in thread.interrupt_defs
    }
    problems = []
    for name, thread in threads.items():
        for node_name, node in thread.nodes.items():
            event = node.external_event
            if event is not None and event.external_event_def_id.name in interrupts:
                problems.append(
                    f"thread {name!r}, node {node_name!r}: waits for ExternalEventDef "
                    f"{event.external_event_def_id.name!r}, which thread "
                    f"{interrupts[event.external_event_def_id.name]!r} registers as an "
                    "interrupt; one ExternalEventDef cannot be both"
                )
    return problems


class _Catalog:
    """What a WfSpec may refer to: its own threads and the registered defs."""

    def __init__(
        self,
        threads: Mapping[str, ThreadSpec],
        task_defs: Mapping[str, TaskDef],
        external_event_defs: AbstractSet[str],
        workflow_event_defs: AbstractSet[str] | None,
        struct_defs: structs.StructDefs,
    ) -> None:
        self.threads = threads
        self.struct_defs = struct_defs
        self.task_defs = task_defs
        self.external_event_defs = external_event_defs
        self.workflow_event_defs = workflow_event_defs


def _children(node: Node) -> Iterator[str]:
    if node.start_thread is not None:
        yield node.start_thread.thread_spec_name
    if node.start_multiple_threads is not None:
        yield node.start_multiple_threads.thread_spec_name
    for handler in node.failure_handlers:
        yield handler.handler_spec_name
    if node.wait_for_threads is not None:
        for handler in node.wait_for_threads.per_thread_failure_handlers:
            yield handler.handler_spec_name


class _ThreadChecker:
    def __init__(
        self,
        name: str,
        thread: ThreadSpec,
        scope: dict[str, str],
        catalog: _Catalog,
        type_defs: dict[str, dict[str, Any]],
    ) -> None:
        self.name = name
        self.thread = thread
        self.scope = scope
        self.catalog = catalog
        self.task_defs = catalog.task_defs
        self.external_event_defs = catalog.external_event_defs
        self.type_defs = type_defs
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        where = where.replace("'.", "', ", 1)
        self.problems.append(f"thread {self.name!r}, {where}: {message}")

    def check(self) -> list[str]:
        self._check_variable_defs()
        entrypoints = [n for n, node in self.thread.nodes.items() if node.entrypoint is not None]
        if len(entrypoints) != 1:
            self.problem("nodes", f"needs exactly one ENTRYPOINT node, found {len(entrypoints)}")
        for node_name, node in self.thread.nodes.items():
            self._check_node(node_name, node)
        for i, interrupt in enumerate(self.thread.interrupt_defs):
            where = f"interruptDefs[{i}]"
            self._check_thread_ref(where + ".handlerSpecName", interrupt.handler_spec_name)
            if interrupt.external_event_def_id.name not in self.external_event_defs:
                self.problem(
                    where + ".externalEventDefId",
                    f"ExternalEventDef {interrupt.external_event_def_id.name!r} is not "
                    "registered (PutExternalEventDef first)",
                )
        return self.problems

    def _check_thread_ref(self, where: str, name: str) -> None:
        if name not in self.catalog.threads:
            self.problem(
                where,
                f"thread {name!r} is not in threadSpecs (threads: {sorted(self.catalog.threads)})",
            )

    def _check_variable_defs(self) -> None:
        seen: set[str] = set()
        for i, var in enumerate(self.thread.variable_defs):
            where = f"variableDefs[{i}] ({var.var_def.name!r})"
            if var.var_def.name in seen:
                self.problem(where, "declared twice")
            seen.add(var.var_def.name)
            typed = non_primitive(var.var_def.type_def)
            if typed is not None and typed != "structDefId":
                self.problem(
                    where + f".typeDef.{typed}",
                    "inline array, struct and map types are not supported yet; use a StructDef "
                    "(structDefId)",
                )
            if var.var_def.default_value is not None:
                self._check_literal(
                    where + ".defaultValue", var.var_def.default_value, var.var_def.var_type
                )
                if typed == "structDefId":
                    self._check_struct_literal(
                        where + ".defaultValue", var.var_def.default_value, var.var_def.type_json
                    )

    def _check_node(self, node_name: str, node: Node) -> None:
        at = f"node {node_name!r}"
        kinds = node.kinds()
        if len(kinds) != 1:
            self.problem(at, f"must have exactly one node type, has {kinds or 'none'}")
            return
        kind = kinds[0]
        if kind not in SUPPORTED_NODE_KINDS:
            self.problem(at, f"node type {kind.upper()} is not supported yet")
        for i, handler in enumerate(node.failure_handlers):
            self._check_thread_ref(
                f"{at}.failureHandlers[{i}].handlerSpecName", handler.handler_spec_name
            )
        self._check_thread_node(at, node)
        for i, edge in enumerate(node.outgoing_edges):
            where = f"{at}.outgoingEdges[{i}]"
            if edge.sink_node_name not in self.thread.nodes:
                self.problem(
                    where, f"sinkNodeName {edge.sink_node_name!r} is not a node of this thread"
                )
            if edge.condition is not None:
                self._check_assignment(where + ".condition", edge.condition)
            legacy = edge.legacy_condition
            if legacy is not None:
                self._check_assignment(where + ".legacyCondition.left", legacy.left)
                self._check_assignment(where + ".legacyCondition.right", legacy.right)
                refused = comparison_refusal(
                    self._static_type(legacy.left),
                    legacy.comparator,
                    self._static_type(legacy.right),
                )
                if refused is not None:
                    self.problem(where + ".legacyCondition", refused)
            for j, mutation in enumerate(edge.variable_mutations):
                self._check_mutation(f"{where}.variableMutations[{j}]", mutation)
        if node.exit is not None and node.outgoing_edges:
            self.problem(at, "an EXIT node cannot have outgoing edges")
        if node.task is not None:
            self._check_task(at + ".task", node)
        if node.user_task is not None:
            self._check_user_task(at + ".userTask", node.user_task)
        if node.external_event is not None:
            event = node.external_event
            if event.external_event_def_id.name not in self.external_event_defs:
                self.problem(
                    at + ".externalEvent.externalEventDefId",
                    f"ExternalEventDef {event.external_event_def_id.name!r} is not "
                    "registered (PutExternalEventDef first)",
                )
            if event.timeout_seconds is not None:
                self._check_assignment(
                    at + ".externalEvent.timeoutSeconds", event.timeout_seconds, "INT"
                )
            if event.correlation_key is not None:
                where = at + ".externalEvent.correlationKey"
                self._check_assignment(where, event.correlation_key)
                key_type = self._static_type(event.correlation_key)
                if key_type not in (None, "STR", "INT"):
                    self.problem(where, f"must be STR or INT, given {key_type}")
        if node.sleep is not None:
            sleep = node.sleep
            given = [
                (f, a)
                for f, a in (
                    ("rawSeconds", sleep.raw_seconds),
                    ("timestamp", sleep.timestamp),
                    ("isoDate", sleep.iso_date),
                )
                if a is not None
            ]
            if len(given) != 1:
                self.problem(at + ".sleep", "needs exactly one of rawSeconds, timestamp, isoDate")
            for field, assignment in given:
                expected = {"rawSeconds": "INT", "isoDate": "STR"}.get(field)
                self._check_assignment(f"{at}.sleep.{field}", assignment, expected)
        if node.exit is not None:
            if node.exit.return_content is not None:
                self._check_assignment(at + ".exit.returnContent", node.exit.return_content)
            failure = node.exit.failure_def
            if failure is not None and failure.content is not None:
                self._check_assignment(at + ".exit.failureDef.content", failure.content)

    def _check_thread_node(self, at: str, node: Node) -> None:
        for field, starter in (
            ("startThread", node.start_thread),
            ("startMultipleThreads", node.start_multiple_threads),
        ):
            if starter is None:
                continue
            self._check_thread_ref(f"{at}.{field}.threadSpecName", starter.thread_spec_name)
            child = self.catalog.threads.get(starter.thread_spec_name)
            declared = {v.var_def.name for v in child.variable_defs} if child else set()
            for name, assignment in starter.variables.items():
                self._check_assignment(f"{at}.{field}.variables.{name}", assignment)
                if child is not None and name not in declared:
                    self.problem(
                        f"{at}.{field}.variables.{name}",
                        f"thread {starter.thread_spec_name!r} declares no variable {name!r}",
                    )
        if node.start_multiple_threads is not None:
            self._check_assignment(
                f"{at}.startMultipleThreads.iterable",
                node.start_multiple_threads.iterable,
                "JSON_ARR",
            )
        wait = node.wait_for_threads
        if wait is not None:
            if (wait.threads is None) == (wait.thread_list is None):
                self.problem(at + ".waitForThreads", "needs exactly one of threads or threadList")
            if wait.thread_list is not None:
                self._check_assignment(
                    at + ".waitForThreads.threadList", wait.thread_list, "JSON_ARR"
                )
            for i, t in enumerate(wait.threads.threads if wait.threads else ()):
                self._check_assignment(
                    f"{at}.waitForThreads.threads[{i}]", t.thread_run_number, "INT"
                )
            for i, handler in enumerate(wait.per_thread_failure_handlers):
                self._check_thread_ref(
                    f"{at}.waitForThreads.perThreadFailureHandlers[{i}].handlerSpecName",
                    handler.handler_spec_name,
                )
        condition = node.wait_for_condition
        if condition is not None:
            if condition.condition is None and condition.legacy_condition is None:
                self.problem(at + ".waitForCondition", "needs a condition")
            if condition.condition is not None:
                self._check_assignment(
                    at + ".waitForCondition.condition", condition.condition, "BOOL"
                )
        throw = node.throw_event
        if throw is not None:
            known = self.catalog.workflow_event_defs
            if known is not None and throw.event_def_id.name not in known:
                self.problem(
                    at + ".throwEvent.eventDefId",
                    f"refers to missing WorkflowEventDef {throw.event_def_id.name!r}; "
                    "register it first (PutWorkflowEventDef; `canter deploy` registers the "
                    "WorkflowEventDefs a WfSpec throws)",
                )
            if throw.content is not None:
                self._check_assignment(at + ".throwEvent.content", throw.content)
        child_wf = node.run_child_wf
        if child_wf is not None:
            if child_wf.wf_spec_name is None:
                self.problem(
                    at + ".runChildWf", "wfSpecName is required (wfSpecVar is not supported yet)"
                )
            for name, assignment in child_wf.inputs.items():
                self._check_assignment(f"{at}.runChildWf.inputs.{name}", assignment)
        if node.wait_for_child_wf is not None:
            self._check_assignment(
                at + ".waitForChildWf.childWfRunId", node.wait_for_child_wf.child_wf_run_id
            )

    def _check_task(self, where: str, node: Node) -> None:
        task = node.task
        assert task is not None
        if task.task_def_id is None:
            self.problem(where, "dynamicTask is not supported yet; name the TaskDef in taskDefId")
            return
        name = task.task_def_id.name
        task_def = self.task_defs.get(name)
        for i, assignment in enumerate(task.variables):
            self._check_assignment(f"{where}.variables[{i}]", assignment)
        if task.retries < 0:
            self.problem(where + ".retries", f"must be 0 or more, got {task.retries}")
        if task.timeout_seconds < 0:
            self.problem(
                where + ".timeoutSeconds", f"must be 0 or more, got {task.timeout_seconds}"
            )
        if task_def is None:
            self.problem(
                where + ".taskDefId", f"TaskDef {name!r} is not registered (PutTaskDef first)"
            )
            return
        expected = task_def.input_vars
        if len(task.variables) != len(expected):
            self.problem(
                where + ".variables",
                f"TaskDef {name!r} takes {len(expected)} inputs "
                f"({', '.join(v.name + ': ' + v.var_type for v in expected) or 'none'}), "
                f"the node gives {len(task.variables)}",
            )
            return
        for i, (assignment, var_def) in enumerate(zip(task.variables, expected, strict=True)):
            actual = self._static_type(assignment)
            if actual is not None and not _assignable(actual, var_def.var_type):
                self.problem(
                    f"{where}.variables[{i}]",
                    f"input {var_def.name!r} of TaskDef {name!r} is {var_def.var_type}, "
                    f"given {actual}: {_needs_cast(actual, var_def.var_type)}",
                )
            elif (other := self._other_struct(assignment, var_def.type_json)) is not None:
                self.problem(
                    f"{where}.variables[{i}]",
                    f"input {var_def.name!r} of TaskDef {name!r} is "
                    f"{structs.type_name(var_def.type_json)}, given {other}",
                )

    def _check_user_task(self, where: str, node: UserTaskNode) -> None:
        """As LittleHorse's UserTaskNodeModel.validate (the UserTaskDef itself is looked
        up and pinned by PutWfSpec), and each action as UTActionTriggerModel runs it."""
        if node.user_id is None and node.user_group is None:
            self.problem(where, "Must specify userGroup or userId")
        for field, assignment in (("userId", node.user_id), ("userGroup", node.user_group)):
            if assignment is None:
                continue
            self._check_assignment(f"{where}.{field}", assignment)
            literal = assignment.literal_value
            if literal is not None and not str(literal.get("str", "x")).strip():
                self.problem(f"{where}.{field}", f"{field[0].upper()}{field[1:]} can't be empty")
        for field, assignment in (
            ("notes", node.notes),
            ("onCancellationExceptionName", node.on_cancellation_exception_name),
        ):
            if assignment is not None:
                self._check_assignment(f"{where}.{field}", assignment)
        for i, action in enumerate(node.actions):
            at = f"{where}.actions[{i}]"
            kinds = [k for k in ("task", "cancel", "reassign") if getattr(action, k) is not None]
            if len(kinds) != 1:
                self.problem(at, f"needs exactly one of task, cancel, reassign; has {kinds}")
            if action.delay_seconds is None:
                self.problem(at, "delaySeconds is required")
            else:
                self._check_assignment(at + ".delaySeconds", action.delay_seconds, "INT")
            if action.task is not None:
                if action.task.mutations:
                    self.problem(
                        at + ".task.mutations",
                        "mutations of a reminder task are not supported yet",
                    )
                self._check_task(at + ".task.task", Node(task=action.task.task))
            reassign = action.reassign
            if reassign is not None:
                if reassign.user_id is None and reassign.user_group is None:
                    self.problem(at + ".reassign", "needs userId or userGroup")
                for field, assignment in (
                    ("userId", reassign.user_id),
                    ("userGroup", reassign.user_group),
                ):
                    if assignment is not None:
                        self._check_assignment(f"{at}.reassign.{field}", assignment)
        if len(node.actions) > MAX_USER_TASK_ACTIONS:
            self.problem(where + ".actions", f"at most {MAX_USER_TASK_ACTIONS} actions")

    def _check_mutation(self, where: str, mutation: VariableMutation) -> None:
        lhs_type = self.scope.get(mutation.lhs_name)
        if lhs_type is None:
            self.problem(where + ".lhsName", self._undeclared(mutation.lhs_name))
        if mutation.lhs_json_path:
            self._check_jsonpath(where + ".lhsJsonPath", mutation.lhs_json_path)
            lhs_type = None
        if mutation.lhs_lh_path is not None:
            self.problem(where + ".lhsLhPath", "lhPath is not supported yet; use lhsJsonPath")
        if mutation.rhs_assignment is not None:
            self._check_assignment(where + ".rhsAssignment", mutation.rhs_assignment)
            rhs_type = self._static_type(mutation.rhs_assignment)
        elif mutation.literal_value is not None:
            rhs_type = self._check_literal(where + ".literalValue", mutation.literal_value, None)
        else:
            rhs_type = None
            if mutation.node_output is not None and mutation.node_output.jsonpath:
                self._check_jsonpath(where + ".nodeOutput.jsonpath", mutation.node_output.jsonpath)
        if (
            mutation.operation == "ASSIGN"
            and lhs_type is not None
            and rhs_type is not None
            and not _assignable(rhs_type, lhs_type)
        ):
            self.problem(
                where,
                f"cannot ASSIGN {rhs_type} to {lhs_type} variable {mutation.lhs_name!r}: "
                f"{_needs_cast(rhs_type, lhs_type)}",
            )
        elif (
            mutation.operation == "ASSIGN"
            and lhs_type == "STRUCT"
            and mutation.rhs_assignment is not None
            and (
                other := self._other_struct(
                    mutation.rhs_assignment, self.type_defs.get(mutation.lhs_name, {})
                )
            )
        ):
            declared = structs.type_name(self.type_defs.get(mutation.lhs_name, {}))
            self.problem(
                where,
                f"cannot ASSIGN {other} to {declared} variable {mutation.lhs_name!r}",
            )

    def _check_assignment(
        self, where: str, a: VariableAssignment, expected: str | None = None
    ) -> None:
        for field, wire in _UNSUPPORTED_ASSIGNMENT_FIELDS.items():
            if getattr(a, field) is not None:
                self.problem(where, f"{wire} is not supported yet")
        sources = [
            s
            for s in (
                "variable_name",
                "literal_value",
                "format_string",
                "node_output",
                "expression",
            )
            if getattr(a, s) is not None
        ]
        if len(sources) > 1:
            self.problem(where, f"holds more than one value source: {sources}")
        if a.json_path:
            self._check_jsonpath(where + ".jsonPath", a.json_path)
        if a.lh_path is not None:
            self._check_lh_path(where, a)
        if a.variable_name is not None and a.variable_name not in self.scope:
            self.problem(where + ".variableName", self._undeclared(a.variable_name))
        if a.literal_value is not None:
            self._check_literal(where + ".literalValue", a.literal_value, None)
        if a.node_output is not None and a.node_output.node_name not in self.thread.nodes:
            self.problem(
                where + ".nodeOutput",
                f"node {a.node_output.node_name!r} is not a node of this thread",
            )
        if a.format_string is not None:
            self._check_assignment(where + ".formatString.format", a.format_string.format, "STR")
            for i, arg in enumerate(a.format_string.args):
                self._check_assignment(f"{where}.formatString.args[{i}]", arg)
        if a.expression is not None:
            expr = a.expression
            self._check_assignment(where + ".expression.lhs", expr.lhs)
            if expr.rhs is not None:
                self._check_assignment(where + ".expression.rhs", expr.rhs)
            if (expr.comparator is None) == (expr.mutation_type is None):
                self.problem(
                    where + ".expression", "needs exactly one of comparator or mutationType"
                )
            else:
                rhs = self._static_type(expr.rhs) if expr.rhs is not None else None
                lhs = self._static_type(expr.lhs)
                refused = (
                    comparison_refusal(lhs, expr.comparator, rhs)
                    if expr.comparator is not None
                    else expression_result_type(lhs, expr.mutation_type or "ASSIGN", rhs)[1]
                )
                if refused is not None:
                    self.problem(where + ".expression", refused)
        if a.target_type is not None:
            self._check_cast(where, a)
        actual = self._static_type(a)
        if expected is not None and actual is not None and not _assignable(actual, expected):
            self.problem(where, f"must be {expected}, given {actual}")

    def _check_cast(self, where: str, a: VariableAssignment) -> None:
        """An explicit cast, as LittleHorse's TypeCastingUtils.canCastTo allows it."""
        target = a.target_type
        assert target is not None
        if any(
            getattr(target, f) is not None
            for f in ("struct_def_id", "inline_array_def", "inline_struct_def", "inline_map_def")
        ):
            self.problem(
                where + ".targetType",
                "only casts to a primitive type are supported (LittleHorse's TypeCastingUtils "
                "converts between primitive types; a Struct is never cast)",
            )
            return
        source = self._source_type(a)
        if not can_cast_to(source, target.primitive_type):
            self.problem(
                where + ".targetType",
                f"Cannot cast from {source} to {target.primitive_type}. "
                "This conversion is not supported.",
            )

    def _check_literal(self, where: str, raw: dict[str, Any], expected: str | None) -> str | None:
        try:
            value = values.decode(raw, where)
        except values.ValueError_ as exc:
            self.problems.append(f"thread {self.name!r}, {exc}")
            return None
        actual = values.type_of(value)
        if expected is not None and not values.fits(value, expected):
            self.problem(where, f"literal is {actual}, the variable is {expected}")
        return actual

    def _check_struct_literal(
        self, where: str, raw: dict[str, Any], type_def: dict[str, Any]
    ) -> None:
        try:
            structs.check(values.decode(raw), type_def, self.catalog.struct_defs)
        except (values.ValueError_, structs.StructError) as exc:
            self.problem(where, str(exc))

    def _check_lh_path(self, where: str, a: VariableAssignment) -> None:
        """An lhPath (``WfRunVariable.get``): keys and indexes, reaching a field that exists."""
        path = a.lh_path.get("path") if isinstance(a.lh_path, dict) else None
        if not isinstance(path, list) or not path:
            self.problem(where + ".lhPath", 'needs a path: {"path": [{"key": ...}, ...]}')
            return
        for i, selector in enumerate(path):
            if not isinstance(selector, dict) or len(selector) != 1:
                self.problem(f"{where}.lhPath.path[{i}]", "needs exactly one of key or index")
            elif "dynamic" in selector:
                self.problem(f"{where}.lhPath.path[{i}]", "dynamic selectors are not supported yet")
            elif "key" in selector and not isinstance(selector["key"], str):
                self.problem(f"{where}.lhPath.path[{i}].key", "must be a string")
            elif "index" in selector and (
                isinstance(selector["index"], bool) or not isinstance(selector["index"], int)
            ):
                self.problem(f"{where}.lhPath.path[{i}].index", "must be an integer")
            elif not {"key", "index"} & set(selector):
                self.problem(f"{where}.lhPath.path[{i}]", "needs exactly one of key or index")
        if a.json_path:
            self.problem(where, "holds both jsonPath and lhPath")
            return
        try:
            self._path_type(a)
        except structs.StructError as exc:
            self.problem(where + ".lhPath", str(exc))

    def _other_struct(self, a: VariableAssignment, expected: Mapping[str, Any]) -> str | None:
        """The struct type ``a`` has, where it is known and of another StructDef than
        ``expected``'s (``TypeDefinitionModel.isCompatibleWith`` compares the names)."""
        wanted = structs.struct_ref(expected)
        if wanted is None or a.target_type is not None or a.json_path:
            return None
        given: Mapping[str, Any] | None = None
        if a.lh_path is not None:
            try:
                given = self._path_type(a)
            except structs.StructError:
                return None
        elif a.variable_name is not None:
            given = self.type_defs.get(a.variable_name)
        elif a.node_output is not None:
            given = self._task_output_type_def(a.node_output.node_name)
        found = structs.struct_ref(given)
        return None if found is None or found[0] == wanted[0] else structs.type_name(given or {})

    def _path_type(self, a: VariableAssignment) -> dict[str, Any] | None:
        """The TypeDefinition an assignment's lhPath reaches, where the types say it."""
        base: dict[str, Any] | None = None
        if a.variable_name is not None:
            base = self.type_defs.get(a.variable_name)
        elif a.node_output is not None:
            base = self._task_output_type_def(a.node_output.node_name)
        path = a.lh_path.get("path") if isinstance(a.lh_path, dict) else None
        if base is None or not isinstance(path, list):
            return None
        if not all(isinstance(s, dict) and ({"key", "index"} & set(s)) for s in path):
            return None
        found = structs.field_type(base, path, self.catalog.struct_defs)
        return None if found is None else dict(found)

    def _check_jsonpath(self, where: str, path: str) -> None:
        problem = check_jsonpath(path)
        if problem is not None:
            self.problem(where, problem)

    def _static_type(self, a: VariableAssignment) -> str | None:
        """The type an assignment will have, where it is known before running."""
        if a.target_type is not None:
            return a.target_type.primitive_type
        return self._source_type(a)

    def _source_type(self, a: VariableAssignment) -> str | None:
        """The type an assignment has before any cast, where it is known."""
        if a.json_path:
            return None
        if a.lh_path is not None:
            try:
                reached = self._path_type(a)
            except structs.StructError:
                return None
            return None if reached is None else _type_of_def(reached)
        if a.variable_name is not None:
            return self.scope.get(a.variable_name)
        if a.literal_value is not None:
            try:
                return values.type_of(values.decode(a.literal_value))
            except values.ValueError_:
                return None
        if a.format_string is not None:
            return "STR"
        if a.expression is not None:
            expr = a.expression
            if expr.comparator is not None:
                return "BOOL"
            rhs = self._static_type(expr.rhs) if expr.rhs is not None else None
            return expression_result_type(
                self._static_type(expr.lhs), expr.mutation_type or "ASSIGN", rhs
            )[0]
        if a.node_output is not None:
            return self._task_output_type(a.node_output.node_name)
        return None

    def _task_output_type(self, node_name: str) -> str | None:
        """What a TASK node's output is, from its TaskDef's return type."""
        returned = self._task_output_type_def(node_name)
        return None if returned is None else _type_of_def(returned)

    def _task_output_type_def(self, node_name: str) -> dict[str, Any] | None:
        node = self.thread.nodes.get(node_name)
        if node is None or node.task is None or node.task.task_def_id is None:
            return None
        task_def = self.task_defs.get(node.task.task_def_id.name)
        if task_def is None or task_def.return_type is None:
            return None
        returned = task_def.return_type.return_type
        if returned is None:
            return None
        return {"primitiveType": returned.primitive_type, **returned.to_json()}

    def _undeclared(self, name: str) -> str:
        known = ", ".join(sorted(self.scope)) or "none"
        return (
            f"variable {name!r} is not declared in this thread or its parents (in scope: {known})"
        )


def _type_of_def(type_def: Mapping[str, Any]) -> str | None:
    """A TypeDefinition JSON as the type names the checks use (None: not known statically)."""
    if structs.struct_ref(type_def) is not None:
        return "STRUCT"
    if "inlineArrayDef" in type_def or "inlineMapDef" in type_def or "inlineStructDef" in type_def:
        return None
    return str(type_def.get("primitiveType", "JSON_OBJ"))


def _needs_cast(actual: str, expected: str) -> str:
    """LittleHorse's words, which say whether a cast would do."""
    if can_cast_to(actual, expected):
        return f"Cannot assign {actual} to {expected} without explicit casting."
    return f"Cannot cast from {actual} to {expected}. This conversion is not supported."


def _assignable(actual: str, expected: str) -> bool:
    """LittleHorse's canBeType: same type, INT to DOUBLE, or any primitive to STR."""
    return can_be_type(actual, expected)


def validate_run_wf(spec: WfSpec, raw_variables: Mapping[str, Any]) -> dict[str, Any]:
    """The RunWf inputs decoded, or :class:`SpecError` naming each bad one."""
    entry = spec.thread_specs[spec.entrypoint_thread_name]
    defs = {v.var_def.name: v for v in entry.variable_defs}
    problems: list[str] = []
    decoded: dict[str, Any] = {}
    for name, raw in raw_variables.items():
        var = defs.get(name)
        if var is None:
            problems.append(
                f"variables.{name}: WfSpec {spec.id.name!r} declares no such input "
                f"(inputs: {', '.join(sorted(defs)) or 'none'})"
            )
            continue
        try:
            value = values.decode(raw, f"variables.{name}")
        except values.ValueError_ as exc:
            problems.append(str(exc))
            continue
        var_type = var.var_def.var_type
        if var_type == "STRUCT":
            try:
                decoded[name] = structs.check(value, var.var_def.type_json, spec.struct_defs)
            except structs.StructError as exc:
                problems.append(f"variables.{name}: Variable {name} invalid: {exc}")
            continue
        if not values.fits(value, var_type):
            problems.append(f"variables.{name}: is {var_type}, given {values.type_of(value)}")
            continue
        decoded[name] = values.coerce(value, var_type)
    for name, var in defs.items():
        if var.required and name not in decoded and name not in raw_variables:
            problems.append(
                f"variables.{name}: required input of WfSpec {spec.id.name!r} is missing"
            )
    if problems:
        raise SpecError(problems)
    return decoded
