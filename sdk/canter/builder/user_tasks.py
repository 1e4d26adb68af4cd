"""User tasks: work for people inside a workflow (LittleHorse's USER_TASK node).

``assign_user_task`` adds the node; the action methods
(``schedule_reminder_task``, ``reassign_user_task_on_deadline``, ...) add
``UTActionTrigger`` entries to it and, as in the LittleHorse SDK, must follow
the node directly: an action given after another node was added would
belong to a node the author no longer looks at. The node's output is the
UserTaskRun's results, a JSON_OBJ keyed by the UserTaskDef's field names.
"""

from __future__ import annotations

import re
from typing import Any

from canter.builder.assignable import check_seconds, compile_assignment, describe, type_of
from canter.builder.children import ChildThreads
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.graph import Node, NodeKind
from canter.builder.operands import NodeOutput
from canter.builder.tasks import TaskLike, compile_arguments, resolve_task
from canter.builder.types import ErrorType, VariableType, parse_enum
from canter.user_task_def import UserTaskDef, user_task_def_of

ON_TASK_ASSIGNED = "ON_TASK_ASSIGNED"
"""The hook of actions timed from the assignment; ON_ARRIVAL is the zero, left out."""


_FIELD_PATH = re.compile(r"^\$\.([A-Za-z_][\w-]*)$")


class FieldOutput(NodeOutput):
    """One field of a user task's results, typed by the UserTaskDef the node was given."""

    def __init__(self, output: NodeOutput, json_path: str, value_type: VariableType) -> None:
        super().__init__(output.node_name, output.owner, value_type, json_path)

    @property
    def value_type(self) -> VariableType | None:
        return self._value_type

    def describe(self) -> str:
        return f"{self._value_type} {super().describe()}"


class UserTaskOutput(NodeOutput):
    """The output of a USER_TASK node; ``with_notes`` and friends configure the node.

    Given a :class:`canter.UserTaskDef` (or a ``@canter.user_task`` class),
    ``with_json_path("$.field")`` knows the field's type and refuses a field
    the form does not have.
    """

    def __init__(
        self, node_name: str, thread: UserTasks, definition: UserTaskDef | None = None
    ) -> None:
        super().__init__(node_name, thread, VariableType.JSON_OBJ)
        self.thread = thread
        self.definition = definition

    def with_json_path(self, json_path: str) -> NodeOutput:
        narrowed = super().with_json_path(json_path)
        match = _FIELD_PATH.match(json_path)
        if self.definition is None or match is None:
            return narrowed
        types = {field.name: field.type for field in self.definition.fields}
        if match.group(1) not in types:
            raise WorkflowDefinitionError(
                f"UserTaskDef '{self.definition.name}' has no field '{match.group(1)}'; its "
                f"fields: {', '.join(types)}"
            )
        field_type = parse_enum(VariableType, types[match.group(1)], "variable type")
        return FieldOutput(narrowed, json_path, field_type)

    def with_notes(self, notes: Any) -> UserTaskOutput:
        """Notes shown with the UserTaskRun: a str, a STR variable or a format string."""
        _require_str(notes, "notes")
        node = self.thread.user_task_node(self, "add notes to")
        node.body["notes"] = compile_assignment(notes, self.thread)
        return self

    def with_on_cancellation_exception(self, exception_name: Any) -> UserTaskOutput:
        """Fail the node with this EXCEPTION, not an ERROR, if the UserTaskRun is cancelled."""
        _require_str(exception_name, "the cancellation exception name")
        if isinstance(exception_name, str) and exception_name in ErrorType.__members__:
            raise WorkflowDefinitionError(
                f"'{exception_name}' is a system ERROR name; name your EXCEPTION in kebab-case"
            )
        node = self.thread.user_task_node(self, "set the cancellation exception of")
        node.body["onCancellationExceptionName"] = compile_assignment(exception_name, self.thread)
        return self


