"""The HTTP API: ``POST /<RpcName>`` with LittleHorse's request message as JSON.

Every error is ``{"code": <gRPC code>, "message": <what to fix>}`` with the
matching HTTP status; nothing else (no stack trace) leaves this function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from canter_engine.handlers import (
    api_definitions,
    api_metadata,
    api_records,
    api_runs,
    api_search,
    api_workflow_events,
)
from canter_engine.handlers.api_errors import ApiError, invalid, too_large
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_REQUEST_BYTES
from canter_engine.handlers.observability import logger, metrics, publish_metrics, tracer
from canter_engine.handlers.runtime import Runtime, current

Rpc = Callable[[Runtime, dict[str, Any]], dict[str, Any]]

RPCS: dict[str, Rpc] = {
    "PutTaskDef": api_metadata.put_task_def,
    "GetTaskDef": api_metadata.get_task_def,
    "PutExternalEventDef": api_metadata.put_external_event_def,
    "GetExternalEventDef": api_metadata.get_external_event_def,
    "PutWfSpec": api_metadata.put_wf_spec,
    "GetWfSpec": api_metadata.get_wf_spec,
    "GetLatestWfSpec": api_metadata.get_latest_wf_spec,
    "RunWf": api_runs.run_wf,
    "GetWfRun": api_runs.get_wf_run,
    "ListNodeRuns": api_runs.list_node_runs,
    "GetNodeRun": api_runs.get_node_run,
    "GetTaskRun": api_runs.get_task_run,
    "ListVariables": api_runs.list_variables,
    "GetVariable": api_runs.get_variable,
    "PutExternalEvent": api_runs.put_external_event,
    "ListExternalEvents": api_runs.list_external_events,
    "StopWfRun": api_runs.stop_wf_run,
    "ResumeWfRun": api_runs.resume_wf_run,
    "DeleteWfRun": api_runs.delete_wf_run,
    "SearchWfRun": api_search.search_wf_run,
    "ReportTask": api_runs.report_task,
    "ReportTasks": api_runs.report_tasks,
    "SearchTaskDef": api_definitions.search_task_def,
    "SearchExternalEventDef": api_definitions.search_external_event_def,
    "SearchWorkflowEventDef": api_definitions.search_workflow_event_def,
    "SearchWfSpec": api_definitions.search_wf_spec,
    "DeleteTaskDef": api_definitions.delete_task_def,
    "DeleteExternalEventDef": api_definitions.delete_external_event_def,
    "DeleteWorkflowEventDef": api_definitions.delete_workflow_event_def,
    "DeleteWfSpec": api_definitions.delete_wf_spec,
    "PutWorkflowEventDef": api_definitions.put_workflow_event_def,
    "GetWorkflowEventDef": api_definitions.get_workflow_event_def,
    "AwaitWorkflowEvent": api_workflow_events.await_workflow_event,
    "ListWorkflowEvents": api_workflow_events.list_workflow_events,
    "GetWorkflowEvent": api_workflow_events.get_workflow_event,
    "ListTaskRuns": api_records.list_task_runs,
    "GetExternalEvent": api_records.get_external_event,
}

app = APIGatewayHttpResolver()


@app.post("/<rpc>")
def _call(rpc: str) -> Response[str]:
    handler_fn = RPCS.get(rpc)
    if handler_fn is None:
        raise ApiError(
            "UNIMPLEMENTED",
            f"unknown rpc {rpc!r}; the API serves POST /<RpcName> for: {', '.join(sorted(RPCS))}",
        )
    body = _json_body(rpc)
    metrics.add_metric(name=f"Rpc{rpc}", unit=MetricUnit.Count, value=1)
    return _json(200, handler_fn(current(), body))


def _json_body(rpc: str) -> dict[str, Any]:
    raw = app.current_event.decoded_body or "{}"
    size = len(raw.encode()) if isinstance(raw, str) else len(raw)
    if size > MAX_REQUEST_BYTES:
        raise too_large(
            f"{rpc}: the request body is {size} bytes, over the API limit of "
            f"{MAX_REQUEST_BYTES} bytes; {HOW_TO_SHRINK}"
        )
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise invalid(
            f"{rpc}: the body is not valid JSON ({exc}); send the {rpc} request message "
            "as a JSON object"
        ) from None
    if not isinstance(body, dict):
        raise invalid(f"{rpc}: the body must be a JSON object (the request message)")
    return body


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(exc: ApiError) -> Response[str]:
    if exc.status >= 500:
        logger.error("rpc failed", code=exc.code, detail=exc.message)
    else:
        logger.info("rpc refused", code=exc.code, detail=exc.message)
    return _json(exc.status, exc.body())


@app.not_found
def _not_found(exc: NotFoundError) -> Response[str]:
    path = app.current_event.path
    method = app.current_event.http_method
    if method != "POST":
        return _json(
            405,
            {"code": "UNIMPLEMENTED", "message": f"{method} {path}: use POST /<RpcName>"},
        )
    return _json(
        404,
        {"code": "NOT_FOUND", "message": f"no rpc at {path}; use POST /<RpcName>"},
    )


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def _internal(exc: Exception) -> Response[str]:
    logger.exception("rpc failed unexpectedly")
    request_id = app.lambda_context.aws_request_id if app.lambda_context else ""
    return _json(
        500,
        {
            "code": "INTERNAL",
            "message": f"internal error ({type(exc).__name__}); request id {request_id}",
        },
    )


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, separators=(",", ":")),
    )


@publish_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
