"""The workflow builder: Python functions in, LittleHorse ``PutWfSpecRequest`` JSON out."""

from canter.builder.conditions import BooleanExpression, Condition, Junction
from canter.builder.control_flow import IfStatement, ThreadBody
from canter.builder.errors import RuntimeValueAsBoolError, WorkflowDefinitionError
from canter.builder.operands import Cast, Expression, FormatString, NodeOutput
from canter.builder.tasks import ExponentialBackoff
from canter.builder.thread import WorkflowThread
from canter.builder.threads import (
    SpawnedChildWf,
    SpawnedThread,
    SpawnedThreadList,
    SpawnedThreads,
    WaitForThreadsOutput,
)
from canter.builder.types import (
    AccessLevel,
    AllowedUpdateType,
    Comparator,
    ErrorType,
    VariableMutationType,
    VariableType,
    WaitForThreadsStrategy,
)
from canter.builder.user_tasks import UserTaskOutput
from canter.builder.variables import WfRunVariable
from canter.builder.workflow import Workflow

__all__ = [
    "AccessLevel",
    "AllowedUpdateType",
    "BooleanExpression",
    "Cast",
    "Comparator",
    "Condition",
    "ErrorType",
    "ExponentialBackoff",
    "Expression",
    "FormatString",
    "IfStatement",
    "Junction",
    "NodeOutput",
    "RuntimeValueAsBoolError",
    "SpawnedChildWf",
    "SpawnedThread",
    "SpawnedThreadList",
    "SpawnedThreads",
    "ThreadBody",
    "UserTaskOutput",
    "VariableMutationType",
    "VariableType",
    "WaitForThreadsOutput",
    "WaitForThreadsStrategy",
    "WfRunVariable",
    "Workflow",
    "WorkflowDefinitionError",
    "WorkflowThread",
]
