"""Each function may do exactly what its handler does; workers exactly what a worker does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.config import CanterConfig

Statement = tuple[tuple[str, ...], str]

LOGS = ("logs:CreateLogStream", "logs:PutLogEvents")
XRAY = ("xray:PutTelemetryRecords", "xray:PutTraceSegments")
DLQ_SEND = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
CONSUME = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)
STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


@pytest.fixture(scope="module")
def dynamic(synth: Callable[..., list[Any]]) -> Any:
    (synthesized,) = synth(CanterConfig.of(stage="dyn", task_queues=["greet"], dynamic_queues=True))
    return synthesized


def _statement(actions: str | list[str], resources: Any) -> Statement:
    action_list = [actions] if isinstance(actions, str) else actions
    resource_list = resources if isinstance(resources, list) else [resources]
    return tuple(sorted(action_list)), json.dumps(resource_list, sort_keys=True)


def _granted(synthesized: Any, role: Any) -> set[Statement]:
    role_ref = {"Ref": synthesized.logical_id(role)}
    granted: set[Statement] = set()
    for policy in synthesized.resources("AWS::IAM::Policy").values():
        if role_ref in policy["Properties"]["Roles"]:
            for s in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert s["Effect"] == "Allow"
                if s.get("Condition") == CORRELATED_ONLY:
                    continue  # test_correlated_event_writes_stay_in_their_partitions
                granted.add(_statement(s["Action"], s["Resource"]))
    return granted


# Correlated events (ops-events): writes to the State table limited to the
# CorrelatedEvent partitions, which no WfRun's state is in.
CORRELATED_ONLY = {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["corr#*"]}}


def test_correlated_event_writes_stay_in_their_partitions(dev: Any) -> None:
    engine = dev.stack.engine
    state = dev.stack.resolve(dev.stack.storage.state.table_arn)
    for function in (engine.scheduler, engine.api):
        role_ref = {"Ref": dev.logical_id(_role(dev, function))}
        conditioned = [
            s
            for policy in dev.resources("AWS::IAM::Policy").values()
            if role_ref in policy["Properties"]["Roles"]
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if "Condition" in s and s["Resource"] == state
        ]
        assert conditioned == [
            {
                "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                "Condition": CORRELATED_ONLY,
                "Effect": "Allow",
                "Resource": state,
            }
        ]


def _expect(synthesized: Any, *pairs: tuple[tuple[str, ...], list[Any]]) -> set[Statement]:
    return {_statement(list(a), synthesized.stack.resolve(res)) for a, res in pairs}


def _role(synthesized: Any, function: Any) -> Any:
    return synthesized.stack.engine.roles[function]


def _common(synthesized: Any, function: Any) -> set[Statement]:
    log_group_arn = {
        "Fn::GetAtt": [
            synthesized.stack.get_logical_id(
                function.node.scope.node.find_child(f"{function.node.id}Logs").node.default_child
            ),
            "Arn",
        ]
    }
    return {_statement(list(LOGS), log_group_arn), _statement(list(XRAY), "*")}


def _payload_objects(synthesized: Any) -> list[Any]:
    return [synthesized.stack.storage.payloads.arn_for_objects("runs/*")]


def _task_queue_arns(synthesized: Any) -> list[Any]:
    return [q.queue.queue_arn for q in synthesized.stack.queues.task_queues.values()]


def test_scheduler(dev: Any) -> None:
    s, engine = dev.stack, dev.stack.engine
    assert _granted(dev, _role(dev, engine.scheduler)) == _common(dev, engine.scheduler) | _expect(
        dev,
        (DLQ_SEND, [s.queues.scheduler_failures.queue.queue_arn]),
        (("dynamodb:ListStreams",), ["*"]),
        (STREAM_READ, [s.storage.journal.table_stream_arn]),
        (
            ("dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
            [s.storage.state.table_arn],
        ),
        (("dynamodb:GetItem", "dynamodb:Query"), [s.storage.metadata.table_arn]),
        (
            ("dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"),
            [s.storage.journal.table_arn],
        ),
        (("sqs:SendMessage",), [s.queues.timers.queue.queue_arn]),
        (("sqs:GetQueueUrl", "sqs:SendMessage"), _task_queue_arns(dev)),
        (("s3:DeleteObject", "s3:GetObject", "s3:PutObject"), _payload_objects(dev)),
        (("s3:ListBucket",), [s.storage.payloads.bucket_arn]),
    )


def test_the_scheduler_lists_only_payload_objects(dev: Any) -> None:
    """DeleteWfRun lists one run's objects; the listing grant stops at runs/."""
    role_ref = {"Ref": dev.logical_id(_role(dev, dev.stack.engine.scheduler))}
    (listing,) = [
        s
        for policy in dev.resources("AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "s3:ListBucket"
    ]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["runs/*"]}}


