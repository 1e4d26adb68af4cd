"""Exactly the table and queue actions each engine function's handler uses.

Statements are written out rather than taken from ``grant_read_write_data``
and friends, whose action lists are broader than any one handler needs.
The event sources add what Lambda itself needs to poll (stream reads,
consuming the timer queue, sending to the on-failure queue).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam
from canter_engine.resources import STATE_TABLE, task_queue_prefix
from constructs import Construct

from infra.config import CanterConfig
from infra.engine import EngineFunctions
from infra.queues import Queues
from infra.storage import Storage

# Each set names the store calls that need it (canter_engine.store.*).
# Scheduler: load_head, commit_head (conditional put), write_records, and
# delete_wf_run (query, then batch deletes) when it applies a DeleteWfRun.
SCHEDULER_STATE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:Query",
)
# get_wf_spec: one version by key, or the latest by query.
METADATA_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
# Journal.append (a conditional put): timers' TimerFired, and the scheduler's
# RunChildWf / ChildWfEnded effects, which journal into another WfRun.
JOURNAL_APPEND_ACTIONS = ("dynamodb:PutItem",)
# Scheduler: append, plus delete_all (query, then delete) for DeleteWfRun.
SCHEDULER_JOURNAL_ACTIONS = ("dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem")
# Timers: load_head, to drop a timer the committed state no longer waits for.
HEAD_READ_ACTIONS = ("dynamodb:GetItem",)
# API: append and get. DeleteWfRun is journalled; the scheduler deletes.
# An ExternalEvent for a WfRun not started yet updates its id's counter and is
# listed by query (store/early_events.py).
API_JOURNAL_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)
# API: get and list_prefix; it never writes state items: that is the
# scheduler's (invariant 2). search queries the index.
API_STATE_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
API_SEARCH_ACTIONS = ("dynamodb:Query",)
# Correlated events (store/correlated.py): the API puts, claims and deletes
# CorrelatedEvents and removes the registrations it delivered to; the
# scheduler registers waiting NodeRuns and delivers too. Both only in the
# ``corr#`` partitions (dynamodb:LeadingKeys), never in a WfRun's.
CORRELATED_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
CORRELATED_PARTITIONS = "corr#*"
# Bulk deletes' walk on the timers (bulk-jobs): DeleteWfRun's run-record read, and
# the BulkJob's progress (store/bulk_jobs.py).
BULK_DELETE_JOURNAL_ACTIONS = ("dynamodb:GetItem",)
BULK_JOB_WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem")
API_METADATA_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:DeleteItem",
)
# ScheduledRuns: a firing reads its ScheduledWfRun and WfSpec (metadata), then runs
# RunWf: the journal append (or the existing run record) and the head it answers with.
SCHEDULED_RUNS_METADATA_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
SCHEDULED_RUNS_JOURNAL_ACTIONS = ("dynamodb:PutItem", "dynamodb:GetItem")
SCHEDULED_RUNS_STATE_ACTIONS = ("dynamodb:GetItem",)
# The payload bucket (store/payloads.py), objects under runs/ only. The
# scheduler stores the long values of state and records and ScheduledTasks
# sent by reference, reads them back, and deletes a run's (list, then delete)
# on DeleteWfRun; the API stores the long values of the records it journals
# and reads them back; timers read a head's.
SCHEDULER_PAYLOAD_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
PAYLOAD_LIST_ACTIONS = ("s3:ListBucket",)
API_PAYLOAD_ACTIONS = ("s3:GetObject", "s3:PutObject")
PAYLOAD_READ_ACTIONS = ("s3:GetObject",)
PAYLOAD_PREFIX = "runs/"
SEND_ACTIONS = ("sqs:SendMessage",)
TASK_SEND_ACTIONS = ("sqs:SendMessage", "sqs:GetQueueUrl")
TASK_LOOKUP_ACTIONS = ("sqs:GetQueueUrl",)
TASK_CREATE_ACTIONS = ("sqs:CreateQueue", "sqs:GetQueueUrl", "sqs:GetQueueAttributes")
WORKER_QUEUE_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
)


def grant_engine_permissions(
    functions: EngineFunctions, config: CanterConfig, storage: Storage, queues: Queues
) -> None:
    task_queues = task_queue_arns(functions, config, queues)
    state_index_arns = [
        f"{storage.state.table_arn}/index/{index.name}" for index in STATE_TABLE.indexes
    ]

    payload_objects = [payload_objects_arn(storage)]

    scheduler = functions.scheduler
    _allow(scheduler, SCHEDULER_PAYLOAD_ACTIONS, payload_objects)
    scheduler.add_to_role_policy(
        iam.PolicyStatement(
            actions=list(PAYLOAD_LIST_ACTIONS),
            resources=[storage.payloads.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{PAYLOAD_PREFIX}*"]}},
        )
    )
    _allow(scheduler, SCHEDULER_STATE_ACTIONS, [storage.state.table_arn])
    _allow(scheduler, METADATA_READ_ACTIONS, [storage.metadata.table_arn])
    _allow(scheduler, SCHEDULER_JOURNAL_ACTIONS, [storage.journal.table_arn])
    _allow(scheduler, SEND_ACTIONS, [queues.timers.queue.queue_arn])
    _allow(scheduler, TASK_SEND_ACTIONS, task_queues)

    timers = functions.timers
    _allow(timers, PAYLOAD_READ_ACTIONS, payload_objects)
    _allow(timers, SEND_ACTIONS, [queues.timers.queue.queue_arn])
    _allow(timers, JOURNAL_APPEND_ACTIONS, [storage.journal.table_arn])
    _allow(timers, HEAD_READ_ACTIONS, [storage.state.table_arn])
    # MigrateWfSpec's walk (handlers/migration_pages.py): running WfRuns from the index,
    # the version they move to, and the next page sent on; the API walks the first page
    # and sends the second.
    _allow(timers, API_SEARCH_ACTIONS, state_index_arns)
    _allow(timers, METADATA_READ_ACTIONS, [storage.metadata.table_arn])
    _allow(functions.api, SEND_ACTIONS, [queues.timers.queue.queue_arn])
    # Bulk deletes' walk (handlers/bulk_deletes.py): each WfRun deleted through
    # DeleteWfRun (it reads the WfRun's run record, then appends the delete), and
    # the BulkJob's progress recorded in the metadata table (a transaction of puts
    # and deletes of its item and listings).
    _allow(timers, BULK_DELETE_JOURNAL_ACTIONS, [storage.journal.table_arn])
    _allow(timers, BULK_JOB_WRITE_ACTIONS, [storage.metadata.table_arn])

    api = functions.api
    _allow(api, API_PAYLOAD_ACTIONS, payload_objects)
    _allow(api, API_JOURNAL_ACTIONS, [storage.journal.table_arn])
    _allow(api, API_STATE_ACTIONS, [storage.state.table_arn])
    _allow(api, API_SEARCH_ACTIONS, state_index_arns)
    _allow(api, API_METADATA_ACTIONS, [storage.metadata.table_arn])
    _allow(api, TASK_CREATE_ACTIONS if config.dynamic_queues else TASK_LOOKUP_ACTIONS, task_queues)

    scheduled_runs = functions.scheduled_runs
    _allow(scheduled_runs, SCHEDULED_RUNS_METADATA_ACTIONS, [storage.metadata.table_arn])
    _allow(scheduled_runs, SCHEDULED_RUNS_JOURNAL_ACTIONS, [storage.journal.table_arn])
    _allow(scheduled_runs, SCHEDULED_RUNS_STATE_ACTIONS, [storage.state.table_arn])
    for grantee in (scheduler, api):
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(CORRELATED_WRITE_ACTIONS),
                resources=[storage.state.table_arn],
                conditions={
                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [CORRELATED_PARTITIONS]}
                },
            )
        )


def payload_objects_arn(storage: Storage) -> str:
    """The objects Canter stores in the payload bucket: everything under runs/."""
    return storage.payloads.arn_for_objects(f"{PAYLOAD_PREFIX}*")


def task_queue_arns(scope: Construct, config: CanterConfig, queues: Queues) -> list[str]:
    """The declared task queues, or every queue the stage's prefix names if they are dynamic."""
    if config.dynamic_queues:
        return [dynamic_task_queue_pattern(scope, config.stage)]
    return [deployed.queue.queue_arn for deployed in queues.task_queues.values()]


def dynamic_task_queue_pattern(scope: Construct, stage: str) -> str:
    return Stack.of(scope).format_arn(
        service="sqs",
        resource=f"{task_queue_prefix(stage)}*",
        arn_format=ArnFormat.NO_RESOURCE_NAME,
    )


def _allow(grantee: iam.IGrantable, actions: Sequence[str], resources: Sequence[str]) -> None:
    if resources:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(actions), resources=list(resources))
        )
