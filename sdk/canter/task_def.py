"""TaskDefs from Python functions: the ``PutTaskDefRequest`` a function's signature implies.

The function is the single source of truth for a task's inputs and output:
the worker runs it, and the TaskDef registered for it (and checked by the
workflow builder) is derived from its type hints, as LittleHorse's
``create_task_def`` does. ``taskQueue`` and ``taskType`` are Canter's
extensions of the request: which SQS queue carries the work, and which
function a worker on a shared queue dispatches to.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, overload

from canter import structs
from canter.builder.errors import WorkflowDefinitionError

_TASK_DEF_ATTRIBUTE = "__canter_task_def__"
_CONTEXT_MARKER = "__canter_context__"

_SCALARS: dict[Any, str] = {
    bool: "BOOL",
    int: "INT",
    float: "DOUBLE",
    str: "STR",
    bytes: "BYTES",
    datetime: "TIMESTAMP",
}
_OBJECTS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_ARRAYS = (list, tuple, collections.abc.Sequence, collections.abc.MutableSequence)

F = TypeVar("F", bound=Callable[..., Any])


def is_context_type(annotation: Any) -> bool:
    """Whether a parameter receives the worker's context instead of a task input.

    The worker's context class marks itself with ``__canter_context__ = True``,
    so that this module needs no import of the worker.
    """
    return getattr(annotation, _CONTEXT_MARKER, False) is True


def _strip(annotation: Any) -> Any:
    """``Annotated[T, ...]`` and ``T | None`` are T: metadata and nullability are not types."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _strip(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _strip(members[0])
    return annotation


def variable_type_of(annotation: Any, where: str) -> str:
    """The LittleHorse VariableType of a Python type hint."""
    hint = _strip(annotation)
    if hint in _SCALARS:
        return _SCALARS[hint]
    if typing.is_typeddict(hint):
        return "JSON_OBJ"
    origin = typing.get_origin(hint) or hint
    if origin in _OBJECTS:
        return "JSON_OBJ"
    if origin in _ARRAYS:
        return "JSON_ARR"
    raise WorkflowDefinitionError(
        f"{where} has type {annotation!r}, which has no LittleHorse type: use int, float, bool, "
        "str, bytes, datetime, a dict/Mapping/TypedDict (JSON_OBJ) or a list/Sequence (JSON_ARR)"
    )


def type_definition_of(annotation: Any, where: str) -> dict[str, Any]:
    """The TypeDefinition of a type hint: a StructDef class (``@canter.struct_def``)
    is its StructDef, latest version, as the official SDK's worker declares it."""
    hint = _strip(annotation)
    if structs.is_struct(hint):
        return {"structDefId": {"name": structs.struct_name(hint), "version": -1}}
    return {"primitiveType": variable_type_of(annotation, where)}


def create_task_def(
    fn: Callable[..., Any],
    name: str | None = None,
    task_queue: str | None = None,
    task_type: str | None = None,
) -> dict[str, Any]:
    """The PutTaskDefRequest (proto JSON) for ``fn``, named after ``fn`` by default."""
    task_name = name or fn.__name__
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except NameError as err:
        raise WorkflowDefinitionError(
            f"cannot resolve the type hints of {task_name}: {err}"
        ) from err
    input_vars: list[dict[str, Any]] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise WorkflowDefinitionError(
                f"task {task_name} cannot take *args or **kwargs: a TaskDef has fixed inputs"
            )
        if param.name not in hints:
            raise WorkflowDefinitionError(
                f"parameter '{param.name}' of task {task_name} needs a type hint"
            )
        if is_context_type(hints[param.name]):
            continue
        input_vars.append(
            {
                "name": param.name,
                "typeDef": type_definition_of(
                    hints[param.name], f"parameter '{param.name}' of {task_name}"
                ),
            }
        )
    if "return" not in hints:
        raise WorkflowDefinitionError(
            f"task {task_name} needs a return type hint (-> None when it returns nothing)"
        )
    request: dict[str, Any] = {"name": task_name}
    if input_vars:
        request["inputVars"] = input_vars
    if hints["return"] is not None and hints["return"] is not type(None):
        request["returnType"] = {
            "returnType": type_definition_of(hints["return"], f"the return value of {task_name}")
        }
    if task_queue is not None:
        request["taskQueue"] = task_queue
    if task_type is not None:
        request["taskType"] = task_type
    return request


@overload
def task(fn: F, /) -> F: ...


@overload
def task(
    *, name: str | None = None, task_queue: str | None = None, task_type: str | None = None
) -> Callable[[F], F]: ...


def task(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    task_queue: str | None = None,
    task_type: str | None = None,
) -> F | Callable[[F], F]:
    """Register a function as a TaskDef; it stays an ordinary function.

    ``@canter.task`` or ``@canter.task(name="greet", task_queue="q")``. The
    request is kept on the function, so ``wf.execute(greet, ...)`` can check
    its arguments and a worker can tell which TaskDef it serves.
    """

    def register(target: F) -> F:
        request = create_task_def(target, name=name, task_queue=task_queue, task_type=task_type)
        setattr(target, _TASK_DEF_ATTRIBUTE, request)
        return target

    return register(fn) if fn is not None else register


def task_def_of(fn: object) -> dict[str, Any] | None:
    """The PutTaskDefRequest a function was registered with by ``@canter.task``, if any."""
    request = getattr(fn, _TASK_DEF_ATTRIBUTE, None)
    return request if isinstance(request, dict) else None
