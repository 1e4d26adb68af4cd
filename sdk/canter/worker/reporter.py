"""Reports finished attempts and deletes their messages, in batches when busy; tells
the engine which attempts are still running (TASK_RUNNING) after a few seconds.

Every report through API Gateway costs a request and a Lambda invocation,
and every delete an SQS request. The reporter sends whatever has queued up
(up to 10) in one ``ReportTasks`` call and deletes those messages with one
``DeleteMessageBatch``. Nothing waits for a batch to fill: an idle worker
reports each task the moment it ends; only a busy one batches.

A message is deleted only after its report was accepted; otherwise it comes
back after its visibility timeout and the attempt runs again. A report the
API could not take (unreachable, or a 5xx) is sent again a few times first,
one report per request: the journal keeps one record per attempt, so a
repeat is harmless, while letting the message come back would run the task
again.
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from canter.client import CanterError, Client
from canter.worker import report

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("canter.worker")

MAX_BATCH = 10
# Reports in one request at most this large together (JSON): a large task
# output goes in a request of its own, inline, and the API stores it in the
# payload bucket. Lambda takes requests of up to 6 MB, so one output of up to
# 5 MiB always fits its own request.
MAX_BATCH_BYTES = 1024 * 1024
# Pauses before sending a batch of reports again after the API failed it.
RETRY_DELAYS_SECONDS = (0.1, 0.5, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Finished:
    queue_url: str
    message_id: str
    receipt: str
    outcome: dict[str, Any]
    # The message's canter.taskToken, sent back with the report.
    token: str
    timing: dict[str, Any] = field(default_factory=dict)  # report.timing(): beside the outcome


@dataclass(frozen=True, slots=True)
class Started:
    """A notice that an attempt is still running (report.start_notice), with its token."""

    notice: dict[str, Any]
    token: str


class Reporter:
    def __init__(
        self,
        client: Client,
        sqs: SQSClient | None,
        settled: Callable[[str], None],
        keep_running: Callable[[], bool],
    ) -> None:
        self._client = client
        self._sqs = sqs
        self._settled = settled
        self._keep_running = keep_running
        self._queue: queue.Queue[Finished] = queue.Queue()
        self._starts: queue.Queue[Started] = queue.Queue()
        # A report that did not fit the last batch: it starts the next one.
        self._next: Finished | None = None

    def put(self, finished: Finished) -> None:
        self._queue.put(finished)

    def put_start(self, started: Started) -> None:
        self._starts.put(started)

    def run(self) -> None:
        while self._keep_running() or not self._queue.empty() or self._next is not None:
            self._send_starts()
            try:
                first = self._next or self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self._next = None
            batch, size = [first], _size(first)
            while len(batch) < MAX_BATCH:
                try:
                    finished = self._queue.get_nowait()
                except queue.Empty:
                    break
                size += _size(finished)
                if size > MAX_BATCH_BYTES:
                    self._next = finished
                    break
                batch.append(finished)
            try:
                self._delete(self.send(batch))
            except Exception:
                log.exception(
                    "reporting %d task(s) failed; they will be delivered again", len(batch)
                )
            finally:
                for finished in batch:
                    self._settled(finished.message_id)

    def _send_starts(self) -> None:
        """Every start notice queued, up to 10 a request; best effort.

        A notice only shows an attempt as TASK_RUNNING before its report
        ends it. One that fails is logged and dropped rather than retried:
        retrying would delay the reports, which matter.
        """
        while True:
            batch: list[Started] = []
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._starts.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return
            try:
                results = self._client.report_task_starts(
                    [s.notice for s in batch], [s.token for s in batch]
                )
            except Exception as exc:
                log.warning("could not tell the engine %d task(s) started (%s)", len(batch), exc)
                continue
            for result in results:
                if result:
                    log.warning(
                        "start notice refused (%s): %s", result.get("code"), result.get("message")
                    )

    def send(self, batch: list[Finished]) -> list[Finished]:
        """The batch's accepted reports; a batch the API failed as a whole is
        sent again one report per request.

        A fault while the API handles one report of a batch (its Lambda
        crashing between two journal appends) fails the whole request. Sent
        again as one request, the batch would meet every report's fault
        points again on each retry, so a batch of ten could fail all its
        retries where each report alone would get through, and all ten
        attempts would then run again. One by one, each report's retries
        are its own; a report already journalled by the failed request is
        accepted again without a second record.
        """
        try:
            return self._report(batch)
        except Exception as exc:
            log.warning("reporting %d task(s) failed (%s); retrying each", len(batch), exc)
        accepted: list[Finished] = []
        pending = batch
        for delay in RETRY_DELAYS_SECONDS:
            time.sleep(delay)
            failed: list[Finished] = []
            for finished in pending:
                try:
                    accepted.extend(self._report([finished]))
                except Exception as exc:
                    log.warning("reporting a task failed again (%s)", exc)
                    failed.append(finished)
            pending = failed
            if not pending:
                break
        else:
            log.error(
                "reporting %d task(s) failed %d times; they will be delivered again",
                len(pending),
                len(RETRY_DELAYS_SECONDS) + 1,
            )
        return accepted

    def _report(self, batch: list[Finished]) -> list[Finished]:
        """Report the batch; the ones whose report was accepted."""
        # ReportTasks even for one: it carries when each attempt started and who ran it.
        results = self._client.report_tasks(
            [f.outcome for f in batch], [f.token for f in batch], [f.timing for f in batch]
        )
        accepted = []
        for finished, result in zip(batch, results, strict=True):
            if result.get("code") == "RESOURCE_EXHAUSTED":
                log.error("report refused as too large: %s", result.get("message"))
                result = self._report_one(
                    report.refused_as_too_large(finished.outcome, str(result.get("message"))),
                    finished.token,
                )
            if result:
                log.error("report refused (%s): %s", result.get("code"), result.get("message"))
            else:
                accepted.append(finished)
        return accepted

    def _report_one(self, outcome: dict[str, Any], token: str) -> dict[str, Any]:
        """One report as LittleHorse's ``ReportTask``; a refusal as a result like a batch's."""
        try:
            self._client.report_task(outcome, token)
        except CanterError as exc:
            # 429: API Gateway throttled the stage; the message comes back and
            # is reported again, unlike a report refused as too large (413).
            if exc.code in ("UNAVAILABLE", "INTERNAL", "UNKNOWN") or exc.status == 429:
                raise
            return {"code": exc.code, "message": exc.message}
        return {}

    def _delete(self, accepted: list[Finished]) -> None:
        assert self._sqs is not None, "a reporter without SQS only sends"
        by_queue: dict[str, list[Finished]] = {}
        for finished in accepted:
            by_queue.setdefault(finished.queue_url, []).append(finished)
        for url, items in by_queue.items():
            if len(items) == 1:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=items[0].receipt)
                continue
            result = self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": f.receipt} for i, f in enumerate(items)],
            )
            for failed in result.get("Failed", []):
                log.warning("could not delete a reported message: %s", failed.get("Message"))


def batches(finished: list[Finished]) -> list[list[Finished]]:
    """``finished`` in ``ReportTasks`` calls: at most MAX_BATCH reports and, but for
    one large report alone, MAX_BATCH_BYTES each."""
    result: list[list[Finished]] = []
    size = 0
    for one in finished:
        if not result or len(result[-1]) == MAX_BATCH or size + _size(one) > MAX_BATCH_BYTES:
            result.append([])
            size = 0
        result[-1].append(one)
        size += _size(one)
    return result


def _size(finished: Finished) -> int:
    """About how many bytes a report takes in a request (its output dominates)."""
    output = finished.outcome.get("output")
    return 512 + (len(json.dumps(output)) if output is not None else 0)
