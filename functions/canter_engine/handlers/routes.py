"""Every rpc the API serves, once: its name, the function that serves it, who may call it.

The API resolver (``handlers.api``), the API Gateway routes and the IAM
managed policies (``infra/``) and the local gateway all derive from
:data:`ROUTES`, so an rpc cannot be served without a route, routed without
being served, or callable by a role it was not given. Adding an rpc is one
line here.

Roles are what a caller is for, not who it is:

- ``worker``: a task worker, which reports the attempts it ran (and looks up
  its TaskDef's queue);
- ``reader``: reads definitions and runs;
- ``operator``: starts, signals, stops, resumes and deletes WfRuns;
- ``admin``: registers and changes definitions;
- ``assignee``: a people's app (a user-task inbox): claims, saves, completes,
  cancels and comments on UserTaskRuns, and nothing else that changes a
  WfRun, so an inbox cannot start, stop or delete WfRuns (it attaches the
  reader policy too, to find and show the work).

Each role's policy holds only its own rpcs; a client that starts and reads
workflows attaches the reader and operator policies.

The serving function is named as ``module.function`` under
``canter_engine.handlers`` rather than imported, so that ``infra/`` reads
this table without importing handler code; ``handlers.api`` resolves every
name when it is imported, so a wrong name fails at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Role = Literal["worker", "reader", "operator", "admin", "assignee"]
ROLES: tuple[Role, ...] = ("worker", "reader", "operator", "admin", "assignee")


@dataclass(frozen=True, slots=True)
class Route:
    rpc: str
    handler: str
    roles: frozenset[Role]
    # The serving function takes the ``Canter-Task-Token`` header as a third
    # argument (handlers/task_tokens.py).
    takes_task_token: bool = False


def _route(rpc: str, handler: str, *roles: Role, takes_task_token: bool = False) -> Route:
    return Route(rpc, handler, frozenset(roles), takes_task_token)


ROUTES: tuple[Route, ...] = (
    _route("PutTaskDef", "api_metadata.put_task_def", "admin"),
    # Workers look up their TaskDef's queue URL (and input types) at start.
    _route("GetTaskDef", "api_metadata.get_task_def", "reader", "worker"),
    # Canter's own: the SQS queue of a TaskDef, which LittleHorse's TaskDef lacks.
    _route("GetTaskDefQueue", "api_metadata.get_task_def_queue", "reader", "worker"),
    # Which LittleHorse API this is: any client may ask.
    _route("GetServerVersion", "api_server.get_server_version", *ROLES),
    _route("PutExternalEventDef", "api_metadata.put_external_event_def", "admin"),
    _route("GetExternalEventDef", "api_metadata.get_external_event_def", "reader"),
    _route("PutWfSpec", "api_metadata.put_wf_spec", "admin"),
    _route("GetWfSpec", "api_metadata.get_wf_spec", "reader"),
    _route("GetLatestWfSpec", "api_metadata.get_latest_wf_spec", "reader"),
    _route("RunWf", "api_runs.run_wf", "operator"),
    _route("GetWfRun", "api_runs.get_wf_run", "reader"),
    _route("ListNodeRuns", "api_runs.list_node_runs", "reader"),
    _route("GetNodeRun", "api_runs.get_node_run", "reader"),
    _route("GetTaskRun", "api_runs.get_task_run", "reader"),
    _route("ListVariables", "api_runs.list_variables", "reader"),
    _route("GetVariable", "api_runs.get_variable", "reader"),
    _route("PutExternalEvent", "api_runs.put_external_event", "operator"),
    _route("ListExternalEvents", "api_runs.list_external_events", "reader"),
    _route("StopWfRun", "api_runs.stop_wf_run", "operator"),
    _route("ResumeWfRun", "api_runs.resume_wf_run", "operator"),
    _route("DeleteWfRun", "api_runs.delete_wf_run", "operator"),
    _route("SearchWfRun", "api_search.search_wf_run", "reader"),
    _route("SearchVariable", "api_search.search_variable", "reader"),
    _route("SearchExternalEvent", "api_search.search_external_event", "reader"),
    _route("SearchNodeRun", "api_search.search_node_run", "reader"),
    _route("SearchTaskRun", "api_task_search.search_task_run", "reader"),
    _route("SearchWorkflowEvent", "api_search.search_workflow_event", "reader"),
    _route("ReportTask", "api_runs.report_task", "worker", takes_task_token=True),
    _route("ReportTasks", "api_runs.report_tasks", "worker", takes_task_token=True),
    # Canter's own: workers' notices of attempts still running (TASK_RUNNING).
    _route(
        "ReportTaskStarts", "api_task_starts.report_task_starts", "worker", takes_task_token=True
    ),
    _route("SearchWfSpec", "api_definitions.search_wf_spec", "reader"),
    _route("SearchTaskDef", "api_definitions.search_task_def", "reader"),
    _route("SearchExternalEventDef", "api_definitions.search_external_event_def", "reader"),
    _route("SearchWorkflowEventDef", "api_definitions.search_workflow_event_def", "reader"),
    _route("DeleteWfSpec", "api_definitions.delete_wf_spec", "admin"),
    _route("DeleteTaskDef", "api_definitions.delete_task_def", "admin"),
    _route("DeleteExternalEventDef", "api_definitions.delete_external_event_def", "admin"),
    _route("DeleteWorkflowEventDef", "api_definitions.delete_workflow_event_def", "admin"),
    _route("PutWorkflowEventDef", "api_definitions.put_workflow_event_def", "admin"),
    _route("GetWorkflowEventDef", "api_definitions.get_workflow_event_def", "reader"),
    _route("AwaitWorkflowEvent", "api_workflow_events.await_workflow_event", "reader"),
    _route("ListWorkflowEvents", "api_workflow_events.list_workflow_events", "reader"),
    _route("GetWorkflowEvent", "api_workflow_events.get_workflow_event", "reader"),
    _route("ListTaskRuns", "api_records.list_task_runs", "reader"),
    _route("GetExternalEvent", "api_records.get_external_event", "reader"),
    # User tasks (issue 14): UserTaskDefs are definitions, registered by admins.
    _route("PutUserTaskDef", "api_user_task_defs.put_user_task_def", "admin"),
    _route("GetUserTaskDef", "api_user_task_defs.get_user_task_def", "reader"),
    _route("GetLatestUserTaskDef", "api_user_task_defs.get_latest_user_task_def", "reader"),
    _route("DeleteUserTaskDef", "api_user_task_defs.delete_user_task_def", "admin"),
    _route("SearchUserTaskDef", "api_user_task_defs.search_user_task_def", "reader"),
    _route("GetUserTaskRun", "api_user_tasks.get_user_task_run", "reader"),
    _route("ListUserTaskRuns", "api_user_tasks.list_user_task_runs", "reader"),
    _route("SearchUserTaskRun", "api_user_tasks.search_user_task_run", "reader"),
    # What a person does with their work; operators may cancel it as they stop WfRuns.
    _route("AssignUserTaskRun", "api_user_tasks.assign_user_task_run", "assignee"),
    _route("CompleteUserTaskRun", "api_user_tasks.complete_user_task_run", "assignee"),
    _route("SaveUserTaskRunProgress", "api_user_tasks.save_user_task_run_progress", "assignee"),
    _route("CancelUserTaskRun", "api_user_tasks.cancel_user_task_run", "assignee", "operator"),
    _route("PutUserTaskRunComment", "api_user_tasks.put_user_task_run_comment", "assignee"),
    _route("EditUserTaskRunComment", "api_user_tasks.edit_user_task_run_comment", "assignee"),
    _route("DeleteUserTaskRunComment", "api_user_tasks.delete_user_task_run_comment", "assignee"),
    # Operating WfRuns over time (issue 18): rescue, schedules.
    _route("RescueThreadRun", "api_rescue.rescue_thread_run", "operator"),
    _route("ScheduleWf", "api_schedules.schedule_wf", "operator"),
    _route("GetScheduledWfRun", "api_schedules.get_scheduled_wf_run", "reader"),
    _route("SearchScheduledWfRun", "api_schedules.search_scheduled_wf_run", "reader"),
    _route("DeleteScheduledWfRun", "api_schedules.delete_scheduled_wf_run", "operator"),
    # Correlated events (ops-events): posted by key, reaching whichever WfRun waits on it.
    _route("PutCorrelatedEvent", "api_correlated.put_correlated_event", "operator"),
    _route("GetCorrelatedEvent", "api_correlated.get_correlated_event", "reader"),
    _route("DeleteCorrelatedEvent", "api_correlated.delete_correlated_event", "operator"),
    _route("SearchCorrelatedEvent", "api_correlated.search_correlated_event", "reader"),
    # Task checkpoints (ops-events): the worker holding an attempt saves steps; retries resume.
    _route("PutCheckpoint", "api_checkpoints.put_checkpoint", "worker", takes_task_token=True),
    _route("GetCheckpoint", "api_checkpoints.get_checkpoint", "reader", "worker"),
    # StructDefs (ops-events): named, versioned record types.
    _route("PutStructDef", "api_struct_defs.put_struct_def", "admin"),
    _route("GetStructDef", "api_struct_defs.get_struct_def", "reader"),
    _route("DeleteStructDef", "api_struct_defs.delete_struct_def", "admin"),
    _route("SearchStructDef", "api_struct_defs.search_struct_def", "reader"),
    _route(
        "ValidateStructDefEvolution",
        "api_struct_defs.validate_struct_def_evolution",
        "reader",
    ),
    # WfSpec migration (migrate): moving running WfRuns to another WfSpec version.
    _route("MigrateWfSpec", "api_migrations.migrate_wf_spec", "admin"),
    _route("PutWorkflowMigrationPlan", "api_migrations.put_workflow_migration_plan", "admin"),
    _route("GetWorkflowMigrationPlan", "api_migrations.get_workflow_migration_plan", "reader"),
    _route("DeleteWorkflowMigrationPlan", "api_migrations.delete_workflow_migration_plan", "admin"),
    _route(
        "SearchWorkflowMigrationPlan", "api_migrations.search_workflow_migration_plan", "reader"
    ),
    _route(
        "ApplyWorkflowMigrationPlan", "api_migrations.apply_workflow_migration_plan", "operator"
    ),
    # BulkJobs (bulk-jobs): deleting the WfRuns of a WfSpec in one terminal status.
    _route("CreateBulkJob", "api_bulk_jobs.create_bulk_job", "operator"),
    _route("GetBulkJob", "api_bulk_jobs.get_bulk_job", "reader"),
    _route("SearchBulkJob", "api_bulk_jobs.search_bulk_job", "reader"),
    _route("DeleteBulkJob", "api_bulk_jobs.delete_bulk_job", "operator"),
    # ThreadRuns archived by their ThreadSpec's retention policy (ops-misc).
    _route("GetInactiveThreadRun", "api_records.get_inactive_thread_run", "reader"),
)

BY_RPC: Mapping[str, Route] = {route.rpc: route for route in ROUTES}

_IAM = "IAM is the identity and access layer on AWS: attach Canter's managed policies"
_CLOUDWATCH = "the API and the scheduler publish their metrics to CloudWatch"
_SQS = "task workers poll their TaskDef's SQS queue and need no assignment"
_COUNT = "an exact count would cost a write per task node; use Search with a limit"

# LittleHorse's rpcs Canter does not serve, and why: the API's UNIMPLEMENTED
# answer says so, and the README lists them.
NOT_SERVED: Mapping[str, str] = {
    **dict.fromkeys(
        (
            "PutTenant",
            "GetTenant",
            "SearchTenant",
            "PutPrincipal",
            "GetPrincipal",
            "DeletePrincipal",
            "SearchPrincipal",
            "Whoami",
            "PutQuota",
            "GetQuota",
            "DeleteQuota",
            "SearchQuota",
            "ListQuotaUsageMetrics",
        ),
        _IAM,
    ),
    **dict.fromkeys(
        (
            "GetMetricWindow",
            "GetTaskDefMetricsWindow",
            "GetWfSpecMetricsWindow",
            "ListTaskMetrics",
            "ListWfMetrics",
            "SearchWfMetricWindow",
        ),
        _CLOUDWATCH,
    ),
    **dict.fromkeys(("RegisterTaskWorker", "GetTaskWorkerGroup"), _SQS),
    **dict.fromkeys(("CountNodeRun", "CountTaskRun"), _COUNT),
}


def rpcs_of(role: Role) -> tuple[str, ...]:
    """The rpcs one role's policy allows, in table order."""
    return tuple(route.rpc for route in ROUTES if role in route.roles)
