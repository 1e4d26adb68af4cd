"""Failure handlers: threads that run when a node, or a child it waits for, fails."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canter.builder.errors import WorkflowDefinitionError
from canter.builder.operands import NodeOutput
from canter.builder.thread_core import ThreadCore
from canter.builder.types import ErrorType, parse_enum

if TYPE_CHECKING:
    from canter.builder.control_flow import ThreadBody
    from canter.builder.threads import WaitForThreadsOutput


class FailureHandling(ThreadCore):
    """A handler thread runs only after a node's retries are spent; it sees the failed thread."""

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
