"""Hostile input over HTTP to every rpc: a 4xx that says what and where, never a 5xx or a hang.

Each example takes a valid request of one rpc against real definitions and
one WfRun, and breaks it in one of the ways issue 11 found answered with a
500 (deep nesting, invalid UTF-8, lone surrogates, NaN and Infinity,
non-string enums, overlong ids, names and guids, forged bookmarks, integers
out of range, wrong JSON types). Afterwards the stack still runs WfRuns.
"""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.local import LocalStack
from canter_engine.handlers.limits import MAX_REQUEST_BYTES
from canter_engine.handlers.routes import ROUTES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import int_input

pytestmark = pytest.mark.e2e

EXAMPLES = 150
MAX_SECONDS = 2.0
STATUSES: Counter[int] = Counter()

# Kinds of field: what a broken value of each looks like.
NAME, NEW_RUN_ID, RUN_ID, ID, GUID, INT, ENUM, VALUE, BOOKMARK, TEXT, LIST, CONTENT_TYPE = (
    "name",
    "new_run_id",
    "run_id",
    "id",
    "guid",
    "int",
    "enum",
    "value",
    "bookmark",
    "text",
    "list",
    "content_type",
)
# A definition no example registers: what the Delete* examples name.
MISSING = "fuzz-no-such-definition"
INT_CONTENT = {"returnType": {"primitiveType": "INT"}}
USER_TASK_DEF = "fuzz-form"


@dataclass(frozen=True)
class Setup:
    task: str
    event: str
    wf_event: str
    wf_spec: str
    wf_run: str
    spec_body: dict[str, Any]


