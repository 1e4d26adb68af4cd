"""WfRun rpcs: journal an input (RunWf, PutExternalEvent, ReportTask, Stop,
Resume) or read the items the scheduler wrote.

Writes go to the journal only and return once the record is durable
(invariant 1); the scheduler applies them. Reads never touch the journal
except to tell a WfRun that exists but has not been applied yet from one
that does not exist.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from canter_engine.core import WfRunState, wf_run_json
from canter_engine.core.events import (
    ExternalEventPosted,
    JournalEntry,
    ResumeRequested,
    RunRequested,
    StopRequested,
    TaskReported,
    to_journal,
)
from canter_engine.core.state import node_sk, var_sk
from canter_engine.handlers import event_retention, faults, task_tokens, wide_reads
from canter_engine.handlers.api_early_events import list_early, put_early
from canter_engine.handlers.api_errors import ApiError, invalid, not_found, too_large
from canter_engine.handlers.api_parse import (
    encoded_size,
    field,
    finite,
    int64_value,
    lh_name,
    model,
    optional_int,
    require_int,
    require_str,
    value,
)
from canter_engine.handlers.api_parse import guid as parse_guid
from canter_engine.handlers.api_parse import wf_run_id as parse_wf_run_id
from canter_engine.handlers.api_reads import records_page
from canter_engine.handlers.api_task_starts import with_starts
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_VALUE_BYTES
from canter_engine.handlers.masking import Secrets, of_values, scrub_text
from canter_engine.handlers.runtime import Runtime
from canter_engine.handlers.struct_types import checked_content
from canter_engine.model import values
from canter_engine.model.spec import RunWfRequest, WfSpec
from canter_engine.model.validate import SpecError, validate_run_wf
from canter_engine.store.journal import (
    DELETE_KIND,
    RUN_EVENT_ID,
    delete_event_id,
    external_event_id,
    new_incarnation,
    report_event_id,
    unique_event_id,
)
from canter_engine.store.state import Head

WF_RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
REPORT_STATUSES = frozenset(
    {
        "TASK_SUCCESS",
        "TASK_FAILED",
        "TASK_EXCEPTION",
        "TASK_TIMEOUT",
        "TASK_OUTPUT_SERDE_ERROR",
        "TASK_INPUT_VAR_SUB_ERROR",
    }
)
# LittleHorse's attemptNumber is an int32.
MAX_ATTEMPT_NUMBER = 2**31 - 1
MAX_PAGE = 1000


def run_wf(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Journal a RunWf.

    Repeating a RunWf with the same ``id``, WfSpec version and variables
    returns the WfRun it created (safe to retry); the same ``id`` with a
    different request is ALREADY_EXISTS.
    """
    req = model(RunWfRequest, body)
    for name, raw in req.variables.items():
        int64_value(raw, f"RunWf: variables.{name}")
        if (size := encoded_size(raw)) > MAX_VALUE_BYTES:
            raise too_large(
                f"RunWf: variables.{name} is {size} bytes, over the {MAX_VALUE_BYTES}-byte "
                f"limit for one value; {HOW_TO_SHRINK}"
            )
    if req.revision is not None and req.major_version is None:
        raise invalid("RunWf: revision needs majorVersion too")
    stored = rt.metadata.get_wf_spec(req.wf_spec_name, req.major_version, req.revision)
    if stored is None:
        raise not_found(f"WfSpec {req.wf_spec_name!r} does not exist; register it with PutWfSpec")
    try:
        variables = validate_run_wf(stored.spec, dict(req.variables))
    except SpecError as exc:
        secrets = _masked_inputs(stored.spec, req.variables)
        raise invalid(f"RunWf {req.wf_spec_name!r}: {scrub_text(str(exc), secrets)}") from None
    for name, decoded in variables.items():
        finite(decoded, f"RunWf: variables.{name}")
    wf_run_id = req.id or uuid.uuid4().hex
    if req.parent_wf_run_id is None and req.id is not None:
        # As LittleHorse (RunWfRequestModel): a top-level id is a valid name, so no
        # client can take the "<parent>_<suffix>" id a parent's RUN_CHILD_WF needs.
        lh_name(wf_run_id, "RunWf: id")
    if not WF_RUN_ID_PATTERN.match(wf_run_id):
        raise invalid(
            f"RunWf: id {wf_run_id!r} must be 1-128 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    spec_id = stored.spec.id
    entry = to_journal(
        RunRequested(
            wf_run_id=wf_run_id,
            wf_spec_name=spec_id.name,
            major_version=spec_id.major_version,
            revision=spec_id.revision,
            variables=variables,
            time=_now(),
            parent_wf_run_id=req.parent_wf_run_id.id if req.parent_wf_run_id else None,
        )
    )
    if rt.journal.append(wf_run_id, RUN_EVENT_ID, entry, new_incarnation()):
        return _not_yet_applied(wf_run_id, entry)
    existing = rt.journal.get(wf_run_id, RUN_EVENT_ID)
    if existing is None or _untimed(existing.body) != _untimed(entry.body):
        raise ApiError(
            "ALREADY_EXISTS",
            f"WfRun {wf_run_id!r} already exists with a different WfSpec version or variables; "
            "choose another id (repeating the identical request returns the existing WfRun)",
        )
    return _wf_run_view(rt, wf_run_id, existing)


def _masked_inputs(spec: WfSpec, variables: dict[str, dict[str, Any]]) -> Secrets:
    """The clear values a RunWf gives its masked variables, which no error may repeat."""
    entry = spec.thread_specs.get(spec.entrypoint_thread_name)
    masked = {v.var_def.name for v in entry.variable_defs if v.var_def.is_masked} if entry else ()
    return of_values(
        leaf
        for name in masked
        if isinstance(raw := variables.get(name), dict)
        for leaf in raw.values()
    )


def get_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = parse_wf_run_id(body, "id")
    return _wf_run_view(rt, wf_run_id, None)


def list_node_runs(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = _existing_run(rt, body)
    thread = optional_int(body, "threadRunNumber")
    prefix = "node#" if thread is None else node_sk(thread, 0)[: len("node#000000#")]
    # The head first: a node that ends between the two reads is then in the
    # items (its final copy wins) or still running in the head, never in neither.
    # A wide WfRun's threads are read as far as the page needs them.
    if thread is None:
        page_threads = wide_reads.page_threads(body, "ListNodeRuns")
        head = rt.state.load_head(wf_run_id, threads=page_threads)
        if head is not None and head.marks is not None:
            return wide_reads.node_runs_page(rt, wf_run_id, head, page_threads, body)
    else:
        head = rt.state.load_head(wf_run_id, thread)
    live = {r.sk: r for r in wide_reads.live(rt, wf_run_id, head) if r.sk.startswith(prefix)}
    page = records_page(rt, wf_run_id, prefix, head, body, "ListNodeRuns")
    if "bookmark" not in page:
        written = {_node_order(n) for n in page["results"]}
        running = [r.to_json() for r in live.values()]
        page["results"] = sorted(
            [*page["results"], *(n for n in running if _node_order(n) not in written)],
            key=_node_order,
        )
    return page


def _node_order(node_run: dict[str, Any]) -> tuple[int, int]:
    return (node_run["id"].get("threadRunNumber", 0), node_run["id"].get("position", 0))


def get_node_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    thread = require_int(body, "threadRunNumber")
    position = require_int(body, "position")
    head = rt.state.load_head(wf_run_id, thread)
    return _item(rt, wf_run_id, node_sk(thread, position), f"NodeRun {thread}/{position}", head)


def get_task_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    guid = parse_guid(body.get("taskGuid"), "taskGuid")
    thread, _, position = guid.partition("-")
    head = rt.state.load_head(wf_run_id, int(thread) if thread.isdigit() else None)
    if thread.isdigit() and position.isdigit():
        sk = node_sk(int(thread), int(position))
        ended = rt.state.record(wf_run_id, sk, head, "taskRun")
        if ended is not None:
            return ended
    task_run = _item(rt, wf_run_id, f"task#{guid}", f"TaskRun {guid!r}", head)
    return task_run if head is None else with_starts(rt, wf_run_id, head.incarnation, [task_run])[0]


def list_variables(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = _existing_run(rt, body)
    return records_page(rt, wf_run_id, "var#", rt.state.load_head(wf_run_id), body, "ListVariables")


def get_variable(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    thread = require_int(body, "threadRunNumber")
    name = require_str(body, "name")
    head = rt.state.load_head(wf_run_id, thread)
    return _item(rt, wf_run_id, var_sk(thread, name), f"Variable {name!r} of thread {thread}", head)


def put_external_event(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Journal an ExternalEvent; the same ``guid`` again returns the first one."""
    def_name = require_str(body, "externalEventDefId", "name")
    event_def = rt.metadata.get_external_event_def(def_name)
    if event_def is None:
        raise not_found(
            f"ExternalEventDef {def_name!r} does not exist; register it with PutExternalEventDef"
        )
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    raw_content = body.get("content")
    content = checked_content(rt, event_def, value(raw_content, "content"), "PutExternalEvent")
    if (size := encoded_size(raw_content)) > MAX_VALUE_BYTES:
        raise too_large(
            f"PutExternalEvent: content is {size} bytes, over the {MAX_VALUE_BYTES}-byte "
            f"limit for one value; {HOW_TO_SHRINK}"
        )
    guid = body.get("guid")
    if guid is None or guid == "":
        guid = uuid.uuid4().hex
    guid = parse_guid(guid, "PutExternalEvent: guid")
    event = ExternalEventPosted(
        def_name=def_name,
        guid=guid,
        content=content,
        time=_now(),
        thread_run_number=optional_int(body, "threadRunNumber"),
    )
    run = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    if run is None and (early := put_early(rt, wf_run_id, event_def, event)) is not None:
        return early
    incarnation = _existing_incarnation(rt, body)[1] if run is None else run.incarnation or ""
    event_id = external_event_id(incarnation, def_name, guid)
    entry = to_journal(event)
    # ExternalEventDef retention: the record expires (handlers/event_retention.py); the
    # same guid put again then finds a claimed event by its record, not the journal.
    expires = event_retention.expires_at(event_def, event.time)
    if expires is not None and (kept := _kept_event(rt, wf_run_id, def_name, guid)) is not None:
        return kept
    if not rt.journal.append(wf_run_id, event_id, entry, incarnation, expires_at=expires):
        head = rt.state.load_head(wf_run_id)
        applied = rt.state.record(wf_run_id, f"event#{def_name}#{guid}", head)
        if applied is not None:
            return applied
        entry = rt.journal.get(wf_run_id, event_id) or entry
    return _external_event_view(wf_run_id, entry)


def _kept_event(rt: Runtime, wf_run_id: str, def_name: str, guid: str) -> dict[str, Any] | None:
    return rt.state.record(wf_run_id, f"event#{def_name}#{guid}", rt.state.load_head(wf_run_id))


def list_external_events(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """A WfRun's ExternalEvents; for an id with no WfRun yet, the ones waiting for it."""
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    if rt.journal.get_record(wf_run_id, RUN_EVENT_ID) is None:
        return list_early(rt, wf_run_id, body)
    return records_page(
        rt, wf_run_id, "event#", rt.state.load_head(wf_run_id), body, "ListExternalEvents"
    )


def stop_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id, incarnation = _existing_incarnation(rt, body)
    now = _now()
    event = StopRequested(time=now, thread_run_number=optional_int(body, "threadRunNumber"))
    rt.journal.append(wf_run_id, unique_event_id("stop", now), to_journal(event), incarnation)
    return {}


def resume_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    wf_run_id, incarnation = _existing_incarnation(rt, body)
    now = _now()
    event = ResumeRequested(time=now, thread_run_number=optional_int(body, "threadRunNumber"))
    rt.journal.append(wf_run_id, unique_event_id("resume", now), to_journal(event), incarnation)
    return {}


def delete_wf_run(rt: Runtime, body: dict[str, Any]) -> dict[str, Any]:
    """Journal the deletion; the scheduler removes the WfRun's items in stream order.

    The call returns once the deletion is durable; the WfRun disappears from
    reads when the scheduler has applied it (normally within a second).
    """
    wf_run_id, incarnation = _existing_incarnation(rt, {"wfRunId": body.get("id")})
    entry = JournalEntry(DELETE_KIND, {"time": _now()})
    rt.journal.append(wf_run_id, delete_event_id(incarnation), entry, incarnation)
    return {}


def report_task(rt: Runtime, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    """Journal a worker's report; a repeated report of one attempt adds nothing.

    ``token`` is the ``Canter-Task-Token`` header: the ``canter.taskToken``
    the attempt's message carried (handlers/task_tokens.py). Without the
    token of a dispatched attempt the report is refused and nothing is
    journalled, so no one but the worker that took the attempt can end it,
    and no report can take the journal key of another run of the same id.
    """
    return _report_task(rt, body, token, {})


def _report_task(
    rt: Runtime, body: dict[str, Any], token: str | None, timing: dict[str, Any]
) -> dict[str, Any]:
    """``timing``: Canter's ``{"startTime", "workerId"}`` beside the ReportTaskRun."""
    wf_run_id = parse_wf_run_id(body, "taskRunId", "wfRunId", "id")
    guid = parse_guid(field(body, "taskRunId", "taskGuid"), "taskRunId.taskGuid")
    attempt = require_int(body, "attemptNumber")
    if not 0 <= attempt <= MAX_ATTEMPT_NUMBER:
        raise invalid(
            f"ReportTask {wf_run_id}/{guid}: attemptNumber {attempt} is out of range "
            f"(0-{MAX_ATTEMPT_NUMBER})"
        )
    status = body.get("status")
    if not isinstance(status, str) or status not in REPORT_STATUSES:
        raise invalid(f"ReportTask: status must be one of {', '.join(sorted(REPORT_STATUSES))}")
    start_time = _start_time(timing)
    worker_id = _worker_id(timing)
    incarnation = _token_incarnation(rt, token, wf_run_id, guid, attempt)
    raw_output = body.get("output")
    output = value(raw_output, "output")
    if (size := encoded_size(raw_output)) > MAX_VALUE_BYTES:
        raise too_large(
            f"ReportTask {wf_run_id}/{guid}: the task output is {size} bytes, over the "
            f"{MAX_VALUE_BYTES}-byte limit for one value; {HOW_TO_SHRINK}"
        )
    error = body.get("error") or {}
    exception = body.get("exception") or {}
    if not isinstance(error, dict) or not isinstance(exception, dict):
        raise invalid("ReportTask: error and exception must be objects")
    event = TaskReported(
        task_guid=guid,
        attempt_number=attempt,
        status=status,
        time=_now(),
        output=output,
        log_output=value(body.get("logOutput"), "logOutput"),
        error_type=str(error.get("type", "TASK_FAILURE")) if error else None,
        error_message=str(error.get("message", "")),
        exception_name=str(exception["name"]) if exception.get("name") else None,
        exception_message=str(exception.get("message", "")),
        exception_content=value(exception.get("content"), "exception.content"),
        start_time=start_time,
        worker_id=worker_id,
    )
    event_id = report_event_id(incarnation, guid, attempt)
    faults.reach(faults.REPORT_BEFORE_APPEND)
    rt.journal.append(wf_run_id, event_id, to_journal(event), incarnation)
    faults.reach(faults.REPORT_AFTER_APPEND)
    return {}


def _token_incarnation(
    rt: Runtime, token: str | None, wf_run_id: str, guid: str, attempt: int
) -> str:
    where = f"ReportTask {wf_run_id}/{guid} attempt {attempt}"
    if not token:
        raise ApiError(
            "UNAUTHENTICATED",
            f"{where}: no {task_tokens.HEADER} header; send the canter.taskToken attribute "
            "of the task's SQS message with its report",
        )
    try:
        return task_tokens.verify(rt.settings.task_token_secret, token, wf_run_id, guid, attempt)
    except task_tokens.BadToken as exc:
        raise ApiError("PERMISSION_DENIED", f"{where}: the {task_tokens.HEADER} {exc}") from None


MAX_REPORTS_PER_CALL = 10


def report_tasks(rt: Runtime, body: dict[str, Any], tokens: str | None) -> dict[str, Any]:
    """Canter's batch of ``ReportTask``: a busy worker's reports in one request.

    A tenth of the API Gateway requests and Lambda invocations per task. Each
    report is journalled, or refused, on its own; ``results`` says which.
    ``tokens`` is the ``Canter-Task-Token`` header: one task token per
    report, comma-separated, in the order of ``reports`` (the reports stay
    LittleHorse's ``ReportTaskRun``).
    """
    reports = body.get("reports")
    if not isinstance(reports, list) or not 0 < len(reports) <= MAX_REPORTS_PER_CALL:
        raise invalid(f"ReportTasks: reports must be a list of 1-{MAX_REPORTS_PER_CALL} reports")
    each = [t.strip() for t in tokens.split(",")] if tokens else []
    if each and len(each) != len(reports):
        raise invalid(
            f"ReportTasks: the {task_tokens.HEADER} header has {len(each)} token(s) for "
            f"{len(reports)} report(s); send one per report, comma-separated, in order"
        )
    attempts = body.get("attempts", [{}] * len(reports))
    if not isinstance(attempts, list) or len(attempts) != len(reports):
        raise invalid(
            "ReportTasks: attempts, if given, must be a list with one "
            '{"startTime", "workerId"} object per report'
        )
    results: list[dict[str, Any]] = []
    for index, (one, timing) in enumerate(zip(reports, attempts, strict=True)):
        try:
            if not isinstance(one, dict) or not isinstance(timing, dict):
                raise invalid(
                    f"ReportTasks: reports[{index}] and attempts[{index}] must be objects"
                )
            results.append(_report_task(rt, one, each[index] if each else None, timing))
        except ApiError as exc:
            results.append(exc.body())
    return {"results": results}


MAX_WORKER_ID = 128


def _start_time(timing: dict[str, Any]) -> int | None:
    raw = timing.get("startTime")
    if raw is None:
        return None
    try:
        return values.parse_timestamp(str(raw))
    except ValueError:
        raise invalid(f"ReportTasks: attempts startTime {raw!r} is not an RFC 3339 time") from None


def _worker_id(timing: dict[str, Any]) -> str | None:
    raw = timing.get("workerId")
    if raw is not None and not (isinstance(raw, str) and 0 < len(raw) <= MAX_WORKER_ID):
        raise invalid(f"ReportTasks: attempts workerId must be a string of 1-{MAX_WORKER_ID}")
    return raw


def _wf_run_view(rt: Runtime, wf_run_id: str, entry: JournalEntry | None) -> dict[str, Any]:
    head = rt.state.load_head(wf_run_id)
    if head is not None:
        return wf_run_json(WfRunState.from_item(head.state))
    entry = entry or rt.journal.get(wf_run_id, RUN_EVENT_ID)
    if entry is None:
        raise not_found(f"WfRun {wf_run_id!r} does not exist")
    return _not_yet_applied(wf_run_id, entry)


def _not_yet_applied(wf_run_id: str, entry: JournalEntry) -> dict[str, Any]:
    """A journalled WfRun the scheduler has not started yet (status STARTING, the default)."""
    return {
        "id": {"id": wf_run_id},
        "wfSpecId": {k: v for k, v in entry.body["wfSpecId"].items() if v},
        "startTime": values.format_timestamp(int(entry.body["time"])),
    }


def _external_event_view(wf_run_id: str, entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": entry.body["externalEventDefId"],
            "guid": entry.body["guid"],
        },
        "createdAt": values.format_timestamp(int(entry.body.get("createdAt", entry.body["time"]))),
        "content": entry.body.get("content", {}),
    }


def _existing_run(rt: Runtime, body: dict[str, Any]) -> str:
    return _existing_incarnation(rt, body)[0]


def _existing_incarnation(rt: Runtime, body: dict[str, Any]) -> tuple[str, str]:
    """The WfRun's id and the incarnation its records must name (store/journal.py)."""
    wf_run_id = parse_wf_run_id(body, "wfRunId", "id")
    record = rt.journal.get_record(wf_run_id, RUN_EVENT_ID)
    if record is None:
        raise not_found(f"WfRun {wf_run_id!r} does not exist")
    return wf_run_id, record.incarnation or ""


def _item(rt: Runtime, wf_run_id: str, sk: str, what: str, head: Head | None) -> dict[str, Any]:
    """A record, or NOT_FOUND; ``head`` read by the caller before it (see StateStore.record)."""
    found = rt.state.record(wf_run_id, sk, head)
    if found is None and sk.startswith(("node#", "task#")):
        live = wide_reads.live(rt, wf_run_id, head)
        found = next((r.to_json() for r in live if r.sk == sk), None)
    if found is None:
        raise not_found(f"{what} of WfRun {wf_run_id!r} does not exist")
    return found


def _untimed(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "time"}


def _now() -> int:
    return int(time.time() * 1000)
