"""Child threads: spawning them, one or one per element, waiting for them, and interrupts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from canter.builder.assignable import compile_assignment, describe, type_of
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.failures import FailureHandling
from canter.builder.graph import NodeKind
from canter.builder.operands import NodeOutput
from canter.builder.threads import (
    SpawnedChildWf,
    SpawnedThread,
    SpawnedThreadList,
    SpawnedThreads,
    WaitForThreadsOutput,
)
from canter.builder.types import (
    VariableMutationType,
    VariableType,
    WaitForThreadsStrategy,
    parse_enum,
)

if TYPE_CHECKING:
    from canter.builder.control_flow import ThreadBody


class ChildThreads(FailureHandling):
    """Parallelism is child threads (a ThreadRun runs one node at a time) and child WfRuns."""

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
        *threads: SpawnedThread | SpawnedThreads | SpawnedThreadList,
        strategy: WaitForThreadsStrategy | str = WaitForThreadsStrategy.WAIT_FOR_ALL,
    ) -> WaitForThreadsOutput:
        """Wait for children of ``spawn_thread`` (one or more) or of a ``spawn_thread_for_each``."""
        self._check_open("wait for threads")
        if len(threads) == 1 and isinstance(threads[0], SpawnedThreadList):
            threads = threads[0].threads
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

    def run_wf(
        self, wf_spec_name: str, inputs: Mapping[str, Any] | None = None, child_id: Any = None
    ) -> SpawnedChildWf:
        """Start a WfRun of another WfSpec (its latest version) as a child of this one."""
        self._check_open("run a child workflow")
        if not isinstance(wf_spec_name, str) or not wf_spec_name:
            raise WorkflowDefinitionError(
                f"a WfSpec name must be a non-empty str, not {wf_spec_name!r}"
            )
        if inputs is not None and not isinstance(inputs, Mapping):
            raise WorkflowDefinitionError(
                f"child workflow inputs must be a mapping, not {inputs!r}"
            )
        node: dict[str, Any] = {"wfSpecName": wf_spec_name, "majorVersion": -1}
        if inputs:
            node["inputs"] = {key: compile_assignment(value, self) for key, value in inputs.items()}
        if child_id is not None:
            node["childId"] = compile_assignment(child_id, self)
        node_name = self.graph.add_node(f"run-{wf_spec_name}", NodeKind.RUN_CHILD_WF, node)
        return SpawnedChildWf(node_name, self)

    def wait_for_child_wf(self, child: SpawnedChildWf) -> NodeOutput:
        """Wait for a child WfRun; its output is the child's result."""
        self._check_open("wait for a child workflow")
        if not isinstance(child, SpawnedChildWf) or child.thread is not self:
            raise WorkflowDefinitionError(
                "wait_for_child_wf() takes what run_wf() returned in this same thread"
            )
        source = child.source_node_name
        node = {
            "childWfRunId": {"nodeOutput": {"nodeName": source}},
            "childWfRunSourceNode": source,
        }
        return NodeOutput(self.graph.add_node("wait", NodeKind.WAIT_FOR_CHILD_WF, node), self)