def test_timers(dev: Any) -> None:
    s, engine = dev.stack, dev.stack.engine
    timer_queue = s.queues.timers.queue.queue_arn
    assert _granted(dev, _role(dev, engine.timers)) == _common(dev, engine.timers) | _expect(
        dev,
        (CONSUME, [timer_queue]),
        (("sqs:SendMessage",), [timer_queue]),
        (("dynamodb:PutItem",), [s.storage.journal.table_arn]),
        (("dynamodb:GetItem",), [s.storage.state.table_arn]),
        (("s3:GetObject",), _payload_objects(dev)),
        # MigrateWfSpec's walk over running WfRuns, a page per message (migrate).
        (("dynamodb:Query",), [f"{s.storage.state.table_arn}/index/byStatusTime"]),
        (("dynamodb:GetItem", "dynamodb:Query"), [s.storage.metadata.table_arn]),
        # Bulk deletes' walk: DeleteWfRun's run-record read, the BulkJob's progress (bulk-jobs).
        (("dynamodb:GetItem",), [s.storage.journal.table_arn]),
        (("dynamodb:PutItem", "dynamodb:DeleteItem"), [s.storage.metadata.table_arn]),
    )


def test_api(dev: Any) -> None:
    s, engine = dev.stack, dev.stack.engine
    state = s.storage.state.table_arn
    assert _granted(dev, _role(dev, engine.api)) == _common(dev, engine.api) | _expect(
        dev,
        # UpdateItem and Query: ExternalEvents posted before their WfRun exists.
        (
            ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
            [s.storage.journal.table_arn],
        ),
        (("dynamodb:GetItem", "dynamodb:Query"), [state]),
        (("dynamodb:Query",), [f"{state}/index/byStatusTime"]),
        (
            ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"),
            [s.storage.metadata.table_arn],
        ),
        (("sqs:GetQueueUrl",), _task_queue_arns(dev)),
        (("s3:GetObject", "s3:PutObject"), _payload_objects(dev)),
        # MigrateWfSpec sends the rest of its walk to the timer queue (migrate).
        (("sqs:SendMessage",), [s.queues.timers.queue.queue_arn]),
        # issue 18: ScheduleWf and DeleteScheduledWfRun, in this stage's group only.
        (
            ("scheduler:CreateSchedule", "scheduler:DeleteSchedule"),
            [s.schedules.schedules_arn],
        ),
    ) | {_passes_the_schedule_role(dev)}


# --- issue 18 (ops-rescue): scheduled WfRuns -------------------------------------------


def _passes_the_schedule_role(dev: Any) -> Statement:
    return _statement(["iam:PassRole"], dev.stack.resolve([dev.stack.schedules.role.role_arn]))


def test_api_passes_the_schedule_role_only_to_eventbridge_scheduler(dev: Any) -> None:
    role_ref = {"Ref": dev.logical_id(dev.stack.engine.roles[dev.stack.engine.api])}
    (passing,) = [
        st
        for policy in dev.resources("AWS::IAM::Policy").values()
        if role_ref in policy["Properties"]["Roles"]
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if st["Action"] == "iam:PassRole"
    ]
    assert passing["Condition"] == {
        "StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}
    }


