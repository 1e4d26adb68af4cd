"""``WorkflowThread``: the object a thread function receives to define a ThreadSpec.

The methods mirror the LittleHorse Python SDK's ``WorkflowThread`` and emit
the same nodes, names and edges; on top of that every call checks what can
be checked before the workflow runs and reports mistakes at the user's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canter.builder import control_flow
from canter.builder.assignable import check_seconds, compile_assignment, describe
from canter.builder.control_flow import IfStatement, ThreadBody
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.graph import NodeKind
from canter.builder.operands import NodeOutput, Operand
from canter.builder.tasks import (
    ExponentialBackoff,
    TaskLike,
    TaskPolicy,
    compile_arguments,
    resolve_task,
)
from canter.builder.types import ErrorType, VariableType
from canter.builder.user_tasks import UserTasks
from canter.builder.variables import WfRunVariable


class WorkflowThread(UserTasks):
    """What a thread function receives: ``def entrypoint(wf: WorkflowThread) -> None``."""

    # --- building ---------------------------------------------------------------

    def build(self, body: ThreadBody) -> None:
        """Run the thread function; a thread that does not end explicitly ends with EXIT."""
        self._active = True
        self.graph.add_node("entrypoint", NodeKind.ENTRYPOINT, {})
        self.run_body(body)
        if self.graph.last_node().kind != NodeKind.EXIT:
            self.graph.add_node("exit", NodeKind.EXIT, {})
        self._active = False

    def run_body(self, body: ThreadBody) -> None:
        if not callable(body):
            raise WorkflowDefinitionError(
                f"expected a function taking a WorkflowThread, not {body!r}"
            )
        body(self)

    # --- tasks ----------------------------------------------------------------------

    def execute(
        self,
        task: TaskLike,
        *args: Any,
        retries: int | None = None,
        timeout_seconds: int | None = None,
        exponential_backoff: ExponentialBackoff | None = None,
    ) -> NodeOutput:
        """Run a task and wait for its result, which is the node's output."""
        self._check_open("execute a task")
        policy = TaskPolicy(retries, timeout_seconds, exponential_backoff)
        reference = resolve_task(task, self)
        if reference.signature is not None:
            reference.signature.check_arguments(args)
        body: dict[str, Any] = dict(reference.target)
        if args:
            body["variables"] = compile_arguments(args, self)
        node_name = self.graph.add_node(reference.label, NodeKind.TASK, body)
        workflow = self.workflow
        self.graph.find(node_name).late_fields = lambda: policy.node_fields(workflow.task_defaults)
        output_type = reference.signature.output if reference.signature else None
        return NodeOutput(node_name, self, output_type)

    # --- control flow -----------------------------------------------------------------

    def do_if(
        self, condition: Any, if_body: ThreadBody, else_body: ThreadBody | None = None
    ) -> IfStatement:
        """Run ``if_body`` when ``condition`` holds; chain ``do_else_if``/``do_else``."""
        self._check_open("add an if")
        statement = control_flow.do_if(self, condition, if_body)
        if else_body is not None:
            statement.do_else(else_body)
        return statement

    def do_while(self, condition: Any, body: ThreadBody) -> None:
        """Run ``body`` again and again while ``condition`` holds."""
        self._check_open("add a loop")
        control_flow.do_while(self, condition, body)

    # --- waiting ----------------------------------------------------------------------

    def wait_for_event(
        self,
        event_name: str,
        timeout: int | Operand | None = None,
        correlation_id: Any = None,
        mask_correlation_id: bool | None = None,
        correlated_event_config: Mapping[str, Any] | None = None,
    ) -> NodeOutput:
        """Wait for an ExternalEvent; its content is the node's output.

        With ``timeout`` (seconds) the node fails with TIMEOUT when no event came.
        With ``correlation_id`` a CorrelatedEvent put with that key (``PutCorrelatedEvent``)
        reaches this node, before or after it starts waiting; ``correlated_event_config``
        (``{"ttlSeconds": ..., "deleteAfterFirstCorrelation": ...}``) is the
        ExternalEventDef's, registered with the workflow by ``canter deploy``.
        """
        self._check_open("wait for an event")
        self.workflow.note_waited_event(event_name)
        if correlated_event_config is not None:
            self.workflow.note_correlated_event_config(event_name, correlated_event_config)
        body: dict[str, Any] = {"externalEventDefId": {"name": event_name}}
        if timeout is not None:
            check_seconds(timeout, "timeout")
            body["timeoutSeconds"] = compile_assignment(timeout, self)
        if correlation_id is not None:
            body["correlationKey"] = compile_assignment(correlation_id, self)
            if mask_correlation_id is None and isinstance(correlation_id, WfRunVariable):
                mask_correlation_id = correlation_id.declaration.masked
        if mask_correlation_id:
            body["maskCorrelationKey"] = True
        node_name = self.graph.add_node(event_name, NodeKind.EXTERNAL_EVENT, body)
        return NodeOutput(node_name, self)

    def sleep_seconds(self, seconds: int | Operand) -> None:
        """Sleep for a number of seconds (an INT literal or operand)."""
        self._check_open("sleep")
        check_seconds(seconds, "seconds")
        self.graph.add_node(
            "sleep", NodeKind.SLEEP, {"rawSeconds": compile_assignment(seconds, self)}
        )

    def sleep(self, seconds: int | Operand) -> None:
        """Sleep for a number of seconds: LittleHorse's name for ``sleep_seconds``."""
        self.sleep_seconds(seconds)

    def sleep_until(self, timestamp: Operand) -> None:
        """Sleep until a point in time: an INT of epoch milliseconds or a TIMESTAMP."""
        self._check_open("sleep")
        if not isinstance(timestamp, Operand) or timestamp.value_type not in (
            None,
            VariableType.INT,
            VariableType.TIMESTAMP,
        ):
            raise WorkflowDefinitionError(
                "sleep_until() needs an INT (epoch milliseconds) or TIMESTAMP variable, "
                f"not {describe(timestamp)}"
            )
        self.graph.add_node(
            "sleep", NodeKind.SLEEP, {"timestamp": compile_assignment(timestamp, self)}
        )

    def wait_for_condition(self, condition: Any) -> NodeOutput:
        """Block until ``condition`` holds; it is re-evaluated whenever a variable changes."""
        self._check_open("wait for a condition")
        compiled, _ = self.compile_condition(condition)
        node_name = self.graph.add_node(
            "wait-for-condition", NodeKind.WAIT_FOR_CONDITION, {"condition": compiled}
        )
        return NodeOutput(node_name, self)

    def throw_event(self, workflow_event_name: str, content: Any = None) -> None:
        """Publish a WorkflowEvent that clients can await."""
        self._check_open("throw an event")
        node = {
            "eventDefId": {"name": workflow_event_name},
            "content": compile_assignment(content, self),
        }
        self.graph.add_node(f"throw-{workflow_event_name}", NodeKind.THROW_EVENT, node)

    # --- ending -----------------------------------------------------------------------

    def fail(
        self, failure_name: str, message: str, content: Any = None, *, output: Any = None
    ) -> None:
        """End the thread with a business EXCEPTION named ``failure_name``.

        ``output`` is the LittleHorse SDK's name for ``content``.
        """
        self._check_open("fail")
        content = _one_of(content, output, "content", "output")
        if not isinstance(failure_name, str) or not failure_name:
            raise WorkflowDefinitionError(
                f"a failure name must be a non-empty str, not {failure_name!r}"
            )
        if failure_name in ErrorType.__members__:
            raise WorkflowDefinitionError(
                f"'{failure_name}' is a system ERROR name; name your EXCEPTION in kebab-case"
            )
        failure: dict[str, Any] = {"failureName": failure_name}
        if message:
            failure["message"] = message
        if content is not None:
            failure["content"] = compile_assignment(content, self)
        self.graph.add_node(failure_name, NodeKind.EXIT, {"failureDef": failure})

    def complete(self, value: Any = None, *, output: Any = None) -> None:
        """End the thread now, with ``value`` as its output when given.

        ``output`` is the LittleHorse SDK's name for ``value``.
        """
        self._check_open("complete")
        value = _one_of(value, output, "value", "output")
        body = {} if value is None else {"returnContent": compile_assignment(value, self)}
        self.graph.add_node("complete", NodeKind.EXIT, body)


def _one_of(value: Any, alias: Any, name: str, alias_name: str) -> Any:
    if value is not None and alias is not None:
        raise WorkflowDefinitionError(
            f"give {name} or {alias_name} (the LittleHorse SDK's name for it), not both"
        )
    return alias if value is None else value