class UserTasks(ChildThreads):
    """Assigning work to people and scheduling what happens when they do not do it."""

    def assign_user_task(
        self,
        user_task_def_name: str | UserTaskDef | type,
        user_id: Any = None,
        user_group: Any = None,
    ) -> UserTaskOutput:
        """Create a UserTaskRun of the UserTaskDef for a user and/or a group and wait for it.

        ``user_task_def_name`` may also be a :class:`canter.UserTaskDef` or a
        ``@canter.user_task`` class.
        The node completes with the results when the UserTaskRun is
        completed and fails when it is cancelled.
        """
        self._check_open("assign a user task")
        definition = user_task_def_of(user_task_def_name)
        name = definition.name if definition is not None else user_task_def_name
        if not isinstance(name, str) or not name:
            raise WorkflowDefinitionError(
                "assign_user_task() needs a UserTaskDef name, a canter.UserTaskDef or a "
                f"@canter.user_task class, not {user_task_def_name!r}"
            )
        if user_id is None and user_group is None:
            raise WorkflowDefinitionError(
                "assign_user_task() needs a user_id, a user_group or both"
            )
        body: dict[str, Any] = {"userTaskDefName": name}
        if user_group is not None:
            body["userGroup"] = self._assignee(user_group, "user_group")
        if user_id is not None:
            body["userId"] = self._assignee(user_id, "user_id")
        node_name = self.graph.add_node(name, NodeKind.USER_TASK, body)
        return UserTaskOutput(node_name, self, definition)

    def schedule_reminder_task(
        self, user_task: UserTaskOutput, delay_in_seconds: Any, task_def_name: TaskLike, *args: Any
    ) -> None:
        """Run a task ``delay_in_seconds`` after the UserTaskRun is created, if still open."""
        self._reminder(user_task, delay_in_seconds, task_def_name, args, hook=None)

    def schedule_reminder_task_on_assignment(
        self, user_task: UserTaskOutput, delay_in_seconds: Any, task_def_name: TaskLike, *args: Any
    ) -> None:
        """Run a task ``delay_in_seconds`` after each assignment, if the run is still open.

        The task gets ``args`` as given. (The LittleHorse SDK 1.3.0 passes
        them as one JSON_OBJ argument holding the tuple, which no TaskDef
        with typed inputs accepts.)
        """
        self._reminder(user_task, delay_in_seconds, task_def_name, args, hook=ON_TASK_ASSIGNED)

    def reassign_user_task_on_deadline(
        self,
        user_task: UserTaskOutput,
        deadline_seconds: Any,
        user_group: Any = None,
        user_id: Any = None,
    ) -> None:
        """Reassign the UserTaskRun to ``user_id`` and/or ``user_group`` if still open after the
        deadline (counted from its creation)."""
        self._check_open("reassign a user task")
        node = self.user_task_node(user_task, "reassign")
        if user_id is None and user_group is None:
            raise WorkflowDefinitionError(
                "reassign_user_task_on_deadline() needs a user_id, a user_group or both"
            )
        check_seconds(deadline_seconds, "deadline_seconds")
        reassign: dict[str, Any] = {}
        if user_id is not None:
            reassign["userId"] = self._assignee(user_id, "user_id")
        if user_group is not None:
            reassign["userGroup"] = self._assignee(user_group, "user_group")
        node.body.setdefault("actions", []).append(
            {"reassign": reassign, "delaySeconds": compile_assignment(deadline_seconds, self)}
        )

    def release_to_group_on_deadline(
        self, user_task: UserTaskOutput, deadline_seconds: Any
    ) -> None:
        """Take the UserTaskRun from its user back to its group if the user has not completed it
        ``deadline_seconds`` after being assigned.

        As in the LittleHorse SDK, the node must be assigned to both a user and a group.
        """
        self._check_open("release a user task")
        node = self.user_task_node(user_task, "release")
        if "userGroup" not in node.body or "userId" not in node.body:
            raise WorkflowDefinitionError(
                "release_to_group_on_deadline() needs a user task assigned to both a user_id and "
                "a user_group: it gives the task back to the group"
            )
        check_seconds(deadline_seconds, "deadline_seconds")
        node.body.setdefault("actions", []).append(
            {
                "reassign": {"userGroup": node.body["userGroup"]},
                "delaySeconds": compile_assignment(deadline_seconds, self),
                "hook": ON_TASK_ASSIGNED,
            }
        )

    def cancel_user_task_run_after(self, user_task: UserTaskOutput, delay_in_seconds: Any) -> None:
        """Cancel the UserTaskRun if still open ``delay_in_seconds`` after its creation."""
        self._cancel_after(user_task, delay_in_seconds, hook=None)

    def cancel_user_task_run_after_assignment(
        self, user_task: UserTaskOutput, delay_in_seconds: Any
    ) -> None:
        """Cancel the UserTaskRun if still open ``delay_in_seconds`` after an assignment."""
        self._cancel_after(user_task, delay_in_seconds, hook=ON_TASK_ASSIGNED)

    # --- shared ---------------------------------------------------------------

    def user_task_node(self, user_task: UserTaskOutput, what: str) -> Node:
        """The USER_TASK node of ``user_task``, which must be this thread's last node."""
        if not isinstance(user_task, UserTaskOutput):
            raise WorkflowDefinitionError(
                f"cannot {what} {describe(user_task)}: give the output of assign_user_task()"
            )
        if user_task.owner is not self or self.graph.last_node_name != user_task.node_name:
            raise WorkflowDefinitionError(
                f"cannot {what} user task node '{user_task.node_name}': configure a user task "
                "right after assign_user_task(), before adding other nodes"
            )
        return self.graph.last_node()

    def _assignee(self, value: Any, what: str) -> dict[str, Any]:
        _require_str(value, what)
        if isinstance(value, str) and not value.strip():
            raise WorkflowDefinitionError(f"{what} of a user task cannot be empty")
        return compile_assignment(value, self)

    def _reminder(
        self,
        user_task: UserTaskOutput,
        delay: Any,
        task: TaskLike,
        args: tuple[Any, ...],
        hook: str | None,
    ) -> None:
        self._check_open("schedule a reminder task")
        node = self.user_task_node(user_task, "schedule a reminder for")
        check_seconds(delay, "delay_in_seconds")
        reference = resolve_task(task, self)
        if reference.signature is not None:
            reference.signature.check_arguments(args)
        task_node: dict[str, Any] = dict(reference.target)
        if args:
            task_node["variables"] = compile_arguments(args, self)
        action: dict[str, Any] = {
            "task": {"task": task_node},
            "delaySeconds": compile_assignment(delay, self),
        }
        if hook is not None:
            action["hook"] = hook
        node.body.setdefault("actions", []).append(action)

    def _cancel_after(self, user_task: UserTaskOutput, delay: Any, hook: str | None) -> None:
        self._check_open("schedule a cancellation")
        node = self.user_task_node(user_task, "schedule the cancellation of")
        check_seconds(delay, "delay_in_seconds")
        action: dict[str, Any] = {"cancel": {}, "delaySeconds": compile_assignment(delay, self)}
        if hook is not None:
            action["hook"] = hook
        node.body.setdefault("actions", []).append(action)


def _require_str(value: Any, what: str) -> None:
    if value is None or type_of(value) not in (None, VariableType.STR):
        raise WorkflowDefinitionError(f"{what} must be a STR, not {describe(value)}")
