"""Canter SDK: workflow builder, client, task worker, CLI and local stack."""

from canter.builder import AccessLevel as AccessLevel
from canter.builder import AllowedUpdateType as AllowedUpdateType
from canter.builder import Comparator as Comparator
from canter.builder import ErrorType as ErrorType
from canter.builder import ExponentialBackoff as ExponentialBackoff
from canter.builder import NodeOutput as NodeOutput
from canter.builder import VariableMutationType as VariableMutationType
from canter.builder import VariableType as VariableType
from canter.builder import WaitForThreadsStrategy as WaitForThreadsStrategy
from canter.builder import WfRunVariable as WfRunVariable
from canter.builder import Workflow as Workflow
from canter.builder import WorkflowDefinitionError as WorkflowDefinitionError
from canter.builder import WorkflowThread as WorkflowThread
from canter.client import CanterError as CanterError
from canter.client import Client as Client
from canter.task_def import create_task_def as create_task_def
from canter.task_def import task as task
from canter.task_def import task_def_of as task_def_of
from canter.worker import TaskException as TaskException
from canter.worker import Worker as Worker
from canter.worker import WorkerContext as WorkerContext
from canter.worker import lambda_handler as lambda_handler
