"""Feeds an SQS queue to a handler the way Lambda's SQS event source does.

Messages are handed over in batches; the ones the handler does not list in
``batchItemFailures`` are deleted, the others come back after their
visibility timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from canter.local.lambda_context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("canter.local")

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class SqsPump:
    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handler: Handler,
        function_name: str,
        timeout_seconds: int,
        *,
        wait_seconds: int = 1,
    ) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._handler = handler
        self._function_name = function_name
        self._timeout = timeout_seconds
        self._wait = wait_seconds
        self._stop = threading.Event()
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._thread = threading.Thread(target=self._run, name="canter-sqs-pump", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._wait + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._poll_once()
            except Exception:
                log.exception("SQS pump for %s failed; retrying", self._function_name)
                self._stop.wait(1.0)

    def _poll_once(self) -> None:
        messages = self._sqs.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self._wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        records = lambda_records(messages, self._arn)
        context = LocalLambdaContext(self._function_name, self._timeout)
        response = self._handler({"Records": records}, context) or {}
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures") or []}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )


def lambda_records(messages: list[Any], queue_arn: str) -> list[dict[str, Any]]:
    """``ReceiveMessage``'s messages as the records of Lambda's SQS event."""
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": queue_arn.split(":")[3],
        }
        for m in messages
    ]
