"""The front door: ``POST /{rpc}`` on an API Gateway HTTP API with IAM (SigV4) auth.

An HTTP API rather than a REST API because every task report a worker sends
is an API request, and the cost model prices HTTP API requests at $1.00 per
million against $3.50 for REST; the REST API's extra features (usage plans,
request validation, caching) are not used.
"""

from __future__ import annotations

import json

import jsii
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_authorizers import HttpIamAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

RPC_PATH = "/{rpc}"
RPC_METHOD = apigw.HttpMethod.POST

# Who called which rpc, and how it went: enough to trace a failed request
# back to its Lambda invocation by requestId. Free-text error variables are
# left out: they may hold quotes that would break the JSON line.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "caller": "$context.identity.caller",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "path": "$context.path",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
    }
)


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, stage: str, handler: lambda_.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            api_name=f"canter-{stage}",
            description="Canter: LittleHorse rpcs as POST /<RpcName>",
            create_default_stage=False,
            default_authorizer=HttpIamAuthorizer(),
        )
        self.http_api.add_routes(
            path=RPC_PATH,
            methods=[RPC_METHOD],
            integration=HttpLambdaIntegration("Handler", handler),
        )
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            access_log_settings=_AccessLogSettings(apigw.LogGroupLogDestination(access_logs)),
        )

    @property
    def url(self) -> str:
        return self.stage.url

    @property
    def rpc_invoke_arn(self) -> str:
        """execute-api ARN matching every rpc: ``{rpc}`` is the path, POST the only method."""
        return self.http_api.arn_for_execute_api(RPC_METHOD.value, "/*")


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    """``IAccessLogSettings`` is an interface, not a struct, so Python needs a class."""

    def __init__(self, destination: apigw.IAccessLogDestination) -> None:
        self._destination = destination

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
