"""The HTTP API: one IAM-authorized route to the API function, with access logs."""

from __future__ import annotations

from typing import Any


def test_http_api_not_rest(dev: Any) -> None:
    (api,) = dev.resources("AWS::ApiGatewayV2::Api").values()
    assert api["Properties"]["ProtocolType"] == "HTTP"
    assert api["Properties"]["Name"] == "canter-dev"
    assert dev.resources("AWS::ApiGateway::RestApi") == {}


def test_one_route_post_rpc_with_iam_auth(dev: Any) -> None:
    (route,) = dev.resources("AWS::ApiGatewayV2::Route").values()
    assert route["Properties"]["RouteKey"] == "POST /{rpc}"
    assert route["Properties"]["AuthorizationType"] == "AWS_IAM"


def test_route_proxies_to_the_api_function(dev: Any) -> None:
    (integration,) = dev.resources("AWS::ApiGatewayV2::Integration").values()
    api_function = dev.logical_id(dev.stack.engine.api)
    assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
    assert integration["Properties"]["IntegrationUri"] == {"Fn::GetAtt": [api_function, "Arn"]}
    assert integration["Properties"]["PayloadFormatVersion"] == "2.0"
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
