""" "Is anyone working on this?": tasks that have waited on their queue too long.

A TaskRun stays TASK_SCHEDULED from dispatch until a worker reports it or
says it has been running it for a while (TASK_RUNNING), so a run whose task
has no worker just waits, as in LittleHorse. ``canter run
--wait`` and ``canter get wfRun`` name such a task once it has waited longer
than :data:`WAIT_HINT_SECONDS`, with its queue's depth read from SQS (with
the caller's AWS credentials). When no message of the queue is being run,
nothing is receiving from it, and the hint says outright that no worker may
be running for the TaskDef.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from canter.client import CanterError, Client

# The worker's SQS client: the same endpoint and credential rules for a queue URL.
from canter.worker.worker import _sqs_client as sqs_client_for

WAIT_HINT_SECONDS = 10.0


def waiting_tasks(
    client: Client, wf_run_id: str, task_runs: Iterable[Mapping[str, Any]] | None = None
) -> list[str]:
    """One line per TaskRun of the WfRun (or of ``task_runs``, the ones a page
    shows) not reported WAIT_HINT_SECONDS after dispatch."""
    now = time.time()
    lines = []
    for task_run in client.list_task_runs(wf_run_id) if task_runs is None else task_runs:
        attempts = task_run.get("attempts") or [{}]
        scheduled = attempts[-1].get("scheduleTime") or task_run.get("scheduledAt")
        if task_run.get("status", "TASK_SCHEDULED") != "TASK_SCHEDULED" or not scheduled:
            continue
        waited = now - datetime.fromisoformat(str(scheduled)).timestamp()
        if waited >= WAIT_HINT_SECONDS:
            lines.append(_hint(client, task_run, waited))
    return lines


def _hint(client: Client, task_run: Mapping[str, Any], waited: float) -> str:
    name = str(task_run.get("taskDefId", {}).get("name", ""))
    guid = task_run["id"]["taskGuid"]
    depth = _depth(client, name)
    start = f"start one: canter worker <module with @canter.task {name!r}>"
    where = f"task {guid} ({name}) has waited {waited:.0f} s for a worker"
    if depth is None:
        return (
            f"{where}; no worker may be running for TaskDef {name!r}, or all of them are "
            f"busy (its queue could not be read); {start}"
        )
    queue, waiting, in_flight = depth
    counts = f"queue {queue}: {waiting} waiting, {in_flight} being run"
    if in_flight == "0":
        # Nothing has taken a message off the queue: no worker is polling it.
        return (
            f"{where}; no worker may be running for TaskDef {name!r}: none has received "
            f"a task from its {counts}; {start}"
        )
    return f"{where}; {counts}; if no worker serves {name}, {start}"


def _depth(client: Client, task_def: str) -> tuple[str, str, str] | None:
    """(queue name, messages waiting, messages being run); None if the queue cannot be read."""
    try:
        url = str(client.get_task_def_queue(task_def)["queueUrl"])
        attributes = sqs_client_for(url).get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
    except (CanterError, KeyError, BotoCoreError, ClientError):
        return None
    return (
        url.rsplit("/", 1)[-1],
        attributes.get("ApproximateNumberOfMessages", "?"),
        attributes.get("ApproximateNumberOfMessagesNotVisible", "?"),
    )