def test_scheduled_runs(dev: Any) -> None:
    s, engine = dev.stack, dev.stack.engine
    function = engine.scheduled_runs
    assert _granted(dev, _role(dev, function)) == _common(dev, function) | _expect(
        dev,
        (("dynamodb:GetItem", "dynamodb:Query"), [s.storage.metadata.table_arn]),
        (("dynamodb:GetItem", "dynamodb:PutItem"), [s.storage.journal.table_arn]),
        (("dynamodb:GetItem",), [s.storage.state.table_arn]),
    )


def test_schedules_invoke_only_the_scheduled_runs_function(dev: Any) -> None:
    """The execution role: EventBridge Scheduler of this account may assume it, and it may
    invoke the ScheduledRuns function and nothing else."""
    s = dev.stack
    assert _granted(dev, s.schedules.role) == _expect(
        dev, (("lambda:InvokeFunction",), [s.engine.scheduled_runs.function_arn])
    )
    role = dev.resources("AWS::IAM::Role")[dev.logical_id(s.schedules.role)]
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    (group,) = dev.resources("AWS::Scheduler::ScheduleGroup").values()
    assert group["Properties"]["Name"] == "canter-dev"


# --- end of issue 18 -----------------------------------------------------------------


def test_only_the_scheduler_writes_state(dev: Any) -> None:
    """Invariant 2: even DeleteWfRun is journalled and carried out by the scheduler."""
    state = json.dumps([dev.stack.resolve(dev.stack.storage.state.table_arn)], sort_keys=True)
    writes = {
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    }
    engine = dev.stack.engine
    for function in (engine.timers, engine.api):
        for actions, resources in _granted(dev, _role(dev, function)):
            assert not (resources == state and writes & set(actions))


def test_dynamic_queues_let_the_api_create_queues_under_the_stage_prefix(dynamic: Any) -> None:
    engine = dynamic.stack.engine
    pattern = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":sqs:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":canter-dyn-task-*",
            ],
        ]
    }
    api = _granted(dynamic, _role(dynamic, engine.api))
    assert (
        _statement(["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"], pattern) in api
    )
    scheduler = _granted(dynamic, _role(dynamic, engine.scheduler))
    assert _statement(["sqs:GetQueueUrl", "sqs:SendMessage"], pattern) in scheduler
    env = dynamic.resources("AWS::Lambda::Function")
    assert {
        f["Properties"]["Environment"]["Variables"]["CANTER_DYNAMIC_QUEUES"] for f in env.values()
    } == {"true"}


def _all_statements(synthesized: Any) -> list[dict[str, Any]]:
    statements = []
    for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy in synthesized.resources(kind).values():
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize("which", ["dev", "dynamic"])
def test_no_wildcard_actions_and_star_only_where_aws_requires(
    which: str, request: pytest.FixtureRequest
) -> None:
    synthesized = request.getfixturevalue(which)
    for statement in _all_statements(synthesized):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert all("*" not in a for a in actions), statement
        if statement["Resource"] == "*":
            assert set(actions) <= {
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "dynamodb:ListStreams",
            }, statement


def test_no_aws_managed_policies_on_function_roles(dev: Any) -> None:
    # issue 18: the EventBridge Scheduler execution role has its own test above.
    schedules_role = dev.logical_id(dev.stack.schedules.role)
    for logical_id, role in dev.resources("AWS::IAM::Role").items():
        if logical_id == schedules_role:
            continue
        assert "ManagedPolicyArns" not in role["Properties"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


def _invoke_arn(synthesized: Any, rpc: str) -> dict[str, Any]:
    api_id = synthesized.logical_id(synthesized.stack.api.http_api)
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":execute-api:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":",
                {"Ref": api_id},
                f"/$default/POST/{rpc}",
            ],
        ]
    }