def _requests(s: Setup) -> dict[str, tuple[dict[str, Any], dict[tuple[str, ...], str]]]:
    """Per rpc: a valid request, and the fields the fuzzer breaks (path -> kind).

    Deletes name definitions that do not exist (a valid one answers NOT_FOUND),
    so that no example takes the fixture's definitions from the others; the
    awaited WorkflowEvent was thrown already, so a valid await answers at once.
    """
    run = {"wfRunId": {"id": s.wf_run}}
    paging = {("limit",): INT, ("bookmark",): BOOKMARK}
    event_id = {**run, "workflowEventDefId": {"name": s.wf_event}, "number": 0}
    utr_id = {**run, "userTaskGuid": "0-1"}
    on_run = {("userTaskRunId", "wfRunId", "id"): ID, ("userTaskRunId", "userTaskGuid"): GUID}
    throw = f"1-throw-{s.wf_event}-THROW_EVENT"
    thread_moves = {
        "entrypoint": {
            "newThreadSpecName": "entrypoint",
            "nodeMigrations": {throw: {"newNodeName": throw}},
        }
    }
    plan_threads = {
        "entrypoint": {
            "newThreadName": "entrypoint",
            "nodeMigrations": {throw: {"newNodeName": throw}},
        }
    }
    return {
        "PutTaskDef": (
            {"name": s.task, **int_input()},
            {("name",): NAME, ("description",): TEXT},
        ),
        "GetTaskDef": ({"name": s.task}, {("name",): ID}),
        "GetTaskDefQueue": ({"name": s.task}, {("name",): ID}),
        "PutExternalEventDef": ({"name": s.event}, {("name",): NAME}),
        "GetExternalEventDef": ({"name": s.event}, {("name",): ID}),
        "PutWfSpec": (s.spec_body, {("name",): NAME, ("entrypointThreadName",): ID}),
        "GetWfSpec": (
            {"name": s.wf_spec},
            {("name",): ID, ("majorVersion",): INT, ("revision",): INT},
        ),
        "GetLatestWfSpec": ({"name": s.wf_spec}, {("name",): ID, ("majorVersion",): INT}),
        "RunWf": (
            {"wfSpecName": s.wf_spec, "variables": {"n": {"int": 1}}},
            {
                ("wfSpecName",): ID,
                ("id",): NEW_RUN_ID,
                ("variables", "n"): VALUE,
                ("revision",): INT,
            },
        ),
        "GetWfRun": ({"id": s.wf_run}, {("id",): ID}),
        "ListNodeRuns": (
            run,
            {("wfRunId", "id"): ID, ("threadRunNumber",): INT, ("bookmark",): BOOKMARK},
        ),
        "GetNodeRun": (
            {**run, "threadRunNumber": 0, "position": 0},
            {("wfRunId", "id"): ID, ("threadRunNumber",): INT, ("position",): INT},
        ),
        "GetTaskRun": ({**run, "taskGuid": "0-1"}, {("wfRunId", "id"): ID, ("taskGuid",): GUID}),
        "ListVariables": (run, {("wfRunId", "id"): ID, ("bookmark",): BOOKMARK, ("limit",): INT}),
        "GetVariable": (
            {**run, "threadRunNumber": 0, "name": "n"},
            {("wfRunId", "id"): ID, ("threadRunNumber",): INT, ("name",): ID},
        ),
        "PutExternalEvent": (
            {**run, "externalEventDefId": {"name": s.event}, "content": {"int": 1}},
            {
                ("wfRunId", "id"): ID,
                ("externalEventDefId", "name"): ID,
                ("content",): VALUE,
                ("guid",): GUID,
                ("threadRunNumber",): INT,
            },
        ),
        "ListExternalEvents": (run, {("wfRunId", "id"): ID, ("bookmark",): BOOKMARK}),
        "StopWfRun": (run, {("wfRunId", "id"): ID, ("threadRunNumber",): INT}),
        "ResumeWfRun": (run, {("wfRunId", "id"): ID, ("threadRunNumber",): INT}),
        "DeleteWfRun": ({"id": {"id": s.wf_run}}, {("id", "id"): ID}),
        "SearchWfRun": (
            {"wfSpecName": s.wf_spec, "parentWfRunId": {"id": s.wf_run}},
            {
                ("wfSpecName",): ID,
                ("status",): ENUM,
                ("parentWfRunId", "id"): RUN_ID,
                **paging,
            },
        ),
        "SearchVariable": (
            {"wfSpecName": s.wf_spec, "varName": "n", "value": {"int": 1}},
            {
                ("wfSpecName",): ID,
                ("varName",): ID,
                ("value",): VALUE,
                ("wfSpecMajorVersion",): INT,
                **paging,
            },
        ),
        "SearchTaskRun": (
            {"taskDefName": s.task},
            {
                ("taskDefName",): ID,
                ("status",): ENUM,
                ("earliestStart",): TEXT,
                ("latestStart",): TEXT,
                **paging,
            },
        ),
        # SearchWorkflowEvent (visibility-rest).
        "SearchWorkflowEvent": (
            {"workflowEventDefId": {"name": s.wf_event}},
            {
                ("workflowEventDefId", "name"): ID,
                ("earliestStart",): TEXT,
                ("latestStart",): TEXT,
                **paging,
            },
        ),
        "SearchNodeRun": (
            {"externalEventDef": {"name": s.event}},
            {
                ("externalEventDef", "name"): ID,
                ("status",): ENUM,
                ("earliestStart",): TEXT,
                **paging,
            },
        ),
        "SearchExternalEvent": (
            {"externalEventDefId": {"name": s.event}},
            {("externalEventDefId", "name"): ID, ("latestStart",): TEXT, **paging},
        ),
        "ReportTask": (
            {
                "taskRunId": {"wfRunId": {"id": s.wf_run}, "taskGuid": "0-1"},
                "attemptNumber": 0,
                "status": "TASK_SUCCESS",
                "output": {"int": 1},
            },
            {
                ("taskRunId", "wfRunId", "id"): ID,
                ("taskRunId", "taskGuid"): GUID,
                ("attemptNumber",): INT,
                ("status",): ENUM,
                ("output",): VALUE,
            },
        ),
        # TASK_RUNNING (visibility-rest): a worker's notice that an attempt is running.
        "ReportTaskStarts": (
            {
                "starts": [
                    {
                        "taskRunId": {"wfRunId": {"id": s.wf_run}, "taskGuid": "0-1"},
                        "attemptNumber": 0,
                        "startTime": "2026-01-01T00:00:00Z",
                        "workerId": "fuzz-worker",
                    }
                ]
            },
            {
                ("starts",): LIST,
                ("starts", "0", "taskRunId", "wfRunId", "id"): ID,
                ("starts", "0", "taskRunId", "taskGuid"): GUID,
                ("starts", "0", "attemptNumber"): INT,
                ("starts", "0", "startTime"): TEXT,
                ("starts", "0", "workerId"): TEXT,
            },
        ),
        "SearchWfSpec": ({"prefix": "fuzz"}, {("prefix",): ID, **paging}),
        "SearchTaskDef": ({"prefix": "fuzz"}, {("prefix",): ID, **paging}),
        "SearchExternalEventDef": ({"prefix": "fuzz"}, {("prefix",): ID, **paging}),
        "SearchWorkflowEventDef": ({"prefix": "fuzz"}, {("prefix",): ID, **paging}),
        "DeleteWfSpec": (
            {"id": {"name": MISSING, "majorVersion": 0, "revision": 0}},
            {("id", "name"): ID, ("id", "majorVersion"): INT, ("id", "revision"): INT},
        ),
        "DeleteTaskDef": ({"id": {"name": MISSING}}, {("id", "name"): ID}),
        "DeleteExternalEventDef": ({"id": {"name": MISSING}}, {("id", "name"): ID}),
        "DeleteWorkflowEventDef": ({"id": {"name": MISSING}}, {("id", "name"): ID}),
        "PutWorkflowEventDef": (
            {"name": s.wf_event, "contentType": INT_CONTENT},
            {("name",): NAME, ("contentType",): CONTENT_TYPE},
        ),
        "GetWorkflowEventDef": ({"name": s.wf_event}, {("name",): ID}),
        "AwaitWorkflowEvent": (
            {
                **run,
                "eventDefIds": [{"name": s.wf_event}],
                "workflowEventsToIgnore": [{**event_id, "number": 1}],
            },
            {
                ("wfRunId", "id"): ID,
                ("eventDefIds",): LIST,
                ("eventDefIds", "0", "name"): ID,
                ("workflowEventsToIgnore",): LIST,
                ("workflowEventsToIgnore", "0", "wfRunId", "id"): ID,
                ("workflowEventsToIgnore", "0", "workflowEventDefId", "name"): ID,
                ("workflowEventsToIgnore", "0", "number"): INT,
            },
        ),
        "ListWorkflowEvents": (run, {("wfRunId", "id"): ID, **paging}),
        "GetWorkflowEvent": (
            event_id,
            {
                ("wfRunId", "id"): ID,
                ("workflowEventDefId", "name"): ID,
                ("number",): INT,
            },
        ),
        "ListTaskRuns": (run, {("wfRunId", "id"): ID, **paging}),
        "GetExternalEvent": (
            {**run, "externalEventDefId": {"name": s.event}, "guid": "g-1"},
            {("wfRunId", "id"): ID, ("externalEventDefId", "name"): ID, ("guid",): GUID},
        ),
        # User tasks (issue 14): the Put comes before the reads of the def it registers.
        "PutUserTaskDef": (
            {"name": USER_TASK_DEF, "fields": [{"name": "ok", "type": "BOOL", "required": True}]},
            {("name",): NAME, ("description",): TEXT, ("fields",): LIST},
        ),
        "GetUserTaskDef": ({"name": USER_TASK_DEF}, {("name",): ID, ("version",): INT}),
        "GetLatestUserTaskDef": ({"name": USER_TASK_DEF}, {("name",): ID}),
        "SearchUserTaskDef": ({"prefix": "fuzz"}, {("prefix",): ID, **paging}),
        "DeleteUserTaskDef": (
            {"id": {"name": MISSING, "version": 0}},
            {("id", "name"): ID, ("id", "version"): INT},
        ),
        # The fixture's WfRun has no user task: the UserTaskRun rpcs answer NOT_FOUND.
        "GetUserTaskRun": (utr_id, {("wfRunId", "id"): ID, ("userTaskGuid",): GUID}),
        "ListUserTaskRuns": (run, {("wfRunId", "id"): ID, **paging}),
        "SearchUserTaskRun": (
            {"userGroup": "finance", "userId": "alice", "userTaskDefName": USER_TASK_DEF},
            {
                ("userGroup",): ID,
                ("userId",): ID,
                ("userTaskDefName",): ID,
                ("earliestStart",): TEXT,
                **paging,
            },
        ),
        "AssignUserTaskRun": (
            {"userTaskRunId": utr_id, "userId": "alice"},
            {**on_run, ("userId",): ID, ("userGroup",): ID},
        ),
        "CompleteUserTaskRun": (
            {"userTaskRunId": utr_id, "results": {"ok": {"bool": True}}},
            {**on_run, ("results", "ok"): VALUE, ("userId",): ID},
        ),
        "SaveUserTaskRunProgress": (
            {"userTaskRunId": utr_id, "userId": "alice", "results": {"ok": {"bool": True}}},
            {**on_run, ("results", "ok"): VALUE, ("policy",): ENUM},
        ),
        "CancelUserTaskRun": ({"userTaskRunId": utr_id}, on_run),
        "PutUserTaskRunComment": (
            {"userTaskRunId": utr_id, "userId": "alice", "comment": "hi"},
            {**on_run, ("userId",): ID, ("comment",): TEXT},
        ),
        "EditUserTaskRunComment": (
            {"userTaskRunId": utr_id, "userId": "alice", "comment": "hi", "userCommentId": 1},
            {**on_run, ("userCommentId",): INT, ("comment",): TEXT},
        ),
        "DeleteUserTaskRunComment": (
            {"userTaskRunId": utr_id, "userId": "alice", "userCommentId": 1},
            {**on_run, ("userCommentId",): INT, ("userId",): ID},
        ),
        # issue 18, operating WfRuns (ops-rescue): the fixture's run is COMPLETED.
        "RescueThreadRun": (
            {**run, "threadRunNumber": 0},
            {("wfRunId", "id"): ID, ("threadRunNumber",): INT},
        ),
        "ScheduleWf": (
            {
                "id": "fuzz-schedule",
                "wfSpecName": s.wf_spec,
                "variables": {"n": {"int": 1}},
                "cronExpression": "0 0 * * *",
            },
            {
                ("id",): NAME,
                ("wfSpecName",): ID,
                ("variables", "n"): VALUE,
                ("majorVersion",): INT,
                ("cronExpression",): TEXT,
            },
        ),
        "GetScheduledWfRun": ({"id": "fuzz-schedule"}, {("id",): ID}),
        "SearchScheduledWfRun": (
            {"wfSpecName": s.wf_spec},
            {("wfSpecName",): ID, ("majorVersion",): INT, ("revision",): INT},
        ),
        "DeleteScheduledWfRun": ({"id": {"id": MISSING}}, {("id", "id"): ID}),
        # Correlated events (ops-events).
        "PutCorrelatedEvent": (
            {"key": "k-1", "externalEventDefId": {"name": s.event}, "content": {"int": 1}},
            {("key",): ID, ("externalEventDefId", "name"): ID, ("content",): VALUE},
        ),
        "GetCorrelatedEvent": (
            {"key": "k-1", "externalEventDefId": {"name": s.event}},
            {("key",): ID, ("externalEventDefId", "name"): ID},
        ),
        "DeleteCorrelatedEvent": (
            {"id": {"key": "k-1", "externalEventDefId": {"name": s.event}}},
            {("id", "key"): ID, ("id", "externalEventDefId", "name"): ID},
        ),
        "SearchCorrelatedEvent": (
            {"externalEventDefId": {"name": s.event}, "hasExternalEvents": True},
            {("externalEventDefId", "name"): ID, ("latestStart",): TEXT, **paging},
        ),
        # Task checkpoints (ops-events).
        "PutCheckpoint": (
            {
                "taskRunId": {"wfRunId": {"id": s.wf_run}, "taskGuid": "0-1"},
                "taskAttempt": 0,
                "value": {"int": 1},
                "logs": "step",
            },
            {
                ("taskRunId", "wfRunId", "id"): RUN_ID,
                ("taskRunId", "taskGuid"): GUID,
                ("taskAttempt",): INT,
                ("value",): VALUE,
                ("logs",): TEXT,
            },
        ),
        "GetCheckpoint": (
            {"taskRun": {"wfRunId": {"id": s.wf_run}, "taskGuid": "0-1"}, "checkpointNumber": 0},
            {
                ("taskRun", "wfRunId", "id"): RUN_ID,
                ("taskRun", "taskGuid"): GUID,
                ("checkpointNumber",): INT,
            },
        ),
        # StructDefs (ops-events).
        "PutStructDef": (
            {
                "name": "fuzz-struct",
                "structDef": {"fields": {"model": {"fieldType": {"primitiveType": "STR"}}}},
            },
            {
                ("name",): NAME,
                ("description",): TEXT,
                ("structDef", "fields", "model", "fieldType", "primitiveType"): ENUM,
                ("structDef", "fields", "model", "defaultValue"): VALUE,
                ("allowedUpdates",): ENUM,
            },
        ),
        # WfSpec migration (migrate): the fixture's WfSpec has one version, so a migration
        # names a version that does not exist; a plan maps the version onto itself.
        "MigrateWfSpec": (
            {
                "oldWfSpec": {"name": s.wf_spec},
                "migration": {"newMajorVersion": 9, "threadSpecMigrations": thread_moves},
            },
            {
                ("oldWfSpec", "name"): ID,
                ("oldWfSpec", "majorVersion"): INT,
                ("migration", "newMajorVersion"): INT,
                ("migration", "threadSpecMigrations", "entrypoint", "newThreadSpecName"): ID,
                ("migration", "threadSpecMigrations", "entrypoint", "nodeMigrations"): LIST,
            },
        ),
        "PutWorkflowMigrationPlan": (
            {
                "name": "fuzz-plan",
                "oldWfSpec": {"name": s.wf_spec},
                "threadMigrations": plan_threads,
            },
            {
                ("name",): NAME,
                ("oldWfSpec", "name"): ID,
                ("majorVersion",): INT,
                ("revision",): INT,
                ("threadMigrations", "entrypoint", "newThreadName"): ID,
                ("threadMigrations", "entrypoint", "nodeMigrations", throw, "newNodeName"): ID,
            },
        ),
        "GetWorkflowMigrationPlan": ({"name": "fuzz-plan"}, {("name",): ID}),
        "DeleteWorkflowMigrationPlan": ({"id": {"name": MISSING}}, {("id", "name"): ID}),
        "SearchWorkflowMigrationPlan": ({"prefix": "fuzz-"}, {("prefix",): ID, **paging}),
        "ApplyWorkflowMigrationPlan": (
            {
                "id": {"name": "fuzz-plan"},
                **run,
                "migrationVarsByThread": {
                    "entrypoint": {"varAssignmentByVarName": {"n": {"literalValue": {"int": 2}}}}
                },
            },
            {
                ("id", "name"): ID,
                ("wfRunId", "id"): RUN_ID,
                (
                    "migrationVarsByThread",
                    "entrypoint",
                    "varAssignmentByVarName",
                    "n",
                    "literalValue",
                ): VALUE,
            },
        ),
        "GetStructDef": ({"name": "fuzz-struct"}, {("name",): NAME, ("version",): INT}),
        "DeleteStructDef": (
            {"id": {"name": MISSING}},
            {("id", "name"): NAME, ("id", "version"): INT},
        ),
        "SearchStructDef": ({"prefix": "fuzz-"}, {("prefix",): ID, **paging}),
        "ValidateStructDefEvolution": (
            {
                "structDefId": {"name": "fuzz-struct", "version": -1},
                "structDef": {"fields": {"model": {"fieldType": {"primitiveType": "STR"}}}},
                "compatibilityType": "FULLY_COMPATIBLE_SCHEMA_UPDATES",
            },
            {
                ("structDefId", "name"): NAME,
                ("structDefId", "version"): INT,
                ("structDef", "fields", "model", "fieldType", "primitiveType"): ENUM,
                ("compatibilityType",): ENUM,
            },
        ),
        # GetServerVersion takes LittleHorse's Empty: any field is one too many.
        "GetServerVersion": ({}, {("unexpected",): ID}),
        # BulkJobs (bulk-jobs): a bulk delete of the fixture's WfSpec's ERROR runs (it has
        # none: its run completed), and a job that does not exist to read or delete.
        "CreateBulkJob": (
            {"bulkDeleteWfRun": {"wfSpecName": s.wf_spec, "wfRunStatus": "ERROR"}},
            {
                ("id",): GUID,
                ("bulkDeleteWfRun", "wfSpecName"): NAME,
                ("bulkDeleteWfRun", "wfRunStatus"): ENUM,
                ("bulkDeleteWfRun", "earliestStart"): TEXT,
                ("bulkDeleteWfRun", "latestStart"): TEXT,
            },
        ),
        "GetBulkJob": ({"id": {"id": MISSING}}, {("id", "id"): GUID}),
        "SearchBulkJob": ({"status": "BULK_JOB_COMPLETED"}, {("status",): ENUM, **paging}),
        "DeleteBulkJob": ({"id": {"id": MISSING}}, {("id", "id"): GUID}),
        # GetInactiveThreadRun (ops-misc): the fixture's run has only its entrypoint.
        "GetInactiveThreadRun": (
            {**run, "threadRunNumber": 0},
            {("wfRunId", "id"): ID, ("threadRunNumber",): INT},
        ),
    }


