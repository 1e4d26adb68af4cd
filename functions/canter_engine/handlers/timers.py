"""The timer queue handler: journals ``TimerFired`` once a timer is due.

SQS holds a message back for at most 15 minutes, so a timer due later comes
back early; it is sent again with the remaining delay until it is due. That
gives waits from one second to a year with the same code on AWS and moto.
The journal key is derived from the timer, so a duplicated message journals
one record.

The timers are retry backoffs, sleeps and ExternalEvent timeouts (task
timeouts are enforced by the worker SDK, with no timer). Some are stale by
the time they are due: an ExternalEvent timeout outlives the event that
arrived in time, a WfRun may have been stopped or deleted. A due timer is
journalled only if the committed head (read strongly consistent) is of the
same incarnation (a WfRun deleted and run again is another) and still waits
for it; state only moves forward, so a timer it does not wait for now will
never be wanted. One read replaces a journal write and a scheduler run.

The queue also carries MigrateWfSpec's walk over running WfRuns and bulk
deletes' walks over the WfRuns they delete, one page per message
(handlers/run_walks.py).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from canter_engine.core import WfRunState, timer_pending
from canter_engine.core.events import TimerFired, to_journal
from canter_engine.handlers import bulk_deletes, migration_pages
from canter_engine.handlers.observability import logger, metrics, publish_metrics, tracer
from canter_engine.handlers.runtime import current
from canter_engine.store.journal import timer_event_id
from canter_engine.store.queues import parse_timer_message, timer_message

# SQS delays are whole seconds; a timer this close to due fires now rather
# than waiting another second. Its journal time is never before ``due``.
EARLY_TOLERANCE_MS = 250

_processor = BatchProcessor(event_type=EventType.SQS)


def fire_or_requeue(body: str, now_ms: int) -> bool:
    """``True`` if the timer was journalled; ``False`` if it waits longer or is stale."""
    runtime = current()
    wf_run_id, incarnation, timer = parse_timer_message(body)
    if timer.due - now_ms > EARLY_TOLERANCE_MS:
        again = timer_message(wf_run_id, incarnation, timer, now_ms)
        runtime.queues.send(runtime.timer_queue_url(), [again])
        metrics.add_metric(name="TimersRequeued", unit=MetricUnit.Count, value=1)
        return False
    # The timer's own thread is all it needs: one item, however wide the WfRun.
    head = runtime.state.load_head(wf_run_id, timer.thread)
    if (
        head is None
        or head.incarnation != incarnation
        or not timer_pending(WfRunState.from_item(head.state), timer)
    ):
        metrics.add_metric(name="TimersDropped", unit=MetricUnit.Count, value=1)
        return False
    entry = to_journal(TimerFired(timer=timer, time=max(now_ms, timer.due)))
    runtime.journal.append(wf_run_id, timer_event_id(incarnation, timer), entry, incarnation)
    metrics.add_metric(name="TimersFired", unit=MetricUnit.Count, value=1)
    return True


def _record_handler(record: SQSRecord) -> None:
    if migration_pages.is_page(record.body):
        # MigrateWfSpec's walk over running WfRuns continues here a page at a time.
        migration_pages.walk_message(current(), record.body, int(time.time() * 1000))
        return
    if bulk_deletes.is_page(record.body):
        # A bulk delete's walk (CreateBulkJob) continues here a page at a time.
        bulk_deletes.walk_message(current(), record.body)
        return
    fire_or_requeue(record.body, int(time.time() * 1000))


@publish_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=_record_handler, processor=_processor, context=context
        )
    )
