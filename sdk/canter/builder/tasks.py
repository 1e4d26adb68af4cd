"""What ``execute()`` may be given as a task, and checking its arguments.

A task named by a string is only known to the server, so nothing can be
checked here. A task given as a function registered with ``@canter.task``,
or as a PutTaskDefRequest, carries its signature: the argument count and
the types of literal and typed arguments are checked at definition time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from canter.builder.assignable import Scope, compile_assignment, describe, type_of
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.operands import FormatString
from canter.builder.types import VariableType, accepts, cast_hint, parse_enum
from canter.builder.variables import WfRunVariable
from canter.task_def import task_def_of

TaskLike = str | FormatString | WfRunVariable | Mapping[str, Any] | Callable[..., Any]
"""A TaskDef name, a task chosen at run time, a PutTaskDefRequest, or a ``@canter.task``."""


@dataclass(frozen=True)
class ExponentialBackoff:
    """Retry delays: ``base_interval_ms`` times ``multiplier`` per retry, capped."""

    base_interval_ms: int = 0
    max_delay_ms: int = 0
    multiplier: float = 0.0

    def to_json(self) -> dict[str, Any]:
        policy: dict[str, Any] = {}
        if self.base_interval_ms:
            policy["baseIntervalMs"] = self.base_interval_ms
        if self.max_delay_ms:
            policy["maxDelayMs"] = str(self.max_delay_ms)
        if self.multiplier:
            policy["multiplier"] = self.multiplier
        return policy


def non_negative_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise WorkflowDefinitionError(f"{what} must be a non-negative int, not {value!r}")
    return value


class TaskPolicy:
    """Retries, timeout and backoff of a TASK node; ``None`` leaves a setting to the default.

    Checked where it is given, so a mistake is reported at the user's line.
    """

    def __init__(
        self,
        retries: int | None = None,
        timeout_seconds: int | None = None,
        exponential_backoff: ExponentialBackoff | None = None,
    ) -> None:
        if retries is not None:
            non_negative_int(retries, "retries")
        if timeout_seconds is not None:
            non_negative_int(timeout_seconds, "timeout_seconds")
        if exponential_backoff is not None and not isinstance(
            exponential_backoff, ExponentialBackoff
        ):
            raise WorkflowDefinitionError(
                "exponential_backoff must be a canter.ExponentialBackoff, "
                f"not {exponential_backoff!r}"
            )
        self.retries = retries
        self.timeout_seconds = timeout_seconds
        self.exponential_backoff = exponential_backoff

    def node_fields(self, defaults: TaskPolicy) -> dict[str, Any]:
        """The ``TaskNode`` fields, each from this policy or else from ``defaults``.

        As in the LittleHorse SDK, an explicit 0 overrides a default and is then
        left out of the JSON, like every proto3 zero.
        """
        retries = self.retries if self.retries is not None else defaults.retries
        timeout = (
            self.timeout_seconds if self.timeout_seconds is not None else defaults.timeout_seconds
        )
        backoff = (
            self.exponential_backoff
            if self.exponential_backoff is not None
            else defaults.exponential_backoff
        )
        fields: dict[str, Any] = {}
        if timeout:
            fields["timeoutSeconds"] = timeout
        if retries:
            fields["retries"] = retries
        if backoff is not None:
            fields["exponentialBackoff"] = backoff.to_json()
        return fields


def _primitive_type(type_def: Mapping[str, Any]) -> VariableType | None:
    """A TypeDefinition's type; one without ``primitiveType`` has the enum's zero, JSON_OBJ.
    None for a StructDef (or an inline type): the server checks those."""
    if {"structDefId", "inlineArrayDef", "inlineMapDef", "inlineStructDef"} & set(type_def):
        return None
    return parse_enum(VariableType, type_def.get("primitiveType", "JSON_OBJ"), "type")


def _type_label(type_def: Mapping[str, Any]) -> str:
    struct = type_def.get("structDefId")
    if isinstance(struct, Mapping):
        return f"Struct<{struct.get('name')}>"
    primitive = _primitive_type(type_def)
    return str(primitive) if primitive is not None else "an inline type"


@dataclass(frozen=True)
class TaskSignature:
    """A TaskDef's inputs (name, primitive type or None for a struct, label) and output."""

    name: str
    inputs: tuple[tuple[str, VariableType | None, str], ...]
    output: VariableType | None

    @classmethod
    def from_request(cls, request: Mapping[str, Any]) -> TaskSignature:
        """The signature of a PutTaskDefRequest (proto JSON)."""
        inputs = tuple(
            (
                str(var["name"]),
                _primitive_type(var.get("typeDef", {})),
                _type_label(var.get("typeDef", {})),
            )
            for var in request.get("inputVars", ())
        )
        returned = request.get("returnType", {}).get("returnType")
        output = _primitive_type(returned) if returned else None
        return cls(str(request["name"]), inputs, output)

    def describe_inputs(self) -> str:
        return ", ".join(f"{name}: {label}" for name, _, label in self.inputs)

    def check_arguments(self, args: tuple[Any, ...]) -> None:
        if len(args) != len(self.inputs):
            raise WorkflowDefinitionError(
                f"task '{self.name}' takes {len(self.inputs)} argument(s) "
                f"({self.describe_inputs()}) but {len(args)} were given"
            )
        for (param, expected, label), arg in zip(self.inputs, args, strict=True):
            actual = type_of(arg)
            if expected is None:
                if actual is not None:
                    raise WorkflowDefinitionError(
                        f"argument '{param}' of task '{self.name}' must be {label}, "
                        f"not {describe(arg)}"
                    )
                continue
            if actual is not None and not accepts(expected, actual):
                raise WorkflowDefinitionError(
                    f"argument '{param}' of task '{self.name}' must be {expected}, "
                    f"not {describe(arg)}{cast_hint(actual, expected)}"
                )


@dataclass(frozen=True)
class TaskReference:
    """The ``TaskNode`` fields that say which task runs, and its label in node names."""

    label: str
    target: dict[str, Any]
    signature: TaskSignature | None


def resolve_task(task: TaskLike, scope: Scope) -> TaskReference:
    if isinstance(task, str):
        return TaskReference(task, {"taskDefId": {"name": task}}, None)
    if isinstance(task, FormatString):
        return TaskReference(task.template, {"dynamicTask": task.compile_assignment(scope)}, None)
    if isinstance(task, WfRunVariable):
        if task.value_type not in (None, VariableType.STR):
            raise WorkflowDefinitionError(
                f"a task chosen at run time needs a STR, not {describe(task)}"
            )
        return TaskReference(task.name, {"dynamicTask": task.compile_assignment(scope)}, None)
    if isinstance(task, Mapping) and "name" in task:
        signature = TaskSignature.from_request(task)
        return TaskReference(signature.name, {"taskDefId": {"name": signature.name}}, signature)
    request = task_def_of(task)
    if request is not None:
        signature = TaskSignature.from_request(request)
        return TaskReference(signature.name, {"taskDefId": {"name": signature.name}}, signature)
    if callable(task):
        raise WorkflowDefinitionError(
            f"{getattr(task, '__qualname__', task)!r} is not a registered TaskDef: decorate it "
            "with @canter.task, or pass the TaskDef's name"
        )
    raise WorkflowDefinitionError(
        f"execute() needs a TaskDef name, a @canter.task function, a PutTaskDefRequest or a "
        f"format string, not {task!r}"
    )


def compile_arguments(args: tuple[Any, ...], scope: Scope) -> list[dict[str, Any]]:
    return [compile_assignment(arg, scope) for arg in args]
