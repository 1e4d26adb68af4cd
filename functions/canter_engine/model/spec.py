"""Typed models of LittleHorse's metadata and request messages (proto3 JSON).

Fields are lowerCamelCase on the wire and snake_case here. Unknown fields are
refused: a construct Canter does not know must never be silently dropped.
Constructs that parse but are not executed yet are refused by
:mod:`canter_engine.model.validate` with a message that names them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PrivateAttr
from pydantic.alias_generators import to_camel

VariableType = Literal[
    "JSON_OBJ", "JSON_ARR", "DOUBLE", "BOOL", "STR", "INT", "BYTES", "WF_RUN_ID", "TIMESTAMP"
]
Comparator = Literal[
    "LESS_THAN",
    "GREATER_THAN",
    "LESS_THAN_EQ",
    "GREATER_THAN_EQ",
    "EQUALS",
    "NOT_EQUALS",
    "IN",
    "NOT_IN",
]
MutationType = Literal[
    "ASSIGN",
    "ADD",
    "EXTEND",
    "SUBTRACT",
    "MULTIPLY",
    "DIVIDE",
    "REMOVE_IF_PRESENT",
    "REMOVE_INDEX",
    "REMOVE_KEY",
    "AND",
    "OR",
    "POW",
]
# What a variable holds: a primitive type, or a Struct of the StructDef its typeDef names.
StoredType = VariableType | Literal["STRUCT"]
# proto3 JSON writes 64-bit integers as strings; both forms are read.
Int64 = Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]

AccessLevel = Literal["PUBLIC_VAR", "PRIVATE_VAR", "INHERITED_VAR"]
WaitStrategy = Literal["WAIT_FOR_ALL", "WAIT_FOR_FIRST", "WAIT_FOR_ANY"]
FailureType = Literal["FAILURE_TYPE_ERROR", "FAILURE_TYPE_EXCEPTION"]


class Message(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
    )

    def to_json(self) -> dict[str, Any]:
        """Wire JSON: fields never set stay absent, as in the proto3 JSON mapping."""
        return self.model_dump(by_alias=True, exclude_unset=True, exclude_none=True, mode="json")


# --- ids -------------------------------------------------------------------


class NameId(Message):
    name: str


class WfSpecId(Message):
    name: str
    major_version: int = 0
    revision: int = 0


class WfRunIdMsg(Message):
    id: str
    parent_wf_run_id: WfRunIdMsg | None = None


# --- types -----------------------------------------------------------------


class TypeDefinition(Message):
    primitive_type: VariableType = "JSON_OBJ"
    masked: bool = False
    struct_def_id: dict[str, Any] | None = None
    inline_array_def: dict[str, Any] | None = None
    inline_struct_def: dict[str, Any] | None = None
    inline_map_def: dict[str, Any] | None = None


def non_primitive(type_def: TypeDefinition | None) -> str | None:
    """The field of a TypeDefinition that is not a primitive type: ``structDefId`` (a
    StructDef), or an inline array, struct or map, which variables and task inputs do not
    take yet."""
    if type_def is None:
        return None
    for name, wire in (
        ("struct_def_id", "structDefId"),
        ("inline_array_def", "inlineArrayDef"),
        ("inline_struct_def", "inlineStructDef"),
        ("inline_map_def", "inlineMapDef"),
    ):
        if getattr(type_def, name) is not None:
            return wire
    return None


class ReturnType(Message):
    return_type: TypeDefinition | None = None


class VariableDef(Message):
    name: str
    type: VariableType | None = None
    type_def: TypeDefinition | None = None
    default_value: dict[str, Any] | None = None
    masked_value: bool = False

    @property
    def var_type(self) -> StoredType:
        if self.type_def is not None:
            if self.type_def.struct_def_id is not None:
                return "STRUCT"
            return self.type_def.primitive_type
        return self.type or "JSON_OBJ"

    @property
    def type_json(self) -> dict[str, Any]:
        """The declared TypeDefinition as JSON (``type`` of an old client as its primitiveType)."""
        if self.type_def is not None:
            return {"primitiveType": self.type_def.primitive_type, **self.type_def.to_json()}
        return {"primitiveType": self.type or "JSON_OBJ"}

    @property
    def is_masked(self) -> bool:
        return self.masked_value or (self.type_def is not None and self.type_def.masked)


# --- assignments and mutations -------------------------------------------------


class NodeOutputReference(Message):
    node_name: str


class FormatString(Message):
    format: VariableAssignment
    args: tuple[VariableAssignment, ...] = ()


class Expression(Message):
    lhs: VariableAssignment
    rhs: VariableAssignment | None = None
    mutation_type: MutationType | None = None
    comparator: Comparator | None = None


class VariableAssignment(Message):
    json_path: str | None = None
    lh_path: dict[str, Any] | None = None
    variable_name: str | None = None
    literal_value: dict[str, Any] | None = None
    format_string: FormatString | None = None
    node_output: NodeOutputReference | None = None
    expression: Expression | None = None
    struct_builder: dict[str, Any] | None = None
    size_of: dict[str, Any] | None = None
    map_builder: dict[str, Any] | None = None
    target_type: TypeDefinition | None = None


class NodeOutputSource(Message):
    jsonpath: str | None = None
    lh_path: dict[str, Any] | None = None


class VariableMutation(Message):
    lhs_name: str
    lhs_json_path: str | None = None
    lhs_lh_path: dict[str, Any] | None = None
    operation: MutationType = "ASSIGN"
    rhs_assignment: VariableAssignment | None = None
    literal_value: dict[str, Any] | None = None
    node_output: NodeOutputSource | None = None


class LegacyEdgeCondition(Message):
    comparator: Comparator = "LESS_THAN"
    left: VariableAssignment
    right: VariableAssignment


class Edge(Message):
    sink_node_name: str
    condition: VariableAssignment | None = None
    legacy_condition: LegacyEdgeCondition | None = None
    variable_mutations: tuple[VariableMutation, ...] = ()


# --- nodes -----------------------------------------------------------------


class Empty(Message):
    pass


class ExponentialBackoff(Message):
    base_interval_ms: int = 0
    max_delay_ms: Int64 = 0
    multiplier: float = 0.0


class TaskNode(Message):
    task_def_id: NameId | None = None
    dynamic_task: VariableAssignment | None = None
    timeout_seconds: int = 0
    retries: int = 0
    exponential_backoff: ExponentialBackoff | None = None
    variables: tuple[VariableAssignment, ...] = ()


class FailureDef(Message):
    failure_name: str
    message: str = ""
    content: VariableAssignment | None = None


class ExitNode(Message):
    failure_def: FailureDef | None = None
    return_content: VariableAssignment | None = None


class ExternalEventNode(Message):
    external_event_def_id: NameId
    timeout_seconds: VariableAssignment | None = None
    correlation_key: VariableAssignment | None = None
    mask_correlation_key: bool = False


class SleepNode(Message):
    raw_seconds: VariableAssignment | None = None
    timestamp: VariableAssignment | None = None
    iso_date: VariableAssignment | None = None


class StartThreadNode(Message):
    thread_spec_name: str
    variables: dict[str, VariableAssignment] = Field(default_factory=dict)


class StartMultipleThreadsNode(Message):
    thread_spec_name: str
    variables: dict[str, VariableAssignment] = Field(default_factory=dict)
    iterable: VariableAssignment


class FailureHandlerDef(Message):
    handler_spec_name: str
    specific_failure: str | None = None
    any_failure_of_type: FailureType | None = None


class ThreadToWaitFor(Message):
    thread_run_number: VariableAssignment


class ThreadsToWaitFor(Message):
    threads: tuple[ThreadToWaitFor, ...] = ()


class WaitForThreadsNode(Message):
    threads: ThreadsToWaitFor | None = None
    thread_list: VariableAssignment | None = None
    per_thread_failure_handlers: tuple[FailureHandlerDef, ...] = ()
    strategy: WaitStrategy = "WAIT_FOR_ALL"


class ThrowEventNode(Message):
    event_def_id: NameId
    content: VariableAssignment | None = None


class WaitForConditionNode(Message):
    condition: VariableAssignment | None = None
    legacy_condition: LegacyEdgeCondition | None = None


class RunChildWfNode(Message):
    wf_spec_name: str | None = None
    wf_spec_var: VariableAssignment | None = None
    major_version: int | None = None
    inputs: dict[str, VariableAssignment] = Field(default_factory=dict)
    child_id: VariableAssignment | None = None


class WaitForChildWfNode(Message):
    child_wf_run_id: VariableAssignment
    child_wf_run_source_node: str = ""


UTHook = Literal["ON_ARRIVAL", "ON_TASK_ASSIGNED"]


class UTATask(Message):
    task: TaskNode
    mutations: tuple[VariableMutation, ...] = ()


class UTAReassign(Message):
    user_id: VariableAssignment | None = None
    user_group: VariableAssignment | None = None


class UTActionTrigger(Message):
    """A USER_TASK action: a reminder TASK, a reassignment or a cancellation after a delay."""

    task: UTATask | None = None
    cancel: Empty | None = None
    reassign: UTAReassign | None = None
    delay_seconds: VariableAssignment | None = None
    hook: UTHook = "ON_ARRIVAL"


class UserTaskNode(Message):
    user_task_def_name: str
    user_group: VariableAssignment | None = None
    user_id: VariableAssignment | None = None
    actions: tuple[UTActionTrigger, ...] = ()
    user_task_def_version: int | None = None
    notes: VariableAssignment | None = None
    on_cancellation_exception_name: VariableAssignment | None = None


NODE_KINDS: tuple[str, ...] = (
    "entrypoint",
    "exit",
    "task",
    "external_event",
    "start_thread",
    "wait_for_threads",
    "nop",
    "sleep",
    "user_task",
    "start_multiple_threads",
    "throw_event",
    "wait_for_condition",
    "run_child_wf",
    "wait_for_child_wf",
)

# The node types the core executes (every one of LittleHorse 1.3.0's).
SUPPORTED_NODE_KINDS: frozenset[str] = frozenset(NODE_KINDS)


class Node(Message):
    outgoing_edges: tuple[Edge, ...] = ()
    failure_handlers: tuple[FailureHandlerDef, ...] = ()
    entrypoint: Empty | None = None
    exit: ExitNode | None = None
    task: TaskNode | None = None
    external_event: ExternalEventNode | None = None
    start_thread: StartThreadNode | None = None
    wait_for_threads: WaitForThreadsNode | None = None
    nop: Empty | None = None
    sleep: SleepNode | None = None
    user_task: UserTaskNode | None = None
    start_multiple_threads: StartMultipleThreadsNode | None = None
    throw_event: ThrowEventNode | None = None
    wait_for_condition: WaitForConditionNode | None = None
    run_child_wf: RunChildWfNode | None = None
    wait_for_child_wf: WaitForChildWfNode | None = None

    def kinds(self) -> list[str]:
        return [kind for kind in NODE_KINDS if getattr(self, kind) is not None]

    @property
    def kind(self) -> str:
        """The node's type (snake_case); validation guarantees exactly one."""
        found = self.kinds()
        return found[0] if found else ""