def _policy(synthesized: Any, name: str) -> dict[str, Any]:
    (policy,) = [
        p["Properties"]
        for p in synthesized.resources("AWS::IAM::ManagedPolicy").values()
        if p["Properties"]["ManagedPolicyName"] == f"canter-dev-{name}"
    ]
    return policy


def _allowed_rpcs(synthesized: Any, name: str) -> set[str]:
    """The rpcs a policy may invoke, each checked to be exactly its own route's ARN."""
    rpcs = set()
    for statement in _policy(synthesized, name)["PolicyDocument"]["Statement"]:
        if statement["Action"] == "execute-api:Invoke":
            for arn in statement["Resource"]:
                rpc = str(arn["Fn::Join"][1][-1]).removeprefix("/$default/POST/")
                assert arn == _invoke_arn(synthesized, rpc)
                rpcs.add(rpc)
    return rpcs


ROLE_RPCS = {
    "task-worker": {
        "ReportTask",
        "ReportTasks",
        "GetTaskDef",
        "GetTaskDefQueue",
        # TASK_RUNNING (visibility-rest).
        "ReportTaskStarts",
        # Task checkpoints (ops-events).
        "PutCheckpoint",
        "GetCheckpoint",
        "GetServerVersion",
    },
    "reader": {
        "GetTaskDef",
        "GetTaskDefQueue",
        "GetExternalEventDef",
        "GetWfSpec",
        "GetLatestWfSpec",
        "GetWfRun",
        "ListNodeRuns",
        "GetNodeRun",
        "GetTaskRun",
        "ListVariables",
        "GetVariable",
        "ListExternalEvents",
        "SearchWfRun",
        "SearchVariable",
        "SearchTaskRun",
        # visibility-rest.
        "SearchWorkflowEvent",
        "SearchNodeRun",
        "SearchExternalEvent",
        "SearchWfSpec",
        "SearchTaskDef",
        "SearchExternalEventDef",
        "SearchWorkflowEventDef",
        "GetWorkflowEventDef",
        "AwaitWorkflowEvent",
        "ListWorkflowEvents",
        "GetWorkflowEvent",
        "ListTaskRuns",
        "GetExternalEvent",
        # User tasks (issue 14)
        "GetUserTaskDef",
        "GetLatestUserTaskDef",
        "SearchUserTaskDef",
        "GetUserTaskRun",
        "ListUserTaskRuns",
        "SearchUserTaskRun",
        # issue 18 (ops-rescue)
        "GetScheduledWfRun",
        "SearchScheduledWfRun",
        # Correlated events (ops-events).
        "GetCorrelatedEvent",
        "SearchCorrelatedEvent",
        # Task checkpoints (ops-events).
        "GetCheckpoint",
        # StructDefs (ops-events).
        "GetStructDef",
        "SearchStructDef",
        "ValidateStructDefEvolution",
        # WfSpec migration (migrate).
        "GetWorkflowMigrationPlan",
        "SearchWorkflowMigrationPlan",
        # GetInactiveThreadRun (ops-misc).
        "GetInactiveThreadRun",
        # BulkJobs (bulk-jobs).
        "GetBulkJob",
        "SearchBulkJob",
        "GetServerVersion",
    },
    "operator": {
        "RunWf",
        "PutExternalEvent",
        "StopWfRun",
        "ResumeWfRun",
        "DeleteWfRun",
        "CancelUserTaskRun",
        # issue 18 (ops-rescue)
        "RescueThreadRun",
        "ScheduleWf",
        "DeleteScheduledWfRun",
        # Correlated events (ops-events): events to WfRuns, by key.
        "PutCorrelatedEvent",
        "DeleteCorrelatedEvent",
        # WfSpec migration (migrate): moves one WfRun by a plan.
        "ApplyWorkflowMigrationPlan",
        # BulkJobs (bulk-jobs): bulk deletes of WfRuns.
        "CreateBulkJob",
        "DeleteBulkJob",
        "GetServerVersion",
    },
    "admin": {
        "PutTaskDef",
        "PutExternalEventDef",
        "PutWfSpec",
        "PutWorkflowEventDef",
        "DeleteWfSpec",
        "DeleteTaskDef",
        "DeleteExternalEventDef",
        "DeleteWorkflowEventDef",
        # User tasks (issue 14)
        "PutUserTaskDef",
        "DeleteUserTaskDef",
        # StructDefs (ops-events).
        "PutStructDef",
        "DeleteStructDef",
        # WfSpec migration (migrate).
        "MigrateWfSpec",
        "PutWorkflowMigrationPlan",
        "DeleteWorkflowMigrationPlan",
        "GetServerVersion",
    },
    # User tasks (issue 14): a people's app (an inbox) changes only UserTaskRuns.
    "assignee": {
        "AssignUserTaskRun",
        "CompleteUserTaskRun",
        "SaveUserTaskRunProgress",
        "CancelUserTaskRun",
        "PutUserTaskRunComment",
        "EditUserTaskRunComment",
        "DeleteUserTaskRunComment",
        "GetServerVersion",
    },
}
# Reads that are not named Get, List or Search: a client awaits a WorkflowEvent as it reads one.
OTHER_READS = {"AwaitWorkflowEvent", "ValidateStructDefEvolution"}