# null is a field at its default (absent) in proto3 JSON, so it is not among them.
NOT_STRINGS = st.sampled_from([7, 1.5, True, [], {"a": 1}, ["x"]])
OVERLONG = st.sampled_from(["a" * 3000, "é" * 1500, "0" * 5000])
BAD_NAMES = st.sampled_from(
    ["a#b", "a/b", "a b", "a\u0000b", "-a", "a-", "a_b", "x" * 129, "ü", "a\nb"]
)
REFERENCE_BREAKERS = ["a#b", "a/b", "a b", "a\u0000b"]
BAD_GUIDS = st.sampled_from(["a#b", "\u0000", "x" * 3000])
BAD_INTS = st.sampled_from(
    [2**63, -(2**63) - 1, 2**31, "abc", "1e3", 1.5, True, {}, [], "9" * 5000]
)
BAD_VALUES = st.sampled_from(
    [
        {"int": 2**63},
        {"int": "nope"},
        {"double": "x"},
        {"int": 1, "str": "a"},
        {"colour": 1},
        "plain",
        [1],
        {"jsonObj": "{"},
        {"bytes": "%%%"},
    ]
)
FOREIGN_BOOKMARKS = st.sampled_from(
    [
        "eyJhIjoxfQ==",
        "!!!",
        "x" * 5000,
        7,
        base64.urlsafe_b64encode(b'{"k":"zzz","a":"zzz"}').decode(),
        base64.urlsafe_b64encode(
            json.dumps(
                {
                    "pk": {"S": "other"},
                    "sk": {"S": "head"},
                    "gsi1pk": {"S": "another-spec"},
                    "gsi1sk": {"S": "RUNNING#other"},
                }
            ).encode()
        ).decode(),
    ]
)

