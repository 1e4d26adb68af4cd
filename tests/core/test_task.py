"""TASK: input assignment, dispatch as a ScheduledTask, output of the first success."""

from canter_engine.core import live_records
from littlehorse.workflow import WorkflowThread

from tests.core.harness import Harness


def two_tasks(wf: WorkflowThread) -> None:
    name = wf.declare_str("name").required()
    greeting = wf.execute("greet", name)
    wf.execute("shout", greeting.with_json_path("$.text"))


def test_a_task_gets_its_inputs_and_its_output_feeds_the_next_task() -> None:
    h = Harness(two_tasks, tasks={"greet": ("STR",), "shout": ("STR",)})
    h.run(name="Ada")
    assert h.task_input() == ["Ada"]
    h.succeed({"text": "hello Ada"})
    assert h.task_input() == ["hello Ada"]
    h.succeed("HELLO ADA")
    assert h.status == "COMPLETED"
    assert h.path() == ["0-entrypoint-ENTRYPOINT", "1-greet-TASK", "2-shout-TASK", "3-exit-EXIT"]
    assert h.statuses() == ["COMPLETED"] * 4
    assert h.task_run("0-2")["attempts"][-1]["output"] == {"str": "HELLO ADA"}


def test_the_scheduled_task_is_littlehorses_message() -> None:
    h = Harness(two_tasks, tasks={"greet": ("STR",), "shout": ("STR",)})
    h.run(name="Ada")
    (task,) = h.sent
    assert task.task_queue == "greet"
    assert task.scheduled_task == {
        "taskRunId": {"wfRunId": {"id": "wf-1"}, "taskGuid": "0-1"},
        "taskDefId": {"name": "greet"},
        "attemptNumber": 0,
        "variables": [{"varName": "arg0", "value": {"str": "Ada"}}],
        "createdAt": "2023-11-14T22:13:20.001Z",
        "source": {
            "taskNode": {
                "nodeRunId": {"wfRunId": {"id": "wf-1"}, "threadRunNumber": 0, "position": 1}
            },
            "wfSpecId": {"name": "wf", "majorVersion": 0, "revision": 0},
        },
    }


def test_an_attempt_is_one_message_carrying_its_timeout_and_no_timer() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        wf.execute("greet", "Ada", timeout_seconds=5)
        wf.execute("shout", "Ada")

    h = Harness(wf_fn, tasks={"greet": ("STR",), "shout": ("STR",)})
    started = h.run()
    assert [type(e).__name__ for e in started.effects] == ["ScheduleTask"]
    assert h.in_flight().timeout_seconds == 5
    h.succeed("hi")
    assert h.in_flight().timeout_seconds == 60, "DEFAULT_TASK_TIMEOUT_SECONDS"
    assert h.timers == [], "the worker enforces the timeout; the engine sets no timer"


def test_a_reported_task_records_its_attempt_in_the_taskrun() -> None:
    h = Harness(two_tasks, tasks={"greet": ("STR",), "shout": ("STR",)})
    h.run(name="Ada")
    h.succeed({"text": "x"})
    run = h.task_run("0-1")
    assert run["status"] == "TASK_SUCCESS"
    assert run["attempts"][0]["output"] == {"jsonObj": '{"text":"x"}'}
    assert run["attempts"][0]["startTime"] == run["attempts"][0]["endTime"]


def test_a_task_input_of_the_wrong_type_fails_the_node_with_var_sub_error() -> None:
    def wf_fn(wf: WorkflowThread) -> None:
        data = wf.declare_json_obj("data")
        wf.execute("greet", data.with_json_path("$.n"))

    h = Harness(wf_fn, tasks={"greet": ("STR",)})
    h.run(data={"n": {"a": 1}})
    assert h.status == "ERROR"
    assert h.failure()["failureName"] == "VAR_SUB_ERROR"
    assert (
        "Value of type JSON_OBJ is not compatible with expected type STR"
        in (h.failure()["message"])
    )
    assert h.sent == []


def test_a_task_node_is_written_once_when_it_ends_and_lives_in_the_head_until_then() -> None:
    h = Harness(two_tasks, tasks={"greet": ("STR",), "shout": ("STR",)})
    started = h.run(name="Ada")
    assert {r.sk for r in started.records} == {
        "node#000000#00000000",
        "var#000000#name",
    }, "the running TASK node and its TaskRun stay in the head"
    assert {r.sk for r in live_records(h.state)} == {"node#000000#00000001", "task#0-1"}  # type: ignore[arg-type]
    done = h.succeed({"text": "hi"})
    (node,) = [r for r in done.records if r.sk == "node#000000#00000001"]
    assert [r.sk for r in done.records if r.sk.startswith("task#")] == []
    task_run = node.task_run_json()
    assert task_run is not None and task_run["status"] == "TASK_SUCCESS", "one item for both"
