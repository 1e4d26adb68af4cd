"""Task checkpoints: the attempt in flight saves steps; the retry is told how many.

Mirrors LittleHorse's CheckpointedTaskTest (the core's part: numbering, fencing and
``totalObservedCheckpoints``)."""

from canter_engine.core.events import CheckpointPut
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def checkpointed(wf: WorkflowThread) -> None:
    wf.complete(wf.execute("task-with-checkpoint", retries=1))


def _checkpoint(h: Harness, value: object, attempt: int | None = None) -> bool:
    task = h.in_flight()
    number = task.attempt_number if attempt is None else attempt
    return h.apply(CheckpointPut(task.task_guid, number, value, "log", h.tick())).applied


def test_checkpoints_are_numbered_and_the_retry_is_told_how_many() -> None:
    h = Harness(checkpointed, tasks={"task-with-checkpoint": ()})
    h.run()
    assert "totalObservedCheckpoints" not in h.in_flight().scheduled_task
    assert _checkpoint(h, "hello from first checkpoint")
    guid = h.in_flight().task_guid
    saved = h.records[f"ckpt#{guid}#000000"]
    assert saved["id"] == {"taskRun": {"wfRunId": {"id": "wf-1"}, "taskGuid": guid}}
    assert saved["value"] == {"str": "hello from first checkpoint"}
    assert saved["logs"] == "log"
    h.fail("crashed after the first checkpoint")
    retry = h.in_flight()
    assert retry.attempt_number == 1
    assert retry.scheduled_task["totalObservedCheckpoints"] == 1
    assert _checkpoint(h, " and the second checkpoint")
    assert h.records[f"ckpt#{guid}#000001"]["id"]["checkpointNumber"] == 1
    h.succeed("done")
    assert h.status == "COMPLETED"
    assert h.records[f"task#{guid}"]["totalCheckpoints"] == 2


def test_a_superseded_or_ended_attempt_cannot_checkpoint() -> None:
    """Mirrors PutCheckpointRequestModel's fencing of a task worker."""
    h = Harness(checkpointed, tasks={"task-with-checkpoint": ()})
    h.run()
    guid = h.in_flight().task_guid
    h.fail()
    assert not _checkpoint(h, "stale", attempt=0)
    h.succeed("done")
    assert not h.apply(CheckpointPut(guid, 1, "late", "", h.tick())).applied
    assert f"ckpt#{guid}#000000" not in h.records