FIELD_BREAKERS = {
    NAME: st.one_of(NOT_STRINGS, OVERLONG, BAD_NAMES),
    # RunWf takes LittleHorse's ids (at most 128 characters); a child's id,
    # `<parent>_<suffix>`, may be longer, so a reference of 129 is no error.
    NEW_RUN_ID: st.one_of(NOT_STRINGS, OVERLONG, st.sampled_from([*REFERENCE_BREAKERS, "x" * 129])),
    RUN_ID: st.one_of(NOT_STRINGS, OVERLONG, st.sampled_from(REFERENCE_BREAKERS)),
    ID: st.one_of(NOT_STRINGS, OVERLONG),
    GUID: st.one_of(NOT_STRINGS, BAD_GUIDS),
    INT: BAD_INTS,
    ENUM: st.one_of(NOT_STRINGS, st.sampled_from(["DONE", "task_success", "x" * 3000])),
    VALUE: BAD_VALUES,
    BOOKMARK: FOREIGN_BOOKMARKS,
    # Over the API's request limit (large values: handlers/limits.py).
    TEXT: st.one_of(NOT_STRINGS, st.just("x" * (MAX_REQUEST_BYTES + 1))),
    LIST: st.sampled_from([7, "x", {"a": 1}, [7], ["x"], [[]], [{"name": {"a": 1}}]]),
    CONTENT_TYPE: st.sampled_from(
        [
            7,
            "INT",
            [],
            {"returnType": 7},
            {"returnType": {"primitiveType": "COLOUR"}},
            {"returnType": {"primitiveType": {"a": 1}}},
            {"returnType": {"primitiveType": "STR"}},
            {"returnType": {"primitiveType": "INT", "extra": 1}},
            {"colour": 1},
        ]
    ),
}

