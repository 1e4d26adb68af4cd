"""What ``canter deploy`` registers, found in a module or in one object of it.

StructDefs come from ``@canter.struct_def`` classes (nested ones first);
TaskDefs come from ``@canter.task`` functions and from PutTaskDefRequest dicts
(what ``create_task_def`` returns); UserTaskDefs from ``@canter.user_task``
classes and ``canter.UserTaskDef`` objects; WfSpecs from ``canter.Workflow``
objects.
ExternalEventDefs and WorkflowEventDefs are not declared separately: every
event a WfSpec waits for, is interrupted by or throws is registered with it,
so a workflow is deployable as written.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from canter import structs
from canter.builder import Workflow
from canter.task_def import task_def_of
from canter.user_task_def import user_task_def_of

TASK_DEF_FIELDS = frozenset({"name", "inputVars", "returnType", "taskQueue", "taskType"})


class DefinitionConflict(ValueError):
    """Two different definitions under one name: deploying either would be a guess."""


@dataclass
class Definitions:
    struct_defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    user_task_defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    wf_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ExternalEventDef name -> the CorrelatedEventConfig its waits gave it.
    correlated_event_configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def external_event_defs(self) -> list[str]:
        names: set[str] = set()
        for spec in self.wf_specs.values():
            names.update(_event_names(spec))
        return sorted(names)

    @property
    def workflow_event_defs(self) -> list[str]:
        """The WorkflowEventDefs the WfSpecs' THROW_EVENT nodes throw."""
        names: set[str] = set()
        for spec in self.wf_specs.values():
            names.update(_thrown_names(spec))
        return sorted(names)

    def __bool__(self) -> bool:
        return bool(self.struct_defs or self.task_defs or self.user_task_defs or self.wf_specs)

    def ordered_struct_defs(self) -> list[dict[str, Any]]:
        """The PutStructDefRequests, each after the StructDefs its fields name
        (PutStructDef pins a field's StructDef, so that one must exist first)."""
        ordered: list[dict[str, Any]] = []
        placed: set[str] = set()

        def place(name: str, path: tuple[str, ...]) -> None:
            if name in placed or name not in self.struct_defs:
                return
            if name in path:
                raise DefinitionConflict(f"StructDefs {' -> '.join((*path, name))} nest in a cycle")
            for field_def in self.struct_defs[name].get("structDef", {}).get("fields", {}).values():
                nested = field_def.get("fieldType", {}).get("structDefId")
                if isinstance(nested, Mapping):
                    place(str(nested.get("name")), (*path, name))
            placed.add(name)
            ordered.append(self.struct_defs[name])

        for name in self.struct_defs:
            place(name, ())
        return ordered

    def add_task_def(self, request: Mapping[str, Any]) -> None:
        _add(self.task_defs, "TaskDef", dict(request))

    def add_wf_spec(self, workflow: Workflow) -> None:
        _add(self.wf_specs, "WfSpec", workflow.compile())
        for name, config in workflow.correlated_event_configs.items():
            if self.correlated_event_configs.setdefault(name, config) != config:
                raise DefinitionConflict(f"two different correlated_event_configs for {name!r}")

    def external_event_def_request(self, name: str) -> dict[str, Any]:
        """PutExternalEventDef's fields besides the name."""
        config = self.correlated_event_configs.get(name)
        return {} if config is None else {"correlatedEventConfig": config}


def collect(target: Any) -> Definitions:
    """The definitions in ``target``: a module, or a Workflow, task, or collection of them."""
    found = Definitions()
    for item in _walk(target, set()):
        if isinstance(item, Workflow):
            found.add_wf_spec(item)
        elif structs.is_struct(item):
            _add(found.struct_defs, "StructDef", structs.put_struct_def_request(item))
        elif (request := task_def_of(item)) is not None:
            found.add_task_def(request)
        elif (definition := user_task_def_of(item)) is not None:
            _add(found.user_task_defs, "UserTaskDef", definition.to_json())
        elif is_task_def_request(item):
            found.add_task_def(item)
    return found


def is_task_def_request(value: object) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("name"), str)
        and set(value) <= TASK_DEF_FIELDS
    )


def _walk(value: Any, seen: set[int]) -> Iterator[Any]:
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, types.ModuleType):
        for member in list(vars(value).values()):
            if not isinstance(member, types.ModuleType):
                yield from _walk(member, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for member in value:
            yield from _walk(member, seen)
    elif isinstance(value, Mapping) and not is_task_def_request(value):
        for member in value.values():
            yield from _walk(member, seen)
    else:
        yield value


def _add(into: dict[str, dict[str, Any]], kind: str, request: dict[str, Any]) -> None:
    name = str(request["name"])
    if into.get(name, request) != request:
        raise DefinitionConflict(f"two different {kind}s are named {name!r}")
    into[name] = request


def _event_names(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, member in value.items():
            if key == "externalEventDefId" and isinstance(member, Mapping):
                yield str(member["name"])
            else:
                yield from _event_names(member)
    elif isinstance(value, list):
        for member in value:
            yield from _event_names(member)


def _thrown_names(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, member in value.items():
            if key == "throwEvent" and isinstance(member, Mapping):
                yield str(member["eventDefId"]["name"])
            else:
                yield from _thrown_names(member)
    elif isinstance(value, list):
        for member in value:
            yield from _thrown_names(member)
