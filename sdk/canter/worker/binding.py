"""Binding a ScheduledTask's input variables to a Python function's parameters.

A parameter whose name matches an input variable (``order_id`` matches
``order-id``) takes it; the others take the remaining inputs in the
TaskDef's order. A parameter annotated ``WorkerContext`` gets the context,
and one annotated with a StructDef class (``@canter.struct_def`` or the
official SDK's ``@lh_struct_def``) gets the struct as an instance of it, as the
official Python worker gives it.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from canter import structs


@dataclass(frozen=True, slots=True)
class Binding:
    fn: Callable[..., Any]
    is_async: bool
    params: tuple[str, ...]
    positional_only: frozenset[str]
    context_param: str | None
    struct_params: Mapping[str, type] = field(default_factory=dict)

    @staticmethod
    def of(fn: Callable[..., Any]) -> Binding:
        signature = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:
            hints = {}
        params: list[str] = []
        positional_only: set[str] = set()
        context_param = None
        struct_params: dict[str, type] = {}
        for name, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = hints.get(name, param.annotation)
            if getattr(annotation, "__canter_context__", False):
                context_param = name
            else:
                params.append(name)
                if structs.is_struct(annotation):
                    struct_params[name] = annotation
            if param.kind is param.POSITIONAL_ONLY:
                positional_only.add(name)
        return Binding(
            fn,
            inspect.iscoroutinefunction(fn),
            tuple(params),
            frozenset(positional_only),
            context_param,
            struct_params,
        )

    def call(self, inputs: Sequence[tuple[str, Any]], context: object) -> Any:
        """Call the function (an async one to completion); ``inputs`` in the TaskDef's order."""
        kwargs = self.arguments(inputs, context)
        args = [kwargs.pop(name) for name in self.params if name in self.positional_only]
        result = self.fn(*args, **kwargs)
        return asyncio.run(result) if self.is_async else result

    def arguments(self, inputs: Sequence[tuple[str, Any]], context: object) -> dict[str, Any]:
        """Arguments by parameter name; ValueError says which input is missing."""
        by_name = dict(inputs)
        input_of = {name.replace("-", "_"): name for name in by_name}
        used = {input_of[p] for p in self.params if p in input_of}
        rest = iter([value for name, value in inputs if name not in used])
        kwargs: dict[str, Any] = {}
        for param in self.params:
            if param in input_of:
                kwargs[param] = by_name[input_of[param]]
                continue
            try:
                kwargs[param] = next(rest)
            except StopIteration:
                raise ValueError(
                    f"task function {getattr(self.fn, '__name__', self.fn)!r} takes {param!r}, "
                    f"but the task's inputs are {list(by_name)}"
                ) from None
        for param, cls in self.struct_params.items():
            if isinstance(kwargs.get(param), Mapping):
                kwargs[param] = structs.from_struct(kwargs[param], cls)
        if self.context_param is not None:
            kwargs[self.context_param] = context
        return kwargs