# Breakages of the body as a whole, as raw bytes of a given valid body.
RAW_BREAKERS = (
    "deep",
    "invalid_utf8",
    "nan",
    "infinity",
    "huge_float",
    "surrogate",
    "not_object",
    "truncated",
)


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
    target[path[-1]] = value
    return copy


def _raw(kind: str, body: dict[str, Any], path: tuple[str, ...]) -> bytes:
    marker = "\u2603MARK\u2603"
    text = json.dumps(_set(body, path, marker))
    quoted = json.dumps(marker)
    replacement = {
        "deep": "[" * 5000 + "]" * 5000,
        "nan": "NaN",
        "infinity": "-Infinity",
        "huge_float": "1e999",
        "surrogate": '"\\ud800x"',
        "invalid_utf8": '"\udcff"',
    }.get(kind)
    if kind == "not_object":
        return b'["a", 1]'
    if kind == "truncated":
        return text[: len(text) // 2].encode()
    assert replacement is not None
    raw = text.replace(quoted, replacement)
    if kind == "invalid_utf8":
        return raw.encode("utf-8", "surrogateescape")
    return raw.encode()


@pytest.fixture(scope="module")
def setup(client: Client, names: Any) -> Setup:
    task, event, wf_event, wf_spec = names("task"), names("event"), names("wfevent"), names("wf")
    client.put_task_def({"name": task, **int_input()})
    client.put_external_event_def(event)
    client.put_workflow_event_def(wf_event, INT_CONTENT)

    def body(wf: WorkflowThread) -> None:
        wf.throw_event(wf_event, wf.declare_int("n").searchable())

    spec = Workflow(wf_spec, body).compile()
    client.put_wf_spec(spec)
    wf_run = client.run_wf(wf_spec, {"n": 1})["id"]["id"]
    client.wait_for_wf_run(wf_run)
    client.put_external_event(wf_run, event, 1, guid="g-1")
    return Setup(task, event, wf_event, wf_spec, wf_run, spec)


@pytest.fixture(scope="module")
def names(request: pytest.FixtureRequest) -> Any:
    return lambda what: f"fuzz-{what}"


@pytest.fixture(scope="module")
def connection(stack: LocalStack) -> Iterator[http.client.HTTPConnection]:
    url = urlsplit(stack.api_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    yield connection
    connection.close()


@st.composite
def broken_requests(draw: st.DrawFn, requests: dict[str, Any]) -> tuple[str, bytes, str]:
    rpc = draw(st.sampled_from(sorted(requests)))
    body, fields = requests[rpc]
    path = draw(st.sampled_from(sorted(fields)))
    if draw(st.integers(0, 3)) == 0:
        kind = draw(st.sampled_from(RAW_BREAKERS))
        return rpc, _raw(kind, body, path), kind
    bad = draw(FIELD_BREAKERS[fields[path]])
    return rpc, json.dumps(_set(body, path, bad)).encode(), ".".join(path)


def test_every_rpc_has_a_fuzzed_request() -> None:
    empty = Setup("t", "e", "v", "w", "r", {})
    assert set(_requests(empty)) | {"ReportTasks"} == {route.rpc for route in ROUTES}


# What the unbroken request answers where it is not OK: reports need their attempt's
# token, the Delete* examples name definitions that do not exist, and the fixture's
# WfRun has no TaskRun 0-1 (its task is never run).
UNBROKEN_REFUSALS = {
    "ReportTask": "UNAUTHENTICATED",
    "ReportTaskStarts": "UNAUTHENTICATED",
    "DeleteWfSpec": "NOT_FOUND",
    "DeleteTaskDef": "NOT_FOUND",
    "DeleteExternalEventDef": "NOT_FOUND",
    "DeleteWorkflowEventDef": "NOT_FOUND",
    "GetTaskRun": "NOT_FOUND",
    "DeleteUserTaskDef": "NOT_FOUND",
    "GetUserTaskRun": "NOT_FOUND",
    "AssignUserTaskRun": "NOT_FOUND",
    "CompleteUserTaskRun": "NOT_FOUND",
    "SaveUserTaskRunProgress": "NOT_FOUND",
    "CancelUserTaskRun": "NOT_FOUND",
    "PutUserTaskRunComment": "NOT_FOUND",
    "EditUserTaskRunComment": "NOT_FOUND",
    "DeleteUserTaskRunComment": "NOT_FOUND",
    # issue 18 (ops-rescue): the fixture's WfRun completed, so there is nothing to rescue.
    "RescueThreadRun": "FAILED_PRECONDITION",
    "DeleteScheduledWfRun": "NOT_FOUND",
    # Correlated events (ops-events): the fixture's ExternalEventDef has no
    # correlatedEventConfig, so it takes none and there is none to get or delete.
    "PutCorrelatedEvent": "INVALID_ARGUMENT",
    "GetCorrelatedEvent": "NOT_FOUND",
    "DeleteCorrelatedEvent": "NOT_FOUND",
    # Task checkpoints (ops-events): only the worker holding the attempt may save one,
    # and the fixture's WfRun has no task.
    "PutCheckpoint": "UNAUTHENTICATED",
    "GetCheckpoint": "NOT_FOUND",
    # StructDefs (ops-events): the Delete example names one that does not exist.
    "DeleteStructDef": "NOT_FOUND",
    # WfSpec migration (migrate): the fixture's WfSpec has no version 9, the Delete example
    # names a plan that does not exist, and the fixture's WfRun has completed.
    "MigrateWfSpec": "NOT_FOUND",
    "DeleteWorkflowMigrationPlan": "NOT_FOUND",
    "ApplyWorkflowMigrationPlan": "FAILED_PRECONDITION",
    # GetInactiveThreadRun (ops-misc): an entrypoint ThreadRun is never inactive.
    "GetInactiveThreadRun": "NOT_FOUND",
    # BulkJobs (bulk-jobs): the Get and Delete examples name a job that does not exist.
    "GetBulkJob": "NOT_FOUND",
    "DeleteBulkJob": "NOT_FOUND",
}


def test_the_unbroken_requests_are_answered(
    setup: Setup, connection: http.client.HTTPConnection
) -> None:
    """Each fuzzed request is one field away from a request the API serves, so a refusal
    is about the broken field. DeleteWfRun is left out: it would delete the fixture's run."""
    requests = _requests(setup)
    del requests["DeleteWfRun"]
    answers = {}
    for rpc, (body, _) in requests.items():
        connection.request("POST", f"/{rpc}", body=json.dumps(body).encode())
        response = connection.getresponse()
        answer = json.loads(response.read())
        answers[rpc] = "OK" if response.status == 200 else answer["code"]
    assert answers == {rpc: UNBROKEN_REFUSALS.get(rpc, "OK") for rpc in requests}


def test_hostile_requests_get_a_4xx_that_says_what_and_where(
    setup: Setup, connection: http.client.HTTPConnection, client: Client
) -> None:
    """Issue 11 item 5: 176 of 6,346 fuzzed requests used to get a 500."""
    requests = _requests(setup)
    report, report_fields = requests["ReportTask"]
    requests["ReportTasks"] = (
        {"reports": [report]},
        {("reports",): VALUE, **{("reports", "0", *path): k for path, k in report_fields.items()}},
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(broken_requests(requests))
    def one(case: tuple[str, bytes, str]) -> None:
        rpc, raw, where = case
        started = time.monotonic()
        headers = {"Content-Type": "application/json"}
        connection.request("POST", f"/{rpc}", body=raw, headers=headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        elapsed = time.monotonic() - started
        STATUSES[response.status] += 1
        assert elapsed < MAX_SECONDS, (rpc, where, elapsed)
        if rpc == "ReportTasks" and response.status == 200:
            (result,) = answer["results"]
            status, message = result["code"], result["message"]
        else:
            assert 400 <= response.status < 500, (rpc, where, raw[:200], answer)
            status, message = answer["code"], answer["message"]
        assert status != "INTERNAL" and message, (rpc, where, answer)
        field_named = any(part in message for part in where.split(".")) or rpc in message
        # A report may be refused first for lacking its attempt's Canter-Task-Token.
        token = "Canter-Task-Token" in message
        assert field_named or token or "does not exist" in message, (rpc, where, message)

    one()
    print(f"\nfuzzed answers by HTTP status: {dict(sorted(STATUSES.items()))}")
    assert client.get_wf_run(setup.wf_run)["status"] == "COMPLETED"
    after = client.run_wf(setup.wf_spec, {"n": 2})["id"]["id"]
    assert client.wait_for_wf_run(after, timeout=20)["status"] == "COMPLETED"
