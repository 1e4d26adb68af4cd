"""The HTTP API: one IAM-authorized route per rpc to the API function, throttled, logged."""

from __future__ import annotations

from typing import Any

import pytest
from canter_engine.handlers.routes import ROUTES

from infra.config import DEFAULT_API_BURST, DEFAULT_API_RATE, CanterConfig


def test_http_api_not_rest(dev: Any) -> None:
    (api,) = dev.resources("AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert api["Properties"]["Name"] == "canter-dev"
    assert dev.resources("AWS::ApiGateway::RestApi") == {}


def test_one_iam_route_per_rpc_and_a_catch_all_for_unknown_names(dev: Any) -> None:
    """Per-rpc routes let IAM allow rpcs one by one; the catch-all lets the handler say 501."""
    routes = dev.resources("AWS::ApiGatewayV2::Route").values()
    keys = sorted(r["Properties"]["RouteKey"] for r in routes)
    assert keys == sorted([*(f"POST /{route.rpc}" for route in ROUTES), "POST /{rpc}"])
    assert {r["Properties"]["AuthorizationType"] for r in routes} == {"AWS_IAM"}
    (integration,) = dev.resources("AWS::ApiGatewayV2::Integration")
    assert {r["Properties"]["Target"]["Fn::Join"][1][1]["Ref"] for r in routes} == {integration}


def test_stage_throttling_has_safe_defaults(dev: Any) -> None:
    (stage,) = dev.resources("AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": DEFAULT_API_RATE,
        "ThrottlingBurstLimit": DEFAULT_API_BURST,
    }
    (function,) = [
        f
        for f in dev.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].endswith(".api.handler")
    ]
    assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_throttling_and_reserved_concurrency_come_from_cdk_context(synth: Any) -> None:
    config = CanterConfig.of(
        stage="busy",
        api_rate_per_second="50",
        api_burst=80,
        api_reserved_concurrency="20",
    )
    (busy,) = synth(config)
    (stage,) = busy.resources("AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": 50,
        "ThrottlingBurstLimit": 80,
    }
    api = busy.resources("AWS::Lambda::Function")[busy.logical_id(busy.stack.engine.api)]
    assert api["Properties"]["ReservedConcurrentExecutions"] == 20


@pytest.mark.parametrize("bad", [0, -5, "many", "1.5", True])
def test_throttle_settings_must_be_positive_whole_numbers(bad: Any) -> None:
    with pytest.raises(ValueError, match="apiThrottleRatePerSecond must be a positive"):
        CanterConfig.of(api_rate_per_second=bad)


def test_route_proxies_to_the_api_function(dev: Any) -> None:
    (integration,) = dev.resources("AWS::ApiGatewayV2::Integration").values()
    api_function = dev.logical_id(dev.stack.engine.api)
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [api_function, "Arn"]}
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
    # One statement for the whole API, however many rpcs: Lambda's policy is capped at 20 KB.
    (permission,) = dev.resources("AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert permission["Properties"]["FunctionName"] == {"Fn::GetAtt": [api_function, "Arn"]}


def test_default_stage_writes_access_logs(dev: Any) -> None:
    (stage,) = dev.resources("AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    destination = props["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    assert dev.resources("AWS::Logs::LogGroup")[destination]["Properties"]["RetentionInDays"] == 30
    log_format = props["AccessLogSettings"]["Format"]
    for variable in ("$context.requestId", "$context.identity.caller", "$context.status"):
        assert variable in log_format


def test_the_route_table_is_plain_data_and_every_handler_resolves() -> None:
    """infra reads ROUTES without importing handler code; the API resolves each name."""
    import ast
    from pathlib import Path

    from canter_engine.handlers import api, routes

    tree = ast.parse(Path(routes.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m and m.startswith("canter_engine")}
    assert list(api.RPCS) == [route.rpc for route in ROUTES]
    assert all(callable(fn) for fn in api.RPCS.values())


def test_cdk_json_sets_the_safe_defaults_explicitly() -> None:
    """The keys users edit are in cdk.json, and read back as the defaults."""
    import json
    from pathlib import Path

    import aws_cdk as cdk

    context = json.loads((Path(__file__).parents[2] / "cdk.json").read_text())["context"]
    app = cdk.App(context=context)
    config = CanterConfig.from_context(app.node)
    assert (config.api_rate_per_second, config.api_burst, config.api_reserved_concurrency) == (
        DEFAULT_API_RATE,
        DEFAULT_API_BURST,
        None,
    )
    assert {"apiThrottleRatePerSecond", "apiThrottleBurst", "apiReservedConcurrency"} <= set(
        context
    )