class ThreadVarDef(Message):
    var_def: VariableDef
    required: bool = False
    searchable: bool = False
    json_indexes: tuple[dict[str, Any], ...] = ()
    access_level: AccessLevel = "PUBLIC_VAR"


class InterruptDef(Message):
    external_event_def_id: NameId
    handler_spec_name: str


class ThreadRetentionPolicy(Message):
    seconds_after_thread_termination: Int64 | None = None


class ThreadSpec(Message):
    nodes: dict[str, Node] = Field(default_factory=dict)
    variable_defs: tuple[ThreadVarDef, ...] = ()
    interrupt_defs: tuple[InterruptDef, ...] = ()
    retention_policy: ThreadRetentionPolicy | None = None


class WorkflowRetentionPolicy(Message):
    seconds_after_wf_termination: Int64 | None = None


class ParentWfSpecReference(Message):
    wf_spec_name: str
    wf_spec_major_version: int = 0


# --- requests ------------------------------------------------------------------


class PutWfSpecRequest(Message):
    name: str
    thread_specs: dict[str, ThreadSpec] = Field(default_factory=dict)
    entrypoint_thread_name: str = ""
    retention_policy: WorkflowRetentionPolicy | None = None
    parent_wf_spec: ParentWfSpecReference | None = None
    allowed_updates: Literal["ALL_UPDATES", "MINOR_REVISION_UPDATES", "NO_UPDATES"] = "ALL_UPDATES"


