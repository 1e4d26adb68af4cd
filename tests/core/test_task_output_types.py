"""A task's output must match its TaskDef's return type (LittleHorse's TaskRunModel:
"Task output incompatible with declared return type", TASK_OUTPUT_SERDE_ERROR)."""

from __future__ import annotations

from canter_engine.core import Blueprint
from canter_engine.model.spec import ReturnType, TypeDefinition
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def counted(wf: WorkflowThread) -> None:
    total = wf.declare_int("total")
    total.assign(wf.execute("count"))


def _returning(kind: str) -> Harness:
    h = Harness(counted, tasks={"count": ()})
    declared = ReturnType(return_type=TypeDefinition(primitive_type=kind))  # type: ignore[arg-type]
    typed = h.bp.task_defs["count"].model_copy(update={"return_type": declared})
    h.bp = Blueprint(h.bp.spec, {"count": typed})
    return h


def test_an_output_of_the_wrong_type_fails_the_attempt_at_the_task() -> None:
    h = _returning("INT")
    h.run()
    h.succeed("not a number")
    assert h.status == "ERROR"
    attempt = h.task_run("0-1")["attempts"][0]
    assert attempt["status"] == "TASK_OUTPUT_SERDE_ERROR"
    assert attempt["error"]["type"] == "VAR_SUB_ERROR"
    assert attempt["error"]["message"].startswith(
        "Task output incompatible with declared return type: expected INT, got STR"
    )
    assert h.task_run("0-1")["status"] == "TASK_OUTPUT_SERDE_ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert len(h.sent) == 1, "not retried: the same output would come back"


def test_an_output_of_the_declared_type_or_none_succeeds() -> None:
    h = _returning("DOUBLE")
    h.run()
    h.succeed(3)
    assert h.status == "COMPLETED", "an INT widens to a DOUBLE"
    empty = _returning("INT")
    empty.run()
    empty.succeed(None)
    assert empty.status == "COMPLETED"
