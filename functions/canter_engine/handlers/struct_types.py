"""Struct-typed variables and TaskDef inputs: their StructDefs found and pinned.

As LittleHorse's ``TypeDefinitionModel.validateStructDefExistsAndPinVersion``:
a ``structDefId`` with version -1 means the latest StructDef, and the stored
WfSpec or TaskDef names the version it found, so a later StructDef version
cannot change what a running workflow accepts. A WfSpec carries the
StructDefs it refers to (and those they refer to) for the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from canter_engine.handlers.api_errors import invalid
from canter_engine.handlers.api_struct_defs import store
from canter_engine.handlers.runtime import Runtime
from canter_engine.model import structs
from canter_engine.model.spec import (
    PutTaskDefRequest,
    PutWfSpecRequest,
    TaskDef,
    TypeDefinition,
    VariableDef,
    non_primitive,
)
from canter_engine.model.structs import StructDefs
from canter_engine.store.struct_defs import StructDefStore


def _missing(name: str, version: int) -> str:
    """``UnknownStructDefException``'s message."""
    shown = f" with version {version}" if version != -1 else ""
    return f"Refers to non-existent StructDef {name}{shown}"


def _pinned(
    found: StructDefStore, type_def: TypeDefinition | None
) -> tuple[TypeDefinition | None, str | None]:
    """``type_def`` with its StructDef version made concrete, or why it cannot be."""
    if type_def is None or type_def.struct_def_id is None:
        return type_def, None
    ref = type_def.struct_def_id
    name = str(ref.get("name", ""))
    version = int(ref.get("version", 0))
    stored = found.get(name, None if version == -1 else version)
    if stored is None:
        return type_def, _missing(name, version)
    pinned = int(stored["id"].get("version", 0))
    struct_id: dict[str, Any] = {"name": name, **({"version": pinned} if pinned else {})}
    return type_def.model_copy(update={"struct_def_id": struct_id}), None


def _pin_var(found: StructDefStore, var: VariableDef) -> tuple[VariableDef, str | None]:
    type_def, problem = _pinned(found, var.type_def)
    return var.model_copy(update={"type_def": type_def}), problem


def pin_task_def(rt: Runtime, req: PutTaskDefRequest) -> PutTaskDefRequest:
    """PutTaskDef's struct-typed inputs and return type pinned; a 400 naming the field
    for a StructDef that does not exist or an inline type Canter does not run."""
    typed = [(f"inputVars[{i}].typeDef", v.type_def) for i, v in enumerate(req.input_vars)]
    if req.return_type is not None:
        typed.append(("returnType.returnType", req.return_type.return_type))
    for where, type_def in typed:
        wire = non_primitive(type_def)
        if wire is not None and wire != "structDefId":
            raise invalid(
                f"PutTaskDef {req.name!r}: {where}.{wire}: inline array, struct and map types "
                "are not supported yet; use a StructDef (structDefId)"
            )
    found = store(rt)
    inputs = []
    for i, var in enumerate(req.input_vars):
        pinned, problem = _pin_var(found, var)
        if problem is not None:
            raise invalid(f"PutTaskDef {req.name!r}: inputVars[{i}] ({var.name!r}): {problem}")
        inputs.append(pinned)
    update: dict[str, Any] = {"input_vars": tuple(inputs)}
    if req.return_type is not None:
        returned, problem = _pinned(found, req.return_type.return_type)
        if problem is not None:
            raise invalid(f"PutTaskDef {req.name!r}: returnType.returnType: {problem}")
        update["return_type"] = req.return_type.model_copy(update={"return_type": returned})
    return req.model_copy(update=update)


def pin_wf_spec(rt: Runtime, req: PutWfSpecRequest) -> PutWfSpecRequest:
    """PutWfSpec's struct-typed variables pinned, or a 400 naming each variable whose
    StructDef does not exist (``WfSpecModel``'s message)."""
    found = store(rt)
    problems: list[str] = []
    threads = {}
    for thread_name, thread in req.thread_specs.items():
        var_defs = []
        for var in thread.variable_defs:
            var_def, problem = _pin_var(found, var.var_def)
            if problem is not None:
                problems.append(
                    f"Var name {var.var_def.name} defined in thread {thread_name} refers to "
                    f"non-existent StructDef: {problem}"
                )
            var_defs.append(var.model_copy(update={"var_def": var_def}))
        threads[thread_name] = thread.model_copy(update={"variable_defs": tuple(var_defs)})
    if problems:
        raise invalid(f"PutWfSpec {req.name!r}: {'; '.join(problems)}")
    return req.model_copy(update={"thread_specs": threads})


def struct_defs_of(
    rt: Runtime, req: PutWfSpecRequest, task_defs: Mapping[str, TaskDef]
) -> StructDefs:
    """Every StructDef a (pinned) WfSpec and its TaskDefs refer to, with those they refer to."""
    wanted: list[tuple[str, int]] = []
    for thread in req.thread_specs.values():
        for var in thread.variable_defs:
            wanted.extend(structs.referenced(var.var_def.type_json))
    for task_def in task_defs.values():
        wanted.extend(_task_refs(task_def))
    return closure(store(rt), wanted)


def _task_refs(task_def: TaskDef) -> Iterable[tuple[str, int]]:
    for var in task_def.input_vars:
        yield from structs.referenced(var.type_json)
    if task_def.return_type is not None and task_def.return_type.return_type is not None:
        yield from structs.referenced(task_def.return_type.return_type.to_json())


def closure(found: StructDefStore, wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """The StructDefs named, and every StructDef their fields name, by (name, version)."""
    defs: dict[tuple[str, int], Any] = {}
    todo = list(wanted)
    while todo:
        ref = todo.pop()
        if ref in defs:
            continue
        stored = found.get(*ref)
        if stored is None:
            raise invalid(f"StructDef {structs.def_id(*ref)} does not exist")
        schema = stored.get("structDef", {})
        defs[ref] = schema
        for field_def in schema.get("fields", {}).values():
            todo.extend(structs.referenced(field_def.get("fieldType")))
    return defs


def pin_content_type(rt: Runtime, definition: dict[str, Any], rpc: str) -> dict[str, Any]:
    """An event definition whose ``contentType`` names a StructDef, with the version pinned
    (StructDefLifecycleTest: PutExternalEventDef and PutWorkflowEventDef pin it too)."""
    content = definition.get("contentType")
    if not isinstance(content, dict):
        return definition
    returned = content.get("returnType")
    if not isinstance(returned, dict) or "structDefId" not in returned:
        return definition
    pinned, problem = _pinned(store(rt), TypeDefinition.model_validate(returned))
    if problem is not None or pinned is None:
        raise invalid(f"{rpc}: contentType.returnType: {problem}")
    return {**definition, "contentType": {**content, "returnType": pinned.to_json()}}


def checked_content(rt: Runtime, event_def: Mapping[str, Any], content: Any, rpc: str) -> Any:
    """An event's content checked against its ExternalEventDef's struct contentType
    (``PutExternalEventRequestModel``'s INVALID_ARGUMENT and message); other content as it is."""
    content_type = event_def.get("contentType")
    returned = content_type.get("returnType") if isinstance(content_type, Mapping) else None
    ref = structs.struct_ref(returned)
    if ref is None or returned is None or content is None:
        return content
    try:
        return structs.check(content, returned, closure(store(rt), [ref]))
    except structs.StructError as exc:
        raise invalid(
            f"{rpc}: Invalid type of content for event. Check the return type of "
            f"ExternalEventDef {event_def['id']['name']}: {exc}"
        ) from None