class WfSpec(Message):
    """A registered, versioned WfSpec (the output object)."""

    id: WfSpecId
    thread_specs: dict[str, ThreadSpec]
    entrypoint_thread_name: str
    created_at: str | None = None
    status: Literal["ACTIVE", "ARCHIVED", "TERMINATING"] = "ACTIVE"
    frozen_variables: tuple[ThreadVarDef, ...] = ()
    retention_policy: WorkflowRetentionPolicy | None = None
    parent_wf_spec: ParentWfSpecReference | None = None
    # The WfSpecVersionMigration MigrateWfSpec recorded for this version's WfRuns.
    migration: dict[str, Any] | None = None
    # The StructDefs its variables and TaskDefs refer to, pinned when it was put
    # ((name, version) -> InlineStructDef JSON); kept beside the WfSpec, not in it.
    _struct_defs: dict[tuple[str, int], dict[str, Any]] = PrivateAttr(default_factory=dict)

    @property
    def struct_defs(self) -> dict[tuple[str, int], dict[str, Any]]:
        return self._struct_defs

    def with_struct_defs(self, defs: dict[tuple[str, int], dict[str, Any]]) -> WfSpec:
        """This WfSpec knowing ``defs`` (set once, as it is built or loaded)."""
        self._struct_defs = dict(defs)
        return self


