"""The Canter client: LittleHorse's rpcs as Python methods over HTTP.

Requests and responses are LittleHorse messages in proto3 JSON (dicts).
Against a deployed API (any non-loopback URL) requests are SigV4-signed for
``execute-api`` with the caller's AWS credentials; the local stack needs no
signing. Also home of the VariableValue codec the worker shares, so the SDK
speaks the wire format without importing the engine.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from canter import discovery, structs
from canter.discovery import ENV_API_URL
from canter.transport import Transport

FINAL_STATUSES = ("COMPLETED", "ERROR", "EXCEPTION")
# AwaitWorkflowEvent answers within API Gateway's 30 s limit; the socket waits a little longer.
LONG_POLL_TIMEOUT = 35.0
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


class CanterError(Exception):
    """An rpc refused or failed; ``code`` is the gRPC status name the API returned."""

    code = "UNKNOWN"

    def __init__(self, message: str, *, code: str | None = None, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        if code:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidArgument(CanterError):
    code = "INVALID_ARGUMENT"


class NotFound(CanterError):
    code = "NOT_FOUND"


class AlreadyExists(CanterError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(CanterError):
    code = "FAILED_PRECONDITION"


class ResourceExhausted(CanterError):
    code = "RESOURCE_EXHAUSTED"


class Unauthenticated(CanterError):
    code = "UNAUTHENTICATED"


class PermissionDenied(CanterError):
    code = "PERMISSION_DENIED"


class Unimplemented(CanterError):
    code = "UNIMPLEMENTED"


class DeadlineExceeded(CanterError):
    """A long poll (AwaitWorkflowEvent) ended before anything it waited for happened."""

    code = "DEADLINE_EXCEEDED"


class Internal(CanterError):
    code = "INTERNAL"


class Unavailable(CanterError):
    """The API could not be reached at all."""

    code = "UNAVAILABLE"


_ERRORS: dict[str, type[CanterError]] = {
    cls.code: cls
    for cls in (
        InvalidArgument,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        ResourceExhausted,
        Unauthenticated,
        PermissionDenied,
        Unimplemented,
        DeadlineExceeded,
        Internal,
        Unavailable,
    )
}


# The header that carries a report's task token (the ``canter.taskToken``
# attribute of the attempt's SQS message); for ReportTasks, one per report,
# comma-separated.
TASK_TOKEN_HEADER = "Canter-Task-Token"


class Client:
    def __init__(self, url: str | None = None, *, timeout: float = 30.0) -> None:
        self.url = (url or discovery.api_url()).rstrip("/")
        self.timeout = timeout
        self._signer = None if is_local(self.url) else _Signer(self.url)
        self._transport = Transport()

    # --- transport ---------------------------------------------------------

    def call(
        self,
        rpc: str,
        request: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """POST one request message to ``/<rpc>``; raises a :class:`CanterError`.

        ``headers`` go with it (Canter's own, beside LittleHorse's message:
        ``Canter-Task-Token`` on reports).
        """
        url = f"{self.url}/{rpc}"
        data = json.dumps(request, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
        if self._signer is not None:
            headers = self._signer.sign(url, data, headers)
        try:
            answer = self._transport.post(url, data, headers, timeout or self.timeout)
        except OSError as exc:
            raise Unavailable(
                f"cannot reach the Canter API at {self.url}: {exc}; start the local stack "
                f"with `canter dev`, or set {ENV_API_URL} to the URL of your API"
            ) from None
        if answer.status >= 400:
            raise _error_from(answer.status, answer.body)
        return _json_object(answer.body)

    # --- metadata ----------------------------------------------------------

    def put_task_def(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return self.call("PutTaskDef", request)

    def get_task_def(self, name: str) -> dict[str, Any]:
        return self.call("GetTaskDef", {"name": name})

    def get_server_version(self) -> dict[str, Any]:
        """The LittleHorse API the server speaks (``LittleHorseVersion``); Canter names
        itself in ``preReleaseIdentifier``."""
        return self.call("GetServerVersion", {})

    def get_task_def_queue(self, name: str) -> dict[str, Any]:
        """Canter's ``GetTaskDefQueue``: the TaskDef's ``taskQueue`` and its SQS ``queueUrl``."""
        return self.call("GetTaskDefQueue", {"name": name})

    def put_external_event_def(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.call("PutExternalEventDef", {"name": name, **fields})

    def get_external_event_def(self, name: str) -> dict[str, Any]:
        return self.call("GetExternalEventDef", {"name": name})

    def put_wf_spec(self, request: Mapping[str, Any] | Any) -> dict[str, Any]:
        """Register a WfSpec: a PutWfSpecRequest dict, or anything with ``compile()`` giving one."""
        body = request if isinstance(request, Mapping) else request.compile()
        return self.call("PutWfSpec", body)

    def get_wf_spec(self, name: str, major_version: int = 0, revision: int = 0) -> dict[str, Any]:
        return self.call(
            "GetWfSpec", {"name": name, "majorVersion": major_version, "revision": revision}
        )

    def get_latest_wf_spec(self, name: str, major_version: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if major_version is not None:
            body["majorVersion"] = major_version
        return self.call("GetLatestWfSpec", body)

    # --- WfRuns -------------------------------------------------------------

    def run_wf(
        self,
        wf_spec_name: str,
        variables: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        major_version: int | None = None,
        revision: int | None = None,
    ) -> dict[str, Any]:
        """Start a WfRun; variables are Python values. Safe to retry with the same ``id``."""
        body: dict[str, Any] = {
            "wfSpecName": wf_spec_name,
            "variables": {k: to_value(v) for k, v in (variables or {}).items()},
        }
        if id is not None:
            body["id"] = id
        if major_version is not None:
            body["majorVersion"] = major_version
        if revision is not None:
            body["revision"] = revision
        return self.call("RunWf", body)

    def get_wf_run(self, wf_run_id: str) -> dict[str, Any]:
        return self.call("GetWfRun", {"id": wf_run_id})

    def wait_for_wf_run(
        self,
        wf_run_id: str,
        statuses: Iterable[str] = FINAL_STATUSES,
        *,
        timeout: float = 60.0,
        poll_seconds: float = 0.1,
    ) -> dict[str, Any]:
        """Poll until the WfRun reaches one of ``statuses``; TimeoutError otherwise."""
        wanted = set(statuses)
        deadline = time.monotonic() + timeout
        while True:
            wf_run = self.get_wf_run(wf_run_id)
            if wf_run.get("status", "STARTING") in wanted:
                return wf_run
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"WfRun {wf_run_id} is {wf_run.get('status', 'STARTING')} after {timeout}s, "
                    f"not {' or '.join(sorted(wanted))}"
                )
            time.sleep(poll_seconds)

    def list_node_runs(
        self, wf_run_id: str, thread_run_number: int | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"wfRunId": {"id": wf_run_id}}
        if thread_run_number is not None:
            body["threadRunNumber"] = thread_run_number
        return self._all_pages("ListNodeRuns", body)

    def get_node_run(self, wf_run_id: str, thread_run_number: int, position: int) -> dict[str, Any]:
        return self.call(
            "GetNodeRun",
            {
                "wfRunId": {"id": wf_run_id},
                "threadRunNumber": thread_run_number,
                "position": position,
            },
        )

    def get_task_run(self, wf_run_id: str, task_guid: str) -> dict[str, Any]:
        return self.call("GetTaskRun", {"wfRunId": {"id": wf_run_id}, "taskGuid": task_guid})

    def list_variables(self, wf_run_id: str) -> list[dict[str, Any]]:
        return self._all_pages("ListVariables", {"wfRunId": {"id": wf_run_id}})

    def get_variable(self, wf_run_id: str, name: str, thread_run_number: int = 0) -> Any:
        """A variable's value as a Python value."""
        found = self.call(
            "GetVariable",
            {"wfRunId": {"id": wf_run_id}, "threadRunNumber": thread_run_number, "name": name},
        )
        return from_value(found.get("value"))

    def variables(self, wf_run_id: str, thread_run_number: int = 0) -> dict[str, Any]:
        """One thread's variables as Python values, by name."""
        return {
            v["id"]["name"]: from_value(v.get("value"))
            for v in self.list_variables(wf_run_id)
            if int(v["id"].get("threadRunNumber", 0)) == thread_run_number
        }

    def put_external_event(
        self,
        wf_run_id: str,
        external_event_def_name: str,
        content: Any = None,
        *,
        guid: str | None = None,
        thread_run_number: int | None = None,
    ) -> dict[str, Any]:
        """Send an event to a WfRun; repeating it with the same ``guid`` records it once."""
        body: dict[str, Any] = {
            "wfRunId": {"id": wf_run_id},
            "externalEventDefId": {"name": external_event_def_name},
            "content": to_value(content),
        }
        if guid is not None:
            body["guid"] = guid
        if thread_run_number is not None:
            body["threadRunNumber"] = thread_run_number
        return self.call("PutExternalEvent", body)

    def list_external_events(self, wf_run_id: str) -> list[dict[str, Any]]:
        return self._all_pages("ListExternalEvents", {"wfRunId": {"id": wf_run_id}})

    def stop_wf_run(self, wf_run_id: str, thread_run_number: int | None = None) -> None:
        body: dict[str, Any] = {"wfRunId": {"id": wf_run_id}}
        if thread_run_number is not None:
            body["threadRunNumber"] = thread_run_number
        self.call("StopWfRun", body)

    def resume_wf_run(self, wf_run_id: str, thread_run_number: int | None = None) -> None:
        body: dict[str, Any] = {"wfRunId": {"id": wf_run_id}}
        if thread_run_number is not None:
            body["threadRunNumber"] = thread_run_number
        self.call("ResumeWfRun", body)

    def rescue_thread_run(
        self, wf_run_id: str, thread_run_number: int = 0, *, skip_current_node: bool = False
    ) -> dict[str, Any]:
        """Run a failed (ERROR) thread's failed node again, or skip it; the WfRun as it was."""
        body: dict[str, Any] = {"wfRunId": {"id": wf_run_id}, "threadRunNumber": thread_run_number}
        if skip_current_node:
            body["skipCurrentNode"] = True
        return self.call("RescueThreadRun", body)

    # --- WfSpec migration (issue 18) -----------------------------------------------

    def migrate_wf_spec(
        self,
        wf_spec_name: str,
        old_version: tuple[int, int],
        new_version: tuple[int, int],
        thread_spec_migrations: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Move every running WfRun of one WfSpec version to another (``MigrateWfSpec``).

        ``thread_spec_migrations`` is LittleHorse's map of ThreadSpecMigrations:
        ``{"entrypoint": {"newThreadSpecName": "entrypoint", "nodeMigrations":
        {"1-old-node": {"newNodeName": "1-new-node"}}}}``. Answers the old
        version's WfSpec, which now shows the ``migration``.
        """
        migration: dict[str, Any] = {"threadSpecMigrations": dict(thread_spec_migrations)}
        if new_version[0]:
            migration["newMajorVersion"] = new_version[0]
        if new_version[1]:
            migration["newRevision"] = new_version[1]
        old = {"name": wf_spec_name, "majorVersion": old_version[0], "revision": old_version[1]}
        return self.call("MigrateWfSpec", {"oldWfSpec": old, "migration": migration})

    def put_workflow_migration_plan(
        self,
        name: str,
        wf_spec_name: str,
        old_version: tuple[int, int],
        new_version: tuple[int, int],
        thread_migrations: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Any]:
        """Store a named ``WorkflowMigrationPlan`` (``ThreadMigrationPlanRequest`` per thread)."""
        return self._call_set(
            "PutWorkflowMigrationPlan",
            {
                "name": name,
                "oldWfSpec": {
                    "name": wf_spec_name,
                    "majorVersion": old_version[0],
                    "revision": old_version[1],
                },
                "majorVersion": new_version[0] or None,
                "revision": new_version[1] or None,
                "threadMigrations": dict(thread_migrations),
            },
        )

    def get_workflow_migration_plan(self, name: str) -> dict[str, Any]:
        return self.call("GetWorkflowMigrationPlan", {"name": name})

    def delete_workflow_migration_plan(self, name: str) -> None:
        self.call("DeleteWorkflowMigrationPlan", {"id": {"name": name}})

    def search_workflow_migration_plan(
        self,
        *,
        wf_spec_name: str | None = None,
        prefix: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """Plan ids of one old WfSpec, or whose name starts with ``prefix``."""
        return self._call_set(
            "SearchWorkflowMigrationPlan",
            {"wfSpecName": wf_spec_name, "prefix": prefix, "limit": limit, "bookmark": bookmark},
        )

    def apply_workflow_migration_plan(
        self,
        name: str,
        wf_run_id: str,
        migration_vars_by_thread: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Move one WfRun by a plan; ``{thread: {var: VariableAssignment}}`` seeds variables.

        Answers the WfRun as the move makes it (on the new version).
        """
        body: dict[str, Any] = {"id": {"name": name}, "wfRunId": {"id": wf_run_id}}
        if migration_vars_by_thread:
            body["migrationVarsByThread"] = {
                thread: {"varAssignmentByVarName": dict(assignments)}
                for thread, assignments in migration_vars_by_thread.items()
            }
        return self.call("ApplyWorkflowMigrationPlan", body)

    # --- BulkJobs (bulk-jobs) -------------------------------------------------------

    def create_bulk_job(
        self,
        wf_spec_name: str,
        wf_run_status: str,
        *,
        bulk_job_id: str | None = None,
        earliest_start: str | None = None,
        latest_start: str | None = None,
    ) -> dict[str, Any]:
        """Delete every WfRun of ``wf_spec_name`` in ``wf_run_status`` (COMPLETED, HALTED,
        ERROR or EXCEPTION), optionally started within a window (RFC 3339 times).

        Answers the BulkJob: RUNNING while its pages of WfRuns are being deleted,
        then COMPLETED (GetBulkJob shows its progress).
        """
        delete = {
            "wfSpecName": wf_spec_name,
            "wfRunStatus": wf_run_status,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
        }
        body = {"bulkDeleteWfRun": {k: v for k, v in delete.items() if v is not None}}
        return self._call_set("CreateBulkJob", {"id": bulk_job_id, **body})

    def get_bulk_job(self, bulk_job_id: str) -> dict[str, Any]:
        return self.call("GetBulkJob", {"id": {"id": bulk_job_id}})

    def search_bulk_job(
        self, *, status: str | None = None, limit: int | None = None, bookmark: str | None = None
    ) -> dict[str, Any]:
        """BulkJob ids, all or of one status (BULK_JOB_RUNNING, _COMPLETED, _FAILED)."""
        return self._call_set(
            "SearchBulkJob", {"status": status, "limit": limit, "bookmark": bookmark}
        )

    def delete_bulk_job(self, bulk_job_id: str) -> None:
        """Delete a finished BulkJob (a RUNNING one is refused)."""
        self.call("DeleteBulkJob", {"id": {"id": bulk_job_id}})

    def get_inactive_thread_run(self, wf_run_id: str, thread_run_number: int) -> dict[str, Any]:
        """A COMPLETED child ThreadRun its ThreadSpec's retention policy archived
        (LittleHorse's InactiveThreadRun: ``{"threadRun": ...}``); NotFound otherwise."""
        return self.call(
            "GetInactiveThreadRun",
            {"wfRunId": {"id": wf_run_id}, "threadRunNumber": thread_run_number},
        )

    # --- scheduled WfRuns (issue 18) ----------------------------------------------

    def schedule_wf(
        self,
        wf_spec_name: str,
        cron_expression: str,
        variables: Mapping[str, Any] | None = None,
        *,
        id: str | None = None,
        major_version: int | None = None,
        revision: int | None = None,
    ) -> dict[str, Any]:
        """Run a WfSpec on a UNIX cron schedule (UTC); the ScheduledWfRun. Safe to retry."""
        body: dict[str, Any] = {"wfSpecName": wf_spec_name, "cronExpression": cron_expression}
        if variables:
            body["variables"] = {k: to_value(v) for k, v in variables.items()}
        if id is not None:
            body["id"] = id
        if major_version is not None:
            body["majorVersion"] = major_version
        if revision is not None:
            body["revision"] = revision
        return self.call("ScheduleWf", body)

    def get_scheduled_wf_run(self, scheduled_wf_run_id: str) -> dict[str, Any]:
        return self.call("GetScheduledWfRun", {"id": scheduled_wf_run_id})

    def search_scheduled_wf_run(
        self, wf_spec_name: str, major_version: int | None = None, revision: int | None = None
    ) -> list[str]:
        """The ids of the ScheduledWfRuns of a WfSpec (version)."""
        body: dict[str, Any] = {"wfSpecName": wf_spec_name}
        if major_version is not None:
            body["majorVersion"] = major_version
        if revision is not None:
            body["revision"] = revision
        return [r["id"] for r in self.call("SearchScheduledWfRun", body).get("results", [])]

    def delete_scheduled_wf_run(self, scheduled_wf_run_id: str) -> None:
        self.call("DeleteScheduledWfRun", {"id": {"id": scheduled_wf_run_id}})

    def delete_wf_run(self, wf_run_id: str) -> None:
        self.call("DeleteWfRun", {"id": {"id": wf_run_id}})

    def search_wf_run(
        self,
        wf_spec_name: str | None = None,
        status: str | None = None,
        *,
        major_version: int | None = None,
        revision: int | None = None,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        parent_wf_run_id: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of WfRun ids, newest first; timestamps are RFC 3339 strings."""
        fields = {
            "wfSpecName": wf_spec_name,
            "status": status,
            "wfSpecMajorVersion": major_version,
            "wfSpecRevision": revision,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "parentWfRunId": {"id": parent_wf_run_id} if parent_wf_run_id else None,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchWfRun", fields)

    def search_variable(
        self,
        wf_spec_name: str,
        var_name: str,
        value: Mapping[str, Any],
        *,
        major_version: int | None = None,
        revision: int | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of VariableIds of a ``searchable()`` variable holding ``value``
        (a VariableValue, e.g. ``{"str": "abc"}``), newest WfRun first."""
        fields = {
            "wfSpecName": wf_spec_name,
            "varName": var_name,
            "value": dict(value),
            "wfSpecMajorVersion": major_version,
            "wfSpecRevision": revision,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchVariable", fields)

    def search_external_event(
        self,
        external_event_def_name: str,
        *,
        is_claimed: bool | None = None,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of ExternalEventIds of one ExternalEventDef, newest first."""
        fields = {
            "externalEventDefId": {"name": external_event_def_name},
            "isClaimed": is_claimed,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchExternalEvent", fields)

    def search_workflow_event(
        self,
        workflow_event_def_name: str,
        *,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of WorkflowEventIds of one WorkflowEventDef, newest first."""
        fields = {
            "workflowEventDefId": {"name": workflow_event_def_name},
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchWorkflowEvent", fields)

    def search_node_run(
        self,
        external_event_def_name: str,
        status: str | None = None,
        *,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of NodeRunIds of the EXTERNAL_EVENT nodes of one ExternalEventDef,
        newest first (LittleHorse's SearchNodeRun)."""
        fields = {
            "externalEventDef": {"name": external_event_def_name},
            "status": status,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchNodeRun", fields)

    def search_task_run(
        self,
        task_def_name: str,
        status: str | None = None,
        *,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of TaskRunIds of one TaskDef, newest WfRun first; a page may hold
        fewer than ``limit`` and still a bookmark."""
        fields = {
            "taskDefName": task_def_name,
            "status": status,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchTaskRun", fields)

    # --- search, delete and workflow events ----------------------------------

    def search(self, rpc: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """One page of any ``Search*`` rpc: ``results`` and, if more, ``bookmark``."""
        return self.call(rpc, request)

    def search_all(self, rpc: str, request: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every result of a ``Search*`` or ``List*`` rpc, following bookmarks."""
        return self._all_pages(rpc, dict(request))

    def delete_task_def(self, name: str) -> None:
        self.call("DeleteTaskDef", {"id": {"name": name}})

    def delete_external_event_def(self, name: str) -> None:
        self.call("DeleteExternalEventDef", {"id": {"name": name}})

    def delete_workflow_event_def(self, name: str) -> None:
        self.call("DeleteWorkflowEventDef", {"id": {"name": name}})

    def delete_wf_spec(self, name: str, major_version: int = 0, revision: int = 0) -> None:
        spec_id = {"name": name, "majorVersion": major_version, "revision": revision}
        self.call("DeleteWfSpec", {"id": spec_id})

    def put_workflow_event_def(
        self, name: str, content_type: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Register a WorkflowEventDef; ``content_type`` is a ReturnType message."""
        return self.call("PutWorkflowEventDef", {"name": name, "contentType": content_type or {}})

    def get_workflow_event_def(self, name: str) -> dict[str, Any]:
        return self.call("GetWorkflowEventDef", {"name": name})

    def await_workflow_event(
        self,
        wf_run_id: str,
        event_def_names: Iterable[str] = (),
        *,
        ignore: Iterable[Mapping[str, Any]] = (),
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """The first WorkflowEvent of the WfRun (of the named defs), waiting up to ``timeout`` s.

        The API answers each ``AwaitWorkflowEvent`` within API Gateway's 30 s
        limit, with DEADLINE_EXCEEDED when nothing came; this re-asks until
        ``timeout``, then raises TimeoutError.
        """
        body: dict[str, Any] = {
            "wfRunId": {"id": wf_run_id},
            "eventDefIds": [{"name": n} for n in event_def_names],
            "workflowEventsToIgnore": [dict(i) for i in ignore],
        }
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.call("AwaitWorkflowEvent", body, timeout=LONG_POLL_TIMEOUT)
            except DeadlineExceeded:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"no WorkflowEvent from WfRun {wf_run_id} within {timeout}s"
                    ) from None

    def list_task_runs(self, wf_run_id: str) -> list[dict[str, Any]]:
        return self._all_pages("ListTaskRuns", {"wfRunId": {"id": wf_run_id}})

    def get_external_event(self, wf_run_id: str, event_def_name: str, guid: str) -> dict[str, Any]:
        return self.call(
            "GetExternalEvent",
            {
                "wfRunId": {"id": wf_run_id},
                "externalEventDefId": {"name": event_def_name},
                "guid": guid,
            },
        )

    def list_workflow_events(self, wf_run_id: str) -> list[dict[str, Any]]:
        return self._all_pages("ListWorkflowEvents", {"wfRunId": {"id": wf_run_id}})

    def get_workflow_event(
        self, wf_run_id: str, event_def_name: str, number: int
    ) -> dict[str, Any]:
        return self.call(
            "GetWorkflowEvent",
            {
                "wfRunId": {"id": wf_run_id},
                "workflowEventDefId": {"name": event_def_name},
                "number": number,
            },
        )

    # --- user tasks ------------------------------------------------------------

    def put_user_task_def(self, definition: Mapping[str, Any] | Any) -> dict[str, Any]:
        """Register a UserTaskDef: a PutUserTaskDefRequest dict, a :class:`canter.UserTaskDef`
        or a ``@canter.user_task`` class. A changed form gets a new version."""
        from canter.user_task_def import user_task_def_of

        found = user_task_def_of(definition)
        body = found.to_json() if found is not None else definition
        if not isinstance(body, Mapping):
            raise TypeError(
                "put_user_task_def() takes a PutUserTaskDefRequest dict, a canter.UserTaskDef "
                f"or a @canter.user_task class, not {definition!r}"
            )
        return self.call("PutUserTaskDef", body)

    def get_user_task_def(self, name: str, version: int) -> dict[str, Any]:
        return self.call("GetUserTaskDef", {"name": name, "version": version})

    def get_latest_user_task_def(self, name: str) -> dict[str, Any]:
        return self.call("GetLatestUserTaskDef", {"name": name})

    def delete_user_task_def(self, name: str, version: int) -> None:
        self.call("DeleteUserTaskDef", {"id": {"name": name, "version": version}})

    def search_user_task_def(
        self,
        prefix: str | None = None,
        *,
        name: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of UserTaskDefIds: every version of ``name``, or the defs named ``prefix``*."""
        fields = {"prefix": prefix, "name": name, "limit": limit, "bookmark": bookmark}
        return self._call_set("SearchUserTaskDef", fields)

    def get_user_task_run(self, wf_run_id: str, user_task_guid: str) -> dict[str, Any]:
        return self.call("GetUserTaskRun", user_task_run_id(wf_run_id, user_task_guid))

    def list_user_task_runs(self, wf_run_id: str) -> list[dict[str, Any]]:
        """Every UserTaskRun of a WfRun (its child WfRuns' are theirs)."""
        return self._all_pages("ListUserTaskRuns", {"wfRunId": {"id": wf_run_id}})

    def search_user_task_run(
        self,
        status: str | None = None,
        *,
        user_task_def_name: str | None = None,
        user_id: str | None = None,
        user_group: str | None = None,
        earliest_start: str | None = None,
        latest_start: str | None = None,
        limit: int | None = None,
        bookmark: str | None = None,
    ) -> dict[str, Any]:
        """One page of UserTaskRunIds, newest first; timestamps are RFC 3339 strings."""
        fields = {
            "status": status,
            "userTaskDefName": user_task_def_name,
            "userId": user_id,
            "userGroup": user_group,
            "earliestStart": earliest_start,
            "latestStart": latest_start,
            "limit": limit,
            "bookmark": bookmark,
        }
        return self._call_set("SearchUserTaskRun", fields)

    def assign_user_task_run(
        self,
        wf_run_id: str,
        user_task_guid: str,
        *,
        user_id: str | None = None,
        user_group: str | None = None,
        override_claim: bool = False,
    ) -> None:
        """Assign to a user and/or group; a run claimed by a user needs ``override_claim``."""
        fields = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "overrideClaim": override_claim or None,
            "userId": user_id,
            "userGroup": user_group,
        }
        self._call_set("AssignUserTaskRun", fields)

    def complete_user_task_run(
        self,
        wf_run_id: str,
        user_task_guid: str,
        results: Mapping[str, Any],
        *,
        user_id: str | None = None,
    ) -> None:
        """Complete with ``results`` (Python values by field name); the WfRun then moves on."""
        fields = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "results": {name: to_value(value) for name, value in results.items()},
            "userId": user_id,
        }
        self._call_set("CompleteUserTaskRun", fields)

    def save_user_task_run_progress(
        self,
        wf_run_id: str,
        user_task_guid: str,
        results: Mapping[str, Any],
        *,
        user_id: str,
        policy: str | None = None,
    ) -> dict[str, Any]:
        """Save a partly filled form; ``policy`` FAIL_IF_CLAIMED_BY_OTHER (default) or
        IGNORE_CLAIM."""
        fields = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "results": {name: to_value(value) for name, value in results.items()},
            "userId": user_id,
            "policy": policy,
        }
        return self._call_set("SaveUserTaskRunProgress", fields)

    def cancel_user_task_run(self, wf_run_id: str, user_task_guid: str) -> None:
        """Cancel the UserTaskRun: its node fails (with its cancellation EXCEPTION, if set)."""
        self.call(
            "CancelUserTaskRun", {"userTaskRunId": user_task_run_id(wf_run_id, user_task_guid)}
        )

    def put_user_task_run_comment(
        self, wf_run_id: str, user_task_guid: str, comment: str, *, user_id: str
    ) -> dict[str, Any]:
        """Add a comment; the answer is the UserTaskRun, whose last event has the comment id."""
        body = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "userId": user_id,
            "comment": comment,
        }
        return self.call("PutUserTaskRunComment", body)

    def edit_user_task_run_comment(
        self,
        wf_run_id: str,
        user_task_guid: str,
        user_comment_id: int,
        comment: str,
        *,
        user_id: str,
    ) -> dict[str, Any]:
        body = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "userCommentId": user_comment_id,
            "userId": user_id,
            "comment": comment,
        }
        return self.call("EditUserTaskRunComment", body)

    def delete_user_task_run_comment(
        self, wf_run_id: str, user_task_guid: str, user_comment_id: int, *, user_id: str
    ) -> dict[str, Any]:
        body = {
            "userTaskRunId": user_task_run_id(wf_run_id, user_task_guid),
            "userCommentId": user_comment_id,
            "userId": user_id,
        }
        return self.call("DeleteUserTaskRunComment", body)

    # --- correlated events (ops-events) ---------------------------------------------

    def put_correlated_event(
        self, key: str, external_event_def_name: str, content: Any = None
    ) -> dict[str, Any]:
        """Post an event by correlation key: it reaches every WfRun waiting on ``key``
        (``wait_for_event(..., correlation_id=...)``), now or when it starts waiting."""
        body: dict[str, Any] = {
            "key": key,
            "externalEventDefId": {"name": external_event_def_name},
        }
        if content is not None:
            body["content"] = to_value(content)
        return self.call("PutCorrelatedEvent", body)

    def get_correlated_event(self, key: str, external_event_def_name: str) -> dict[str, Any]:
        body = {"key": key, "externalEventDefId": {"name": external_event_def_name}}
        return self.call("GetCorrelatedEvent", body)

    def delete_correlated_event(self, key: str, external_event_def_name: str) -> None:
        self.call(
            "DeleteCorrelatedEvent",
            {"id": {"key": key, "externalEventDefId": {"name": external_event_def_name}}},
        )

    def search_correlated_event(
        self,
        external_event_def_name: str,
        *,
        has_external_events: bool | None = None,
        earliest_start: str | None = None,
        latest_start: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every CorrelatedEventId of an ExternalEventDef, newest first (all pages)."""
        body: dict[str, Any] = {"externalEventDefId": {"name": external_event_def_name}}
        for name, value in (
            ("hasExternalEvents", has_external_events),
            ("earliestStart", earliest_start),
            ("latestStart", latest_start),
        ):
            if value is not None:
                body[name] = value
        return self._all_pages("SearchCorrelatedEvent", body)

    # --- task checkpoints (ops-events) -------------------------------------------------

    def put_checkpoint(self, request: Mapping[str, Any], token: str) -> dict[str, Any]:
        """LittleHorse's ``PutCheckpoint``, with the attempt's ``canter.taskToken``; the
        answer's ``flowControlContinueType`` is ``STOP_TASK`` when the attempt must stop."""
        return self.call("PutCheckpoint", request, {TASK_TOKEN_HEADER: token})

    def get_checkpoint(self, wf_run_id: str, task_guid: str, number: int) -> dict[str, Any]:
        return self.call(
            "GetCheckpoint",
            {
                "taskRun": {"wfRunId": {"id": wf_run_id}, "taskGuid": task_guid},
                "checkpointNumber": number,
            },
        )

    # --- StructDefs (ops-events) ------------------------------------------------------

    def put_struct_def(self, request: Mapping[str, Any] | type) -> dict[str, Any]:
        """Register a ``PutStructDefRequest`` (proto3 JSON) or a ``@canter.struct_def``
        class: the StructDef version it made."""
        if isinstance(request, type):
            request = structs.put_struct_def_request(request)
        return self.call("PutStructDef", request)

    def get_struct_def(self, name: str, version: int = 0) -> dict[str, Any]:
        return self.call("GetStructDef", {"name": name, "version": version})

    def delete_struct_def(self, name: str, version: int = 0) -> None:
        self.call("DeleteStructDef", {"id": {"name": name, "version": version}})

    def search_struct_def(
        self, *, prefix: str | None = None, name: str | None = None
    ) -> list[dict[str, Any]]:
        """Every StructDefId by name ``prefix`` (or all versions of ``name``), all pages."""
        body = {k: v for k, v in (("prefix", prefix), ("name", name)) if v is not None}
        return self._all_pages("SearchStructDef", body)

    def validate_struct_def_evolution(self, request: Mapping[str, Any]) -> bool:
        """Whether a ``ValidateStructDefEvolutionRequest``'s StructDef may follow the given one."""
        answer = self.call("ValidateStructDefEvolution", request)
        return bool(answer.get("isValid", False))

    def _call_set(self, rpc: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The request with the fields left unset (None) absent, as proto3 JSON has them."""
        return self.call(rpc, {k: v for k, v in fields.items() if v is not None})

    def report_task(self, report: Mapping[str, Any], token: str) -> None:
        """LittleHorse's ``ReportTask``, with the attempt's ``canter.taskToken``."""
        self.call("ReportTask", report, {TASK_TOKEN_HEADER: token})

    def report_tasks(
        self,
        reports: list[Mapping[str, Any]],
        tokens: list[str],
        attempts: list[Mapping[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Up to 10 reports in one request (Canter's ``ReportTasks``).

        ``tokens`` are the attempts' task tokens, one per report, in order.
        ``attempts`` (one per report): when the worker started each attempt
        and its worker id, ``{"startTime", "workerId"}``. Each report is
        accepted or refused on its own: the result at each position is ``{}``
        or ``{"code", "message"}`` for that report.
        """
        body: dict[str, Any] = {"reports": reports}
        if attempts is not None:
            body["attempts"] = attempts
        headers = {TASK_TOKEN_HEADER: ",".join(tokens)}
        results = self.call("ReportTasks", body, headers).get("results", [])
        return [dict(r) for r in results]

    def report_task_starts(
        self, starts: list[Mapping[str, Any]], tokens: list[str]
    ) -> list[dict[str, Any]]:
        """Up to 10 notices that attempts are running (Canter's ``ReportTaskStarts``).

        Each start is ``{"taskRunId", "attemptNumber", "startTime", "workerId"}``;
        ``tokens`` are the attempts' task tokens, in order. Reads show such an
        attempt TASK_RUNNING until its report ends it. The result at each
        position is ``{}`` or ``{"code", "message"}``.
        """
        headers = {TASK_TOKEN_HEADER: ",".join(tokens)}
        results = self.call("ReportTaskStarts", {"starts": starts}, headers).get("results", [])
        return [dict(r) for r in results]

    def _all_pages(self, rpc: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        while True:
            page = self.call(rpc, body)
            results.extend(page.get("results", []))
            if not page.get("bookmark"):
                return results
            body = {**body, "bookmark": page["bookmark"]}


def user_task_run_id(wf_run_id: str, user_task_guid: str) -> dict[str, Any]:
    """A ``UserTaskRunId`` message."""
    return {"wfRunId": {"id": wf_run_id}, "userTaskGuid": user_task_guid}


def is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Signer:
    """SigV4 for API Gateway's IAM auth, with the default credential chain."""

    def __init__(self, url: str) -> None:
        import boto3

        session = boto3.Session()
        match = _EXECUTE_API_HOST.search(urlsplit(url).hostname or "")
        self._region = match.group(1) if match else (session.region_name or "us-east-1")
        self._session = session

    def sign(self, url: str, data: bytes, headers: dict[str, str]) -> dict[str, str]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials = self._session.get_credentials()
        if credentials is None:
            raise Unauthenticated(
                "no AWS credentials found to sign requests to a deployed Canter API; configure "
                "them (AWS_PROFILE, environment variables or an instance role)"
            )
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", self._region).add_auth(
            request
        )
        return dict(request.headers.items())


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    parsed = json.loads(raw)
    return parsed if isinstance(parsed, dict) else {"value": parsed}


def _error_from(status: int, raw: bytes) -> CanterError:
    try:
        body = json.loads(raw)
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = str(body.get("code") or _code_for_status(status))
    message = str(body.get("message") or raw.decode(errors="replace") or f"HTTP {status}")
    return _ERRORS.get(code, CanterError)(message, code=code, status=status)


def _code_for_status(status: int) -> str:
    return {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        412: "FAILED_PRECONDITION",
        413: "RESOURCE_EXHAUSTED",
        429: "RESOURCE_EXHAUSTED",
        501: "UNIMPLEMENTED",
        504: "DEADLINE_EXCEEDED",
    }.get(status, "INTERNAL")


# --- VariableValue codec ---------------------------------------------------------


def to_value(value: Any) -> dict[str, Any]:
    """A Python value as a LittleHorse VariableValue (proto3 JSON)."""
    found = structs.value_of_primitive(value)
    if found is not None:
        return found
    if isinstance(value, Mapping):
        return {"jsonObj": json.dumps(dict(value), separators=(",", ":"), default=_json_default)}
    if isinstance(value, list | tuple):
        return {"jsonArr": json.dumps(list(value), separators=(",", ":"), default=_json_default)}
    raise TypeError(
        f"{type(value).__name__} is not a workflow value; use None, bool, int, float, str, "
        "bytes, datetime, a dict or a list"
    )


def from_value(raw: Mapping[str, Any] | None) -> Any:
    """A VariableValue as a Python value (``None`` for the empty value)."""
    if not raw:
        return None
    ((kind, val),) = raw.items()
    if kind == "int":
        return int(val)
    if kind == "double":
        return float(val)
    if kind in ("bool", "str"):
        return val
    if kind == "bytes":
        return base64.b64decode(val)
    if kind in ("jsonObj", "jsonArr"):
        return json.loads(val) if isinstance(val, str) else val
    if kind == "wfRunId":
        return str(val["id"])
    if kind == "utcTimestamp":
        return datetime.fromisoformat(str(val).replace("Z", "+00:00"))
    if kind == "struct":
        # A Struct as its fields by name, nested ones too (the official SDK's extract_value).
        fields = val.get("struct", {}).get("fields", {})
        return {name: from_value(field.get("value")) for name, field in fields.items()}
    if kind == "array":
        return [from_value(item) for item in val.get("items", [])]
    raise ValueError(f"unknown VariableValue field {kind!r}")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be stored in a JSON value")