@pytest.mark.parametrize("name", sorted(ROLE_RPCS))
def test_each_role_policy_allows_exactly_its_rpcs(dev: Any, name: str) -> None:
    """Issue 11: a worker can no longer PutWfSpec, DeleteWfRun or StopWfRun."""
    assert _allowed_rpcs(dev, name) == ROLE_RPCS[name]


def test_every_rpc_belongs_to_a_role_and_only_workers_report(dev: Any) -> None:
    from canter_engine.handlers.routes import ROUTES

    assert set().union(*ROLE_RPCS.values()) == {route.rpc for route in ROUTES}
    reporters = [name for name, rpcs in ROLE_RPCS.items() if rpcs & {"ReportTask", "ReportTasks"}]
    assert reporters == ["task-worker"]
    readers = {r.rpc for r in ROUTES if r.rpc.startswith(("Get", "List", "Search"))}
    assert readers | OTHER_READS == ROLE_RPCS["reader"]
    definitions = {r.rpc for r in ROUTES if r.rpc.startswith(("Put", "Delete"))} - {
        "PutExternalEvent",
        "DeleteWfRun",
        "PutUserTaskRunComment",
        "DeleteUserTaskRunComment",
        # issue 18 (ops-rescue): a schedule starts runs, so it is the operator's
        "DeleteScheduledWfRun",
        # Correlated events (ops-events): operators post and withdraw events, not definitions.
        "PutCorrelatedEvent",
        "DeleteCorrelatedEvent",
        # Task checkpoints (ops-events): a worker saves its attempt's steps.
        "PutCheckpoint",
        # BulkJobs (bulk-jobs): an operator deletes WfRuns in bulk and its finished jobs.
        "DeleteBulkJob",
    }
    # WfSpec migration (migrate): MigrateWfSpec changes a definition (and its WfRuns).
    # GetServerVersion is every role's: any client may ask what the API speaks.
    assert definitions | {"MigrateWfSpec", "GetServerVersion"} == ROLE_RPCS["admin"]


def test_only_the_worker_policy_consumes_task_queues(dev: Any) -> None:
    for name in ROLE_RPCS:
        statements = _policy(dev, name)["PolicyDocument"]["Statement"]
        queue_statements = [s for s in statements if s["Action"] != "execute-api:Invoke"]
        if name != "task-worker":
            assert queue_statements == []
            continue
        consume, read = queue_statements
        assert _statement(read["Action"], read["Resource"]) == _statement(
            "s3:GetObject", dev.stack.resolve(_payload_objects(dev))
        )
        assert _statement(consume["Action"], consume["Resource"]) == _statement(
            [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueUrl",
                "sqs:GetQueueAttributes",
            ],
            dev.stack.resolve(_task_queue_arns(dev)),
        )
