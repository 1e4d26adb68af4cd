"""Metadata rpcs: TaskDefs, ExternalEventDefs and versioned WfSpecs."""

from __future__ import annotations

import time
from typing import Any

from canter_engine import resources
from canter_engine.handlers.api_errors import ApiError, invalid, not_found
from canter_engine.handlers.api_parse import (
    bounded_keys,
    failure_names,
    lh_name,
    model,
    optional_int,
    require_str,
)
from canter_engine.handlers.api_user_task_defs import pin_user_task_defs
from canter_engine.handlers.runtime import Runtime
from canter_engine.handlers.struct_types import (
    pin_content_type,
    pin_task_def,
    pin_wf_spec,
    struct_defs_of,
)
from canter_engine.model import values
from canter_engine.model.spec import (
    NameId,
    PutExternalEventDefRequest,
    PutTaskDefRequest,
    PutWfSpecRequest,
    TaskDef,
    ThreadVarDef,
    WfSpec,
    WfSpecId,
)
from canter_engine.model.validate import SpecError, validate_wf_spec
from canter_engine.model.versions import exit_type_problems, has_breaking_changes
from canter_engine.store.metadata import AlreadyExists, StoredWfSpec
from canter_engine.store.queues import QueueMissing


def put_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    req = model(PutTaskDefRequest, body)
    lh_name(req.name, "PutTaskDef: name")
    bounded_keys(body, "PutTaskDef")
    queue = req.task_queue or req.name
    try:
        resources.task_queue(queue)
    except ValueError as exc:
        raise invalid(f"PutTaskDef {req.name!r}: {exc}") from None
    req = pin_task_def(rt, req)
    _ensure_queue(rt, req.name, queue)
    task_def = TaskDef(
        id=NameId(name=req.name),
        input_vars=req.input_vars,
        return_type=req.return_type,
        description=req.description,
        created_at=_now_ts(),
        task_queue=queue,
        task_type=req.task_type,
    )
    existing = rt.metadata.get_task_def(req.name)
    if existing is not None:
        if _without_created(existing) != _without_created(task_def):
            raise ApiError(
                "ALREADY_EXISTS",
                f"TaskDef {req.name!r} already exists with a different definition; TaskDefs "
                "are immutable, so register the changed one under a new name",
            )
        task_def = existing
    else:
        rt.metadata.put_task_def(task_def)
    return _lh_task_def(task_def)


def get_task_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    return _lh_task_def(_task_def(rt, require_str(body, "name")))


