"""Everything Canter runs on AWS, on one machine: moto, the pumps, the API gateway.

The handlers run in this process, unchanged: they find moto through the
standard ``AWS_ENDPOINT_URL`` variable and their resources through the
``CANTER_*`` variables, exactly as in Lambda.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import boto3
from canter_engine import resources

from canter.local.provision import Provisioned, provision
from canter.local.sqs_pump import SqsPump
from canter.local.stream_pump import StreamPump

LOCAL_STAGE = "local"
LOCAL_REGION = "us-east-1"
DEFAULT_PORT = 8787


class LocalStack:
    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self._host = host
        self._port = port
        self._moto: Any = None
        self.provisioned: Provisioned | None = None
        self.stream_pump: StreamPump | None = None
        self._timer_pump: SqsPump | None = None
        self._gateway: Any = None
        self.endpoint_url = ""
        self.api_url = ""
        self._saved_env: dict[str, str | None] = {}

    def start(self) -> LocalStack:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
        self._moto.start()
        moto_host, moto_port = self._moto.get_host_and_port()
        self.endpoint_url = f"http://{moto_host}:{moto_port}"
        self._saved_env = {name: os.environ.get(name) for name in _ENV_NAMES}
        _point_process_at(self.endpoint_url)

        ddb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        self.provisioned = provision(ddb, sqs, LOCAL_STAGE)
        os.environ.update(
            {
                resources.ENV_TIMER_QUEUE_URL: self.provisioned.timer_queue_url,
                resources.ENV_SCHEDULER_DLQ_URL: self.provisioned.failure_queue_url,
            }
        )
        # Imported only now: Powertools reads its settings when a handler module loads.
        from canter_engine.handlers import api, runtime, scheduler, timers

        from canter.local.gateway import Gateway

        runtime.reset()
        self._gateway = Gateway(api.handler, self._host, self._port)
        self.api_url = self._gateway.url
        self.stream_pump = StreamPump(
            boto3.client("dynamodbstreams"),
            sqs,
            self.provisioned.journal_stream_arn,
            scheduler.handler,
            self.provisioned.failure_queue_url,
        )
        self._timer_pump = SqsPump(
            sqs,
            self.provisioned.timer_queue_url,
            timers.handler,
            "canter-local-timers",
            resources.TIMERS_FUNCTION.timeout_seconds,
        )
        self.stream_pump.start()
        self._timer_pump.start()
        self._gateway.start()
        return self

    def stop(self) -> None:
        """Stop everything and give the process its environment back."""
        for part in (self._gateway, self._timer_pump, self.stream_pump):
            if part is not None:
                part.stop()
        if self._moto is not None:
            self._moto.stop()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from canter_engine.handlers import runtime

        runtime.reset()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_ENV_NAMES = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "POWERTOOLS_TRACE_DISABLED",
    "POWERTOOLS_METRICS_DISABLED",
    "POWERTOOLS_LOG_LEVEL",
    resources.ENV_STAGE,
    resources.ENV_JOURNAL_TABLE,
    resources.ENV_STATE_TABLE,
    resources.ENV_METADATA_TABLE,
    resources.ENV_TASK_QUEUE_PREFIX,
    resources.ENV_DYNAMIC_QUEUES,
    resources.ENV_TIMER_QUEUE_URL,
    resources.ENV_SCHEDULER_DLQ_URL,
)


def _point_process_at(endpoint_url: str) -> None:
    """Configure this process the way infra configures the Lambda functions.

    Credentials are fixed dummies so that nothing in this process can reach
    a real AWS account by accident.
    """
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_ACCESS_KEY_ID": "canter-local",
            "AWS_SECRET_ACCESS_KEY": "canter-local",
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
            resources.ENV_STAGE: LOCAL_STAGE,
            resources.ENV_JOURNAL_TABLE: resources.JOURNAL_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_STATE_TABLE: resources.STATE_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_METADATA_TABLE: resources.METADATA_TABLE.physical_name(LOCAL_STAGE),
            resources.ENV_TASK_QUEUE_PREFIX: resources.task_queue_prefix(LOCAL_STAGE),
            resources.ENV_DYNAMIC_QUEUES: "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