class PutTaskDefRequest(Message):
    """LittleHorse's request plus Canter's ``taskQueue`` and ``taskType``.

    A TaskDef's work goes to the SQS queue of its TaskQueue, which defaults to
    a queue named after the TaskDef.
    """

    name: str
    input_vars: tuple[VariableDef, ...] = ()
    return_type: ReturnType | None = None
    description: str | None = None
    task_queue: str | None = None
    task_type: str | None = None


class TaskDef(Message):
    id: NameId
    input_vars: tuple[VariableDef, ...] = ()
    return_type: ReturnType | None = None
    description: str | None = None
    created_at: str | None = None
    task_queue: str
    task_type: str | None = None


class PutExternalEventDefRequest(Message):
    name: str
    retention_policy: dict[str, Any] | None = None
    content_type: ReturnType | None = None
    correlated_event_config: dict[str, Any] | None = None


class UserTaskField(Message):
    name: str
    type: VariableType = "JSON_OBJ"
    description: str | None = None
    display_name: str | None = None
    required: bool = False


class PutUserTaskDefRequest(Message):
    name: str
    fields: tuple[UserTaskField, ...] = ()
    description: str | None = None


class RunWfRequest(Message):
    wf_spec_name: str
    major_version: int | None = None
    revision: int | None = None
    variables: dict[str, dict[str, Any]] = Field(default_factory=dict)
    id: str | None = None
    parent_wf_run_id: WfRunIdMsg | None = None


FormatString.model_rebuild()
Expression.model_rebuild()
VariableAssignment.model_rebuild()
WfRunIdMsg.model_rebuild()