def get_task_def_queue(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Canter's own rpc: the task queue a TaskDef's tasks are sent to, and its SQS URL.

    What a worker polls; LittleHorse's TaskDef has no field for it (its
    workers poll the server), so it is answered here, beside the TaskDef.
    """
    name = require_str(body, "name")
    task_def = _task_def(rt, name)
    try:
        url = rt.queues.task_queue_url(task_def.task_queue)
    except QueueMissing:
        raise ApiError(
            "FAILED_PRECONDITION",
            f"TaskDef {name!r} is dispatched to task queue {task_def.task_queue!r}, "
            "which is not deployed",
        ) from None
    return {
        "taskDefId": {"name": name},
        "taskQueue": task_def.task_queue,
        "queueUrl": url,
        **({"taskType": task_def.task_type} if task_def.task_type else {}),
    }


def _task_def(rt: Runtime, name: str) -> TaskDef:
    task_def = rt.metadata.get_task_def(name)
    if task_def is None:
        raise not_found(f"TaskDef {name!r} does not exist; register it with PutTaskDef")
    return task_def


def _lh_task_def(task_def: TaskDef) -> dict[str, Any]:
    """LittleHorse's TaskDef: without Canter's ``taskQueue`` and ``taskType``
    (answered by ``GetTaskDefQueue``)."""
    lh = task_def.to_json()
    lh.pop("taskQueue", None)
    lh.pop("taskType", None)
    return lh


def put_external_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    req = model(PutExternalEventDefRequest, body)
    lh_name(req.name, "PutExternalEventDef: name")
    if req.retention_policy is not None:
        _event_retention_policy(req.retention_policy)
    existing = rt.metadata.get_external_event_def(req.name)
    stored: dict[str, Any] = {"id": {"name": req.name}, "createdAt": _now_ts()}
    for key in ("retentionPolicy", "contentType", "correlatedEventConfig"):
        if key in (dumped := req.to_json()):
            stored[key] = dumped[key]
    stored = pin_content_type(rt, stored, "PutExternalEventDef")
    if existing is not None:
        if {k: v for k, v in existing.items() if k != "createdAt"} != {
            k: v for k, v in stored.items() if k != "createdAt"
        }:
            raise ApiError(
                "ALREADY_EXISTS",
                f"ExternalEventDef {req.name!r} already exists with a different definition",
            )
        return existing
    rt.metadata.put_external_event_def(stored)
    return stored


def _event_retention_policy(policy: dict[str, Any]) -> None:
    """LittleHorse's ExternalEventRetentionPolicy: nothing, or ``secondsAfterPut`` (int64,
    not negative here); enforced by handlers/event_retention.py."""
    unknown = sorted(set(policy) - {"secondsAfterPut"})
    if unknown:
        raise invalid(
            f"PutExternalEventDef: retentionPolicy has unknown field(s) {', '.join(unknown)}; "
            "ExternalEventRetentionPolicy has only secondsAfterPut"
        )
    seconds = policy.get("secondsAfterPut")
    if seconds is None:
        return
    if isinstance(seconds, bool) or not str(seconds).isdigit() or int(seconds) >= 2**63:
        raise invalid(
            "PutExternalEventDef: retentionPolicy.secondsAfterPut must be a non-negative "
            f"integer (seconds), got {seconds!r}"
        )


def get_external_event_def(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    name = require_str(body, "name")
    found = rt.metadata.get_external_event_def(name)
    if found is None:
        raise not_found(
            f"ExternalEventDef {name!r} does not exist; register it with PutExternalEventDef"
        )
    return found


def put_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Register a WfSpec version, numbered the way LittleHorse numbers them.

    An identical body returns the latest version unchanged. A breaking change
    (see :mod:`canter_engine.model.versions`) is a new major version, any other
    a new revision. ``allowedUpdates`` NO_UPDATES refuses any change with
    ALREADY_EXISTS and MINOR_REVISION_UPDATES a breaking one with
    FAILED_PRECONDITION, as LittleHorse's PutWfSpecRequestModel.verifyUpdateType.
    """
    req = model(PutWfSpecRequest, body)
    lh_name(req.name, "PutWfSpec: name")
    bounded_keys(body, "PutWfSpec")
    failure_names(body, "PutWfSpec")
    req = pin_wf_spec(rt, req)
    task_defs = {
        name: found
        for name in _task_def_names(req)
        if (found := rt.metadata.get_task_def(name)) is not None
    }
    event_defs = {
        name
        for name in _event_def_names(req)
        if rt.metadata.get_external_event_def(name) is not None
    }
    # As LittleHorse's ThrowEventNodeModel.validate: a THROW_EVENT names a registered
    # WorkflowEventDef.
    workflow_event_defs = {
        name
        for name in _workflow_event_def_names(req)
        if rt.metadata.get_workflow_event_def(name) is not None
    }
    struct_defs = struct_defs_of(rt, req, task_defs)
    try:
        validate_wf_spec(req, task_defs, event_defs, workflow_event_defs, struct_defs)
    except SpecError as exc:
        raise invalid(f"PutWfSpec {req.name!r}: {exc}") from None
    parent = req.parent_wf_spec
    if parent is not None and rt.metadata.get_wf_spec(parent.wf_spec_name) is None:
        # As WfSpecModel.validateAndMaybeBumpVersion (HierarchicalWorkflowTest).
        raise invalid(
            f"PutWfSpec {req.name!r}: Provided spec refers to nonexistent parent wfSpec "
            f"{parent.wf_spec_name}"
        )
    exit_problems = exit_type_problems(req)
    if exit_problems:
        raise invalid(f"PutWfSpec {req.name!r}: {'; '.join(exit_problems)}")
    req = _pin_child_wf_specs(rt, req)
    req = pin_user_task_defs(rt, req)
    latest = rt.metadata.get_wf_spec(req.name)
    frozen = _frozen_variables(req, latest.spec if latest is not None else None)
    if latest is not None:
        if _body_of(latest.spec) == _body_of(req):
            return latest.spec.to_json()
        breaking = has_breaking_changes(req, latest.spec)
        if req.allowed_updates == "NO_UPDATES":
            raise ApiError("ALREADY_EXISTS", f"WfSpec {req.name!r} already exists.")
        if req.allowed_updates == "MINOR_REVISION_UPDATES" and breaking:
            raise ApiError(
                "FAILED_PRECONDITION",
                f"The resulting WfSpec {req.name!r} has a breaking change (allowedUpdates is "
                "MINOR_REVISION_UPDATES).",
            )
        major = latest.spec.id.major_version + (1 if breaking else 0)
        revision = 0 if breaking else latest.spec.id.revision + 1
    else:
        major, revision = 0, 0
    spec = WfSpec(
        id=_spec_id(req.name, major, revision),
        thread_specs=req.thread_specs,
        entrypoint_thread_name=req.entrypoint_thread_name,
        created_at=_now_ts(),
        frozen_variables=frozen,
        retention_policy=req.retention_policy,
        parent_wf_spec=req.parent_wf_spec,
    ).with_struct_defs({ref: dict(schema) for ref, schema in struct_defs.items()})
    try:
        rt.metadata.put_wf_spec(StoredWfSpec(spec, task_defs))
    except AlreadyExists:
        raise ApiError(
            "ALREADY_EXISTS",
            f"another PutWfSpec registered {req.name!r} v{major}.{revision} at the same "
            "time; retry to get the next version",
        ) from None
    return spec.to_json()


