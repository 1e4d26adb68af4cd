"""``WorkflowThread``: the object a thread function receives to define a ThreadSpec.

The methods mirror the LittleHorse Python SDK's ``WorkflowThread`` and emit
the same nodes, names and edges; on top of that every call checks what can
be checked before the workflow runs and reports mistakes at the user's line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from canter.builder import control_flow
from canter.builder.control_flow import IfStatement, ThreadBody
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.graph import NodeKind, ThreadGraph
from canter.builder.mutations import check_mutation, compile_mutation
from canter.builder.operands import (
    FormatString,
    NodeOutput,
    Operand,
    as_condition,
    compile_assignment,
    describe,
    type_of,
)
from canter.builder.tasks import ExponentialBackoff, compile_arguments, resolve_task
from canter.builder.threads import SpawnedThread, SpawnedThreads, WaitForThreadsOutput
from canter.builder.types import (
    ErrorType,
    VariableMutationType,
    VariableType,
    WaitForThreadsStrategy,
    parse_enum,
)
from canter.builder.variables import VariableDeclaration, WfRunVariable

if TYPE_CHECKING:
    from canter.builder.workflow import Workflow


class WorkflowThread:
    def __init__(self, workflow: Workflow, name: str, parent: WorkflowThread | None) -> None:
        self.workflow = workflow
        self.name = name
        self.parent = parent
        self.graph = ThreadGraph()
        self._variables: list[VariableDeclaration] = []
        self._interrupts: list[dict[str, Any]] = []
        self._active = False

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

    def _check_active(self) -> None:
        if not self._active:
            raise WorkflowDefinitionError(
                f"thread '{self.name}' is not being defined any more: inside a thread function, "
                "use the WorkflowThread that function receives"
            )

    def _check_open(self, what: str) -> None:
        self._check_active()
        if self.graph.last_node().kind == NodeKind.EXIT:
            raise WorkflowDefinitionError(
                f"cannot {what} after the thread has ended (fail() or complete())"
            )

    # --- scope (the operands.Scope protocol) ---------------------------------------

    def lineage(self) -> list[WorkflowThread]:
        """This thread and its ancestors: the threads whose variables it can use."""
        chain: list[WorkflowThread] = []
        thread: WorkflowThread | None = self
        while thread is not None:
            chain.append(thread)
            thread = thread.parent
        return chain

    def require_visible(self, variable: WfRunVariable) -> None:
        owner = variable.declaration.thread
        if owner.workflow is not self.workflow:
            raise WorkflowDefinitionError(
                f"variable '{variable.name}' belongs to workflow '{owner.workflow.name}', "
                f"not to '{self.workflow.name}'"
            )
        if owner not in self.lineage():
            raise WorkflowDefinitionError(
                f"variable '{variable.name}' is not declared in thread '{self.name}' or its "
                f"parents (it belongs to thread '{owner.name}'): a thread sees only its own and "
                "its ancestors' variables"
            )

    def require_own_node(self, output: NodeOutput) -> None:
        if output.owner is not self:
            raise WorkflowDefinitionError(
                f"{output.describe()} is not in thread '{self.name}': a node's output can only "
                "be used in the thread that ran the node"
            )

    def compile_condition(self, condition: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """A condition and its negation as ``VariableAssignment`` JSON."""
        self._check_active()
        checked = as_condition(condition)
        return checked.compile_assignment(self), checked.negate().compile_assignment(self)

    # --- variables ------------------------------------------------------------------

    def _declare(self, name: str, var_type: VariableType, default: object) -> WfRunVariable:
        self._check_open("declare a variable")
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(f"a variable name must be a non-empty str, not {name!r}")
        if any(existing.name == name for existing in self._variables):
            raise WorkflowDefinitionError(
                f"variable '{name}' is already declared in thread '{self.name}'"
            )
        declaration = VariableDeclaration(name, var_type, self)
        declaration.set_default(default)
        self._variables.append(declaration)
        return WfRunVariable(declaration)

    def declare_int(self, name: str, default_value: int | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.INT, default_value)

    def declare_str(self, name: str, default_value: str | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.STR, default_value)

    def declare_double(self, name: str, default_value: float | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.DOUBLE, default_value)

    def declare_bool(self, name: str, default_value: bool | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.BOOL, default_value)

    def declare_bytes(self, name: str, default_value: bytes | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.BYTES, default_value)

    def declare_json_obj(self, name: str, default_value: object = None) -> WfRunVariable:
        return self._declare(name, VariableType.JSON_OBJ, default_value)

    def declare_json_arr(self, name: str, default_value: object = None) -> WfRunVariable:
        return self._declare(name, VariableType.JSON_ARR, default_value)

    def declare_timestamp(self, name: str, default_value: object = None) -> WfRunVariable:
        return self._declare(name, VariableType.TIMESTAMP, default_value)

    def declare_wf_run_id(self, name: str, default_value: str | None = None) -> WfRunVariable:
        return self._declare(name, VariableType.WF_RUN_ID, default_value)

    def declared_names(self) -> frozenset[str]:
        return frozenset(declaration.name for declaration in self._variables)

    def find_variable(self, name: str) -> WfRunVariable:
        """A handle on a variable visible from this thread, by name."""
        for thread in self.lineage():
            for declaration in thread._variables:
                if declaration.name == name:
                    return WfRunVariable(declaration)
        raise WorkflowDefinitionError(
            f"no variable '{name}' is declared in thread '{self.name}' or its parents"
        )

    # --- values ---------------------------------------------------------------------

    def format(self, template: str, *args: Any) -> FormatString:
        """A STR built at run time: ``wf.format("Hello {0}", name)``."""
        return FormatString(template, args)

    def mutate(self, lhs: Any, operation: VariableMutationType | str, rhs: Any) -> None:
        """Change ``lhs`` on the edge leaving the node most recently added."""
        self._check_open("mutate a variable")
        if not isinstance(lhs, WfRunVariable):
            raise WorkflowDefinitionError(f"only a variable can be mutated, not {describe(lhs)}")
        op = parse_enum(VariableMutationType, operation, "variable mutation")
        check_mutation(lhs, op, rhs)
        self.graph.pending_mutations.append(compile_mutation(lhs, op, rhs, self))

    # --- tasks ----------------------------------------------------------------------

    def execute(
        self,
        task: Any,
        *args: Any,
        retries: int | None = None,
        timeout_seconds: int | None = None,
        exponential_backoff: ExponentialBackoff | None = None,
    ) -> NodeOutput:
        """Run a task and wait for its result, which is the node's output."""
        self._check_open("execute a task")
        reference = resolve_task(task, self)
        if reference.signature is not None:
            reference.signature.check_arguments(args)
        body: dict[str, Any] = dict(reference.target)
        if timeout_seconds is None:
            timeout_seconds = self.workflow.default_timeout_seconds
        if retries is None:
            retries = self.workflow.default_retries
        if exponential_backoff is None:
            exponential_backoff = self.workflow.default_exponential_backoff
        if timeout_seconds:
            body["timeoutSeconds"] = _positive_int(timeout_seconds, "timeout_seconds")
        if retries:
            body["retries"] = _positive_int(retries, "retries")
        if exponential_backoff is not None:
            body["exponentialBackoff"] = exponential_backoff.to_json()
        if args:
            body["variables"] = compile_arguments(args, self)
        node_name = self.graph.add_node(reference.label, NodeKind.TASK, body)
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
    ) -> NodeOutput:
        """Wait for an ExternalEvent; its content is the node's output.

        With ``timeout`` (seconds) the node fails with TIMEOUT when no event came.
        """
        self._check_open("wait for an event")
        self.workflow.note_waited_event(event_name)
        body: dict[str, Any] = {"externalEventDefId": {"name": event_name}}
        if timeout is not None:
            _check_seconds(timeout, "timeout")
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
        _check_seconds(seconds, "seconds")
        self.graph.add_node(
            "sleep", NodeKind.SLEEP, {"rawSeconds": compile_assignment(seconds, self)}
        )

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

    # --- child threads ---------------------------------------------------------------

    def _thread_inputs(self, thread_name: str, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        if inputs is None:
            return {}
        if not isinstance(inputs, Mapping) or not all(isinstance(k, str) for k in inputs):
            raise WorkflowDefinitionError(
                f"thread input must map variable names to values, not {inputs!r}"
            )
        self.workflow.note_thread_input(thread_name, frozenset(inputs))
        return {key: compile_assignment(value, self) for key, value in inputs.items()}

    def spawn_thread(
        self, body: ThreadBody, thread_name: str, input: Mapping[str, Any] | None = None
    ) -> SpawnedThread:
        """Start a child thread running ``body``; wait for it with ``wait_for_threads``."""
        self._check_open("spawn a thread")
        variables = self._thread_inputs(thread_name, input)
        self.workflow.add_thread(thread_name, body, self)
        node: dict[str, Any] = {"threadSpecName": thread_name}
        if variables:
            node["variables"] = variables
        node_name = self.graph.add_node(thread_name, NodeKind.START_THREAD, node)
        number = self._declare(node_name, VariableType.INT, None)
        self.mutate(number, VariableMutationType.ASSIGN, NodeOutput(node_name, self))
        return SpawnedThread(thread_name, number)

    def spawn_thread_for_each(
        self,
        array: Any,
        body: ThreadBody,
        thread_name: str,
        input: Mapping[str, Any] | None = None,
    ) -> SpawnedThreads:
        """Start one child thread per element of a JSON_ARR, given as its ``INPUT`` variable."""
        self._check_open("spawn threads")
        if type_of(array) not in (None, VariableType.JSON_ARR):
            raise WorkflowDefinitionError(
                f"spawn_thread_for_each() iterates over a JSON_ARR, not {describe(array)}"
            )
        variables = self._thread_inputs(thread_name, input)
        iterable = compile_assignment(array, self)
        self.workflow.add_thread(thread_name, body, self)
        node: dict[str, Any] = {"threadSpecName": thread_name}
        if variables:
            node["variables"] = variables
        node["iterable"] = iterable
        node_name = self.graph.add_node(thread_name, NodeKind.START_MULTIPLE_THREADS, node)
        numbers = self._declare(node_name, VariableType.JSON_ARR, None)
        self.mutate(numbers, VariableMutationType.ASSIGN, NodeOutput(node_name, self))
        return SpawnedThreads(thread_name, numbers)

    def wait_for_threads(
        self,
        *threads: SpawnedThread | SpawnedThreads,
        strategy: WaitForThreadsStrategy | str = WaitForThreadsStrategy.WAIT_FOR_ALL,
    ) -> WaitForThreadsOutput:
        """Wait for children of ``spawn_thread`` (one or more) or of a ``spawn_thread_for_each``."""
        self._check_open("wait for threads")
        node: dict[str, Any]
        if len(threads) == 1 and isinstance(threads[0], SpawnedThreads):
            node = {"threadList": compile_assignment(threads[0].numbers, self)}
        elif threads and all(isinstance(thread, SpawnedThread) for thread in threads):
            node = {
                "threads": {
                    "threads": [
                        {"threadRunNumber": compile_assignment(thread.number, self)}
                        for thread in threads
                        if isinstance(thread, SpawnedThread)
                    ]
                }
            }
        else:
            raise WorkflowDefinitionError(
                "wait_for_threads() takes the results of spawn_thread() (one or more) or of a "
                f"single spawn_thread_for_each(), not {threads!r}"
            )
        chosen = parse_enum(WaitForThreadsStrategy, strategy, "wait strategy")
        if chosen != WaitForThreadsStrategy.WAIT_FOR_ALL:
            node["strategy"] = chosen.value
        node_name = self.graph.add_node("threads", NodeKind.WAIT_FOR_THREADS, node)
        return WaitForThreadsOutput(node_name, self)

    def add_interrupt_handler(self, event_name: str, handler: ThreadBody) -> None:
        """Interrupt this thread whenever ``event_name`` arrives and run ``handler``."""
        self._check_active()
        thread_name = f"interrupt-{event_name}"
        self.workflow.note_interrupt_event(event_name)
        self.workflow.add_thread(thread_name, handler, self)
        self._interrupts.append(
            {"externalEventDefId": {"name": event_name}, "handlerSpecName": thread_name}
        )

    # --- failures -------------------------------------------------------------------

    def _handled_node(self, node: Any) -> str:
        if not isinstance(node, NodeOutput):
            raise WorkflowDefinitionError(
                f"a failure handler attaches to the output of a node, not {node!r}"
            )
        self.require_own_node(node)
        return node.node_name

    def _attach_handler(
        self, node: Any, thread_name: str, handler: ThreadBody, failure: dict[str, str]
    ) -> None:
        self._check_active()
        node_name = self._handled_node(node)
        self.workflow.add_thread(thread_name, handler, self)
        self.graph.find(node_name).failure_handlers.append(
            {"handlerSpecName": thread_name, **failure}
        )

    def handle_exception(
        self, node: Any, handler: ThreadBody, exception_name: str | None = None
    ) -> None:
        """Run ``handler`` when ``node`` fails with a business EXCEPTION (any, or the one named)."""
        name = f"exn-handler-{self._handled_node(node)}"
        if exception_name is None:
            self._attach_handler(
                node, name, handler, {"anyFailureOfType": "FAILURE_TYPE_EXCEPTION"}
            )
        else:
            self._attach_handler(
                node, f"{name}-{exception_name}", handler, {"specificFailure": exception_name}
            )

    def handle_error(
        self, node: Any, handler: ThreadBody, error_type: ErrorType | str | None = None
    ) -> None:
        """Run ``handler`` when ``node`` fails with a technical ERROR (any, or the one named)."""
        name = f"exn-handler-{self._handled_node(node)}"
        if error_type is None:
            self._attach_handler(
                node,
                f"{name}-FAILURE_TYPE_ERROR",
                handler,
                {"anyFailureOfType": "FAILURE_TYPE_ERROR"},
            )
        else:
            error = parse_enum(ErrorType, error_type, "error type").value
            self._attach_handler(node, f"{name}-{error}", handler, {"specificFailure": error})

    def handle_any_failure(self, node: Any, handler: ThreadBody) -> None:
        """Run ``handler`` whenever ``node`` fails."""
        name = f"exn-handler-{self._handled_node(node)}-any-failure"
        self._attach_handler(node, name, handler, {})

    def add_child_failure_handler(
        self,
        output: WaitForThreadsOutput,
        thread_name: str,
        handler: ThreadBody,
        failure: dict[str, str],
    ) -> None:
        self._check_active()
        self.require_own_node(output)
        self.workflow.add_thread(thread_name, handler, self)
        node = self.graph.find(output.node_name)
        node.body.setdefault("perThreadFailureHandlers", []).append(
            {"handlerSpecName": thread_name, **failure}
        )

    # --- ending -----------------------------------------------------------------------

    def fail(self, failure_name: str, message: str, content: Any = None) -> None:
        """End the thread with a business EXCEPTION named ``failure_name``."""
        self._check_open("fail")
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

    def complete(self, value: Any = None) -> None:
        """End the thread now, with ``value`` as its output when given."""
        self._check_open("complete")
        body = {} if value is None else {"returnContent": compile_assignment(value, self)}
        self.graph.add_node("complete", NodeKind.EXIT, body)

    # --- output -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The ``ThreadSpec`` JSON."""
        spec: dict[str, Any] = {"nodes": self.graph.to_json()}
        if self._variables:
            spec["variableDefs"] = [variable.to_json() for variable in self._variables]
        if self._interrupts:
            spec["interruptDefs"] = list(self._interrupts)
        return spec


def _positive_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise WorkflowDefinitionError(f"{what} must be a non-negative int, not {value!r}")
    return value


def _check_seconds(value: object, what: str) -> None:
    if isinstance(value, Operand):
        if value.value_type not in (None, VariableType.INT):
            raise WorkflowDefinitionError(f"{what} must be an INT, not {describe(value)}")
        return
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise WorkflowDefinitionError(f"{what} must be a positive number of seconds, not {value!r}")
