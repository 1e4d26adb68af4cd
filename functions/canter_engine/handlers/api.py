"""The HTTP API: ``POST /<RpcName>`` with LittleHorse's request message as JSON.

Every error is ``{"code": <gRPC code>, "message": <what to fix>}`` with the
matching HTTP status; nothing else (no stack trace) leaves this function.
"""

from __future__ import annotations

import base64
import binascii
import importlib
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from canter_engine.core import WfRunState
from canter_engine.handlers import masking, strict_json, task_tokens
from canter_engine.handlers.api_errors import ApiError, invalid, too_large
from canter_engine.handlers.api_parse import field
from canter_engine.handlers.limits import HOW_TO_SHRINK, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES
from canter_engine.handlers.observability import logger, metrics, publish_metrics, tracer
from canter_engine.handlers.routes import NOT_SERVED, ROUTES, Route
from canter_engine.handlers.runtime import Runtime, current
from canter_engine.model.spec import WfSpec
from canter_engine.store import payloads
from canter_engine.store.journal import RecordTooLarge

# (runtime, request, the Canter-Task-Token header) -> answer.
Rpc = Callable[[Runtime, dict[str, Any], str | None], dict[str, Any]]


def _resolve(route: Route) -> Rpc:
    module, _, function = route.handler.rpartition(".")
    serve: Callable[..., dict[str, Any]] = getattr(
        importlib.import_module(f"canter_engine.handlers.{module}"), function
    )
    if route.takes_task_token:
        return lambda rt, body, token: serve(rt, body, token)
    return lambda rt, body, token: serve(rt, body)


RPCS: dict[str, Rpc] = {route.rpc: _resolve(route) for route in ROUTES}
# Answers that show a WfRun's data, and so are masked; the others echo the
# caller's own request (RunWf, PutExternalEvent) or nothing (ReportTask).
READS = frozenset(route.rpc for route in ROUTES if "reader" in route.roles)

app = APIGatewayHttpResolver()


@app.post("/<rpc>")
def _call(rpc: str) -> Response[str]:
    handler_fn = RPCS.get(rpc)
    if handler_fn is None:
        if rpc in NOT_SERVED:
            raise ApiError("UNIMPLEMENTED", f"Canter does not serve {rpc}: {NOT_SERVED[rpc]}")
        raise ApiError(
            "UNIMPLEMENTED",
            f"unknown rpc {rpc[:100]!r}; the API serves POST /<RpcName> for: "
            f"{', '.join(sorted(RPCS))}",
        )
    # Read before the body is parsed: ``app.current_event`` is the process's
    # latest event, and a local stack serves requests on several threads.
    token = _task_token()
    body = _json_body(rpc)
    metrics.add_metric(name=f"Rpc{rpc}", unit=MetricUnit.Count, value=1)
    rt = current()
    response = handler_fn(rt, body, token)
    text = strict_json.dumps(_masked(rt, body, response) if rpc in READS else response)
    if len(text) > MAX_RESPONSE_BYTES:
        raise too_large(
            f"{rpc}: the answer would be {len(text)} bytes, over the {MAX_RESPONSE_BYTES}-byte "
            "limit of one API response; ask for fewer records (limit) or read the large "
            "values one at a time (GetVariable, GetNodeRun)"
        )
    return Response(status_code=200, content_type="application/json", body=text)


# Where a request names the WfRun it is about.
WF_RUN_ID_PATHS = (("wfRunId", "id"), ("id",), ("id", "id"), ("taskRunId", "wfRunId", "id"))
_specs = masking.SpecCache()


def _masked(rt: Runtime, body: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """The response with the WfRun's masked values masked wherever they went (masking.py).

    Most answers name their WfSpec version: when it declares no masked
    variable there is nothing to hide and the WfRun's head is not read.
    """
    if not response:
        return response
    named = _spec_id_in(response)
    known = _spec(rt, named) if named is not None else None
    if known is not None and not masking.has_masked_variables(known):
        return response
    wf_run_id = next(
        (found for path in WF_RUN_ID_PATHS if isinstance(found := field(body, *path), str)),
        None,
    )
    head = rt.state.load_head(wf_run_id) if wf_run_id else None
    if head is None:
        return response
    state = WfRunState.from_item(head.state)
    spec = _spec(rt, state.spec_id)
    if spec is None:
        return response
    scrubbed: dict[str, Any] = masking.scrub(response, masking.secrets_of(state, spec))
    return scrubbed


def _spec(rt: Runtime, spec_id: tuple[str, int, int]) -> WfSpec | None:
    spec = _specs.get(spec_id)
    if spec is None:
        stored = rt.metadata.get_wf_spec(*spec_id)
        if stored is None:
            return None
        spec = stored.spec
        _specs.put(spec_id, spec)
    return spec


def _spec_id_in(response: dict[str, Any]) -> tuple[str, int, int] | None:
    results = response.get("results")
    first = results[0] if isinstance(results, list) and results else response
    spec_id = first.get("wfSpecId") if isinstance(first, dict) else None
    if not isinstance(spec_id, dict) or not isinstance(spec_id.get("name"), str):
        return None
    return (spec_id["name"], int(spec_id.get("majorVersion", 0)), int(spec_id.get("revision", 0)))


def _task_token() -> str | None:
    """The ``Canter-Task-Token`` header (HTTP header names are case-insensitive)."""
    wanted = task_tokens.HEADER.lower()
    return next((v for k, v in app.current_event.headers.items() if k.lower() == wanted), None)


def _json_body(rpc: str) -> dict[str, Any]:
    event = app.current_event
    raw: str | bytes = event.body or "{}"
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise invalid(f"{rpc}: the body is not valid base64 as the event declares") from None
    size = len(raw.encode(errors="surrogatepass")) if isinstance(raw, str) else len(raw)
    if size > MAX_REQUEST_BYTES:
        raise too_large(
            f"{rpc}: the request body is {size} bytes, over the API limit of "
            f"{MAX_REQUEST_BYTES} bytes; {HOW_TO_SHRINK}"
        )
    try:
        body = strict_json.loads(raw)
    except strict_json.StrictJsonError as exc:
        raise invalid(
            f"{rpc}: {exc}; send the {rpc} request message as a strict JSON object"
        ) from None
    if not isinstance(body, dict):
        raise invalid(f"{rpc}: the body must be a JSON object (the request message)")
    if payloads.holds_reference(body):
        raise invalid(
            f"{rpc}: {payloads.REF!r} is reserved for values Canter stored itself; send the "
            "value, not a reference"
        )
    return body


@app.exception_handler(ApiError)  # type: ignore[untyped-decorator]
def _api_error(exc: ApiError) -> Response[str]:
    if exc.status >= 500:
        logger.error("rpc failed", code=exc.code, detail=exc.message)
    else:
        logger.info("rpc refused", code=exc.code, detail=exc.message)
    return _json(exc.status, exc.body())


@app.exception_handler(RecordTooLarge)  # type: ignore[untyped-decorator]
def _record_too_large(exc: RecordTooLarge) -> Response[str]:
    refused = too_large(f"{exc}; {HOW_TO_SHRINK}")
    logger.info("rpc refused", code=refused.code, detail=refused.message)
    return _json(refused.status, refused.body())


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
        body=strict_json.dumps(body),
    )


@publish_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
