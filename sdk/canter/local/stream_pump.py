"""Feeds the journal's DynamoDB stream to the scheduler the way Lambda does.

Lambda's stream event source, reproduced: batches of up to
``SCHEDULER_BATCH_SIZE`` records in stream order, one invocation at a time
per shard; ``batchItemFailures`` means "retry from the lowest failed record";
a function error bisects the batch; after ``SCHEDULER_MAX_RETRY_ATTEMPTS``
the batch's description goes to the on-failure destination and the pump
moves on.

The pump keeps, per shard, the sequence number of the last record it has
delivered (:meth:`StreamPump.positions`); a pump started with those
positions goes on after them, which is how a durable ``canter dev`` resumes
the stream where its snapshot of the journal left it.

``plan`` lets a test reshape what was read into the batches Lambda might
deliver (duplicated, split, reordered across WfRuns).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from canter_engine import resources

from canter.local.lambda_context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("canter.local")

# Shards change rarely; re-reading them on every poll would double the
# requests the pump makes while idle.
SHARD_REFRESH_SECONDS = 10.0

Record = dict[str, Any]
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
Plan = Callable[[list[Record]], list[list[Record]]]


def single_batch(records: list[Record]) -> list[list[Record]]:
    return [records]


class StreamPump:
    def __init__(
        self,
        streams: DynamoDBStreamsClient,
        sqs: SQSClient,
        stream_arn: str,
        handler: Handler,
        failure_queue_url: str,
        *,
        poll_seconds: float = 0.05,
        retry_delay_seconds: float = 0.05,
        positions: dict[str, str] | None = None,
    ) -> None:
        self._streams = streams
        self._sqs = sqs
        self._arn = stream_arn
        self._handler = handler
        self._failure_queue_url = failure_queue_url
        self._poll = poll_seconds
        self._retry_delay = retry_delay_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canter-stream-pump", daemon=True)
        self._iterators: dict[str, str] = {}
        self._shards: list[str] = []
        self._shards_read_at = -SHARD_REFRESH_SECONDS
        self._delivered: dict[str, str] = dict(positions or {})
        self._positions_lock = threading.Lock()
        self.plan: Plan = single_batch
        self.invocations = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def positions(self) -> dict[str, str]:
        """Per shard, the sequence number of the last record delivered to the scheduler."""
        with self._positions_lock:
            return dict(self._delivered)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                records, last = self._read()
            except Exception:
                log.exception("reading the journal stream failed; retrying")
                self._stop.wait(1.0)
                continue
            if not records:
                self._stop.wait(self._poll)
                continue
            for batch in self.plan(records):
                self._deliver(batch, attempts=0)
            if not self._stop.is_set():
                with self._positions_lock:
                    self._delivered.update(last)

    def _read(self) -> tuple[list[Record], dict[str, str]]:
        """New records, and the last sequence number read per shard."""
        now = time.monotonic()
        if now - self._shards_read_at > SHARD_REFRESH_SECONDS:
            description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
            self._shards = [shard["ShardId"] for shard in description["Shards"]]
            self._shards_read_at = now
        records: list[Record] = []
        last: dict[str, str] = {}
        for shard_id in self._shards:
            iterator = self._iterators.get(shard_id) or self._first_iterator(shard_id)
            page = self._streams.get_records(
                ShardIterator=iterator, Limit=resources.SCHEDULER_BATCH_SIZE
            )
            self._iterators[shard_id] = page.get("NextShardIterator") or iterator
            for record in page.get("Records", []):
                as_dict: Record = dict(record)
                as_dict["eventSourceARN"] = self._arn
                records.append(as_dict)
                last[shard_id] = str(record["dynamodb"]["SequenceNumber"])
        return records, last

    def _first_iterator(self, shard_id: str) -> str:
        delivered = self.positions().get(shard_id)
        if delivered is None:
            found = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        else:
            found = self._streams.get_shard_iterator(
                StreamArn=self._arn,
                ShardId=shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=delivered,
            )
        return str(found["ShardIterator"])

    def _deliver(self, batch: list[Record], attempts: int) -> None:
        while batch and not self._stop.is_set():
            try:
                response = self._invoke(batch)
            except Exception:
                log.exception("scheduler invocation failed")
                attempts += 1
                if attempts > resources.SCHEDULER_MAX_RETRY_ATTEMPTS:
                    self._give_up(batch, "RetryAttemptsExhausted")
                    return
                if resources.SCHEDULER_BISECT_ON_ERROR and len(batch) > 1:
                    middle = len(batch) // 2
                    self._deliver(batch[:middle], attempts)
                    self._deliver(batch[middle:], attempts)
                    return
                self._backoff(attempts)
                continue
            failed = {f["itemIdentifier"] for f in response.get("batchItemFailures") or []}
            if not failed:
                return
            sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
            known = [i for i, seq in enumerate(sequence) if seq in failed]
            batch = batch[min(known) :] if len(known) == len(failed) else batch
            attempts += 1
            if attempts > resources.SCHEDULER_MAX_RETRY_ATTEMPTS:
                self._give_up(batch, "RetryAttemptsExhausted")
                return
            self._backoff(attempts)

    def _invoke(self, batch: list[Record]) -> dict[str, Any]:
        self.invocations += 1
        context = LocalLambdaContext(
            function_name="canter-local-scheduler",
            timeout_seconds=resources.SCHEDULER_FUNCTION.timeout_seconds,
        )
        return self._handler({"Records": batch}, context) or {}

    def _backoff(self, attempts: int) -> None:
        self._stop.wait(min(self._retry_delay * 2 ** (attempts - 1), 1.0))

    def _give_up(self, batch: list[Record], condition: str) -> None:
        """What Lambda sends to an on-failure destination: where the batch was, not its data."""
        log.error("scheduler gave up on %d record(s) after retries", len(batch))
        info = {
            "requestContext": {"condition": condition, "functionArn": "canter-local-scheduler"},
            "DDBStreamBatchInfo": {
                "streamArn": self._arn,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(batch),
            },
            "timestamp": time.time(),
        }
        self._sqs.send_message(QueueUrl=self._failure_queue_url, MessageBody=json.dumps(info))
