"""Binding a ScheduledTask's input variables to a Python function's parameters.

A parameter whose name matches an input variable (``order_id`` matches
``order-id``) takes it; the others take the remaining inputs in the
TaskDef's order. A parameter annotated ``WorkerContext`` gets the context.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Binding:
    fn: Callable[..., Any]
    is_async: bool
    params: tuple[str, ...]
    context_param: str | None

    @staticmethod
    def of(fn: Callable[..., Any]) -> Binding:
        signature = inspect.signature(fn)
        try:
            hints = typing.get_type_hints(fn)
        except Exception:
            hints = {}
        params: list[str] = []
        context_param = None
        for name, param in signature.parameters.items():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = hints.get(name, param.annotation)
            if getattr(annotation, "__canter_context__", False):
                context_param = name
            else:
                params.append(name)
        return Binding(fn, inspect.iscoroutinefunction(fn), tuple(params), context_param)

    def arguments(self, inputs: Sequence[tuple[str, Any]], context: object) -> dict[str, Any]:
        """Keyword arguments for one call; ``inputs`` are in the TaskDef's order."""
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
        if self.context_param is not None:
            kwargs[self.context_param] = context
        return kwargs
