"""Task checkpoints: a long task saves each finished step, and a retry resumes.

A worker running an attempt calls ``PutCheckpoint`` with a step's result; it
is journalled like a report, and applied here in the WfRun's order, so the
scheduler stays the one writer of the TaskRun. The checkpoint gets the next
number of its TaskRun and becomes a record of its own (``ckpt#<guid>#<n>``)
that ``GetCheckpoint`` reads; the TaskRun counts them, and every later
ScheduledTask says how many there are (``totalObservedCheckpoints``), so the
attempt that runs after a crash or a failure takes the saved results instead
of doing the steps again (LittleHorse's ``WorkerContext.executeAndCheckpoint``).

As in LittleHorse (PutCheckpointRequestModel), only the attempt in flight
may checkpoint: one from an attempt that already ended, or was superseded,
is ignored (the API already told its worker to stop).
"""

from __future__ import annotations

from canter_engine.core.events import CheckpointPut
from canter_engine.core.run import Run
from canter_engine.core.state import TaskCheckpoint

# The statuses of an attempt in flight.
IN_FLIGHT = ("TASK_SCHEDULED", "TASK_RUNNING")


def on_checkpoint(run: Run, event: CheckpointPut) -> bool:
    seen = run.state.task_runs.get(event.task_guid)
    if seen is None or event.attempt_number != len(seen.attempts) - 1:
        return False
    if seen.current.status not in IN_FLIGHT:
        return False
    task_run = run.task_run(event.task_guid)
    assert task_run is not None
    checkpoint = TaskCheckpoint(
        event.task_guid, task_run.checkpoints, event.value, event.logs, event.time
    )
    task_run.checkpoints += 1
    run.touch(checkpoint)
    return True
