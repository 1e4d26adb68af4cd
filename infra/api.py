"""The front door: ``POST /<RpcName>`` on an API Gateway HTTP API with IAM (SigV4) auth.

One route per rpc of :data:`canter_engine.handlers.routes.ROUTES`, so that
IAM policies can allow each rpc by its own ARN; a catch-all ``POST /{rpc}``
brings any other name to the handler, which answers UNIMPLEMENTED (501) and
lists the rpcs it serves. Throttling is set on the stage from ``cdk.json``.

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
from canter_engine.handlers.routes import ROUTES
from constructs import Construct

CATCH_ALL_PATH = "/{rpc}"
RPC_METHOD = apigw.HttpMethod.POST
STAGE_NAME = "$default"

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
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        handler: lambda_.IFunction,
        rate_per_second: int,
        burst: int,
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
        # One invoke permission for the whole API rather than one per route:
        # Lambda's resource policy is limited to 20 KB, which some 50 routes
        # of per-route statements would exceed. Which caller may call which
        # rpc is IAM's business (infra/client_policies.py), not Lambda's.
        integration = HttpLambdaIntegration("Handler", handler, scope_permission_to_route=False)
        for path in (*(f"/{route.rpc}" for route in ROUTES), CATCH_ALL_PATH):
            self.http_api.add_routes(path=path, methods=[RPC_METHOD], integration=integration)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name=STAGE_NAME,
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=rate_per_second, burst_limit=burst),
            access_log_settings=_AccessLogSettings(apigw.LogGroupLogDestination(access_logs)),
        )

    @property
    def url(self) -> str:
        return self.stage.url

    def invoke_arn(self, rpc: str) -> str:
        """The execute-api ARN of one rpc: IAM matches it against the request path."""
        return self.http_api.arn_for_execute_api(RPC_METHOD.value, f"/{rpc}", STAGE_NAME)


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