def get_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """``GetWfSpec`` (a WfSpecId; absent numbers are 0 in proto3 JSON)."""
    name = require_str(body, "name")
    major = optional_int(body, "majorVersion") or 0
    revision = optional_int(body, "revision") or 0
    stored = rt.metadata.get_wf_spec(name, major, revision)
    if stored is None:
        raise not_found(f"WfSpec {name!r} v{major}.{revision} does not exist")
    return stored.spec.to_json()


def get_latest_wf_spec(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    name = require_str(body, "name")
    major = optional_int(body, "majorVersion")
    stored = rt.metadata.get_wf_spec(name, major)
    if stored is None:
        raise not_found(f"WfSpec {name!r} does not exist; register it with PutWfSpec")
    return stored.spec.to_json()


def _ensure_queue(rt: Runtime, task_def: str, queue: str) -> str:
    try:
        return rt.queues.task_queue_url(queue)
    except QueueMissing:
        if rt.settings.dynamic_queues:
            return rt.queues.create_task_queue(queue)
    raise ApiError(
        "FAILED_PRECONDITION",
        f"TaskDef {task_def!r} is dispatched to task queue {queue!r}, which is not deployed. "
        f'Declare it in cdk.json under context "taskQueues" (for example "taskQueues": '
        f'["{queue}"]) and run cdk deploy, or set {resources.ENV_DYNAMIC_QUEUES}=true on '
        "the API function to create queues on demand.",
    )


def _pin_child_wf_specs(rt: Runtime, req: PutWfSpecRequest) -> PutWfSpecRequest:
    """Check each RUN_CHILD_WF against the child WfSpec and pin its major version.

    As LittleHorse's RunChildWfNodeModel.validate: the child WfSpec must exist,
    get its required inputs and no undeclared ones, and a node that names no
    major version runs the latest revision of today's latest major version.
    """
    threads = dict(req.thread_specs)
    for thread_name, thread in req.thread_specs.items():
        nodes = dict(thread.nodes)
        for node_name, node in thread.nodes.items():
            child = node.run_child_wf
            if child is None or child.wf_spec_name is None:
                continue
            where = f"PutWfSpec {req.name!r}: thread {thread_name!r} node {node_name!r}"
            pinned = child.major_version if (child.major_version or 0) >= 0 else None
            stored = rt.metadata.get_wf_spec(child.wf_spec_name, pinned)
            if stored is None:
                version = "" if pinned is None else f" with version {pinned}"
                raise invalid(f"{where}: Could not find WfSpec {child.wf_spec_name}{version}")
            entry = stored.spec.thread_specs[stored.spec.entrypoint_thread_name]
            declared = {v.var_def.name: v for v in entry.variable_defs}
            missing = sorted(n for n, v in declared.items() if v.required and n not in child.inputs)
            unknown = sorted(set(child.inputs) - set(declared))
            if missing or unknown:
                problems = [f"required input {n!r} is not given" for n in missing]
                problems += [f"{n!r} is not a variable of its entrypoint" for n in unknown]
                raise invalid(
                    f"{where}: child WfSpec {child.wf_spec_name!r}: {'; '.join(problems)}"
                )
            if pinned is None:
                major = stored.spec.id.major_version
                update = {"run_child_wf": child.model_copy(update={"major_version": major})}
                nodes[node_name] = node.model_copy(update=update)
        threads[thread_name] = thread.model_copy(update={"nodes": nodes})
    return req.model_copy(update={"thread_specs": threads})


def _spec_id(name: str, major: int, revision: int) -> WfSpecId:
    """Version numbers at 0 are left unset, so the wire JSON omits them (proto3 defaults)."""
    numbers = {"major_version": major, "revision": revision}
    return WfSpecId(name=name, **{k: v for k, v in numbers.items() if v})


def _task_def_names(req: PutWfSpecRequest) -> set[str]:
    """The TaskDefs of TASK nodes and of USER_TASK reminder actions."""
    tasks = [
        task
        for thread in req.thread_specs.values()
        for node in thread.nodes.values()
        for task in (
            node.task,
            *(a.task.task for a in (node.user_task.actions if node.user_task else ()) if a.task),
        )
    ]
    return {t.task_def_id.name for t in tasks if t is not None and t.task_def_id is not None}


def _event_def_names(req: PutWfSpecRequest) -> set[str]:
    names = {
        node.external_event.external_event_def_id.name
        for thread in req.thread_specs.values()
        for node in thread.nodes.values()
        if node.external_event is not None
    }
    names.update(
        interrupt.external_event_def_id.name
        for thread in req.thread_specs.values()
        for interrupt in thread.interrupt_defs
    )
    return names


def _workflow_event_def_names(req: PutWfSpecRequest) -> set[str]:
    return {
        node.throw_event.event_def_id.name
        for thread in req.thread_specs.values()
        for node in thread.nodes.values()
        if node.throw_event is not None
    }


def _frozen_variables(req: PutWfSpecRequest, old: WfSpec | None) -> tuple[ThreadVarDef, ...]:
    """The PUBLIC_VAR variables, frozen for good (LittleHorse's frozenVariables).

    A variable frozen by an older version stays frozen when a new version drops
    it, and may not come back with another type.
    """
    declared = {v.var_def.name: v for t in req.thread_specs.values() for v in t.variable_defs}
    frozen = [v for v in declared.values() if v.access_level == "PUBLIC_VAR"]
    for before in old.frozen_variables if old is not None else ():
        if before.access_level != "PUBLIC_VAR":
            continue  # frozen by a Canter version that froze required variables too
        name = before.var_def.name
        now = declared.get(name)
        if now is None:
            frozen.append(before)
        elif now.var_def.var_type != before.var_def.var_type:
            raise invalid(
                f"PutWfSpec {req.name!r}: Variable {name} must be of type "
                f"{before.var_def.var_type} not {now.var_def.var_type} as it was formerly "
                "declared a PUBLIC_VAR"
            )
    return tuple(frozen)


def _body_of(spec: WfSpec | PutWfSpecRequest) -> dict[str, Any]:
    dumped = spec.to_json()
    keys = ("threadSpecs", "entrypointThreadName", "retentionPolicy", "parentWfSpec")
    return {k: dumped.get(k) for k in keys}


def _without_created(task_def: TaskDef) -> dict[str, Any]:
    return {k: v for k, v in task_def.to_json().items() if k != "createdAt"}


def _now_ts() -> str:
    return values.format_timestamp(int(time.time() * 1000))
