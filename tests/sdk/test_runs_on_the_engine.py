"""What the LittleHorse-named builder methods compile to runs on Canter's engine core.

The golden tests prove the JSON is LittleHorse's; these drive the pure core
(the harness of ``tests/core``) over the JSON Canter's builder compiles, so a
method is only offered when the engine also runs what it emits.
"""

from __future__ import annotations

import canter
from canter import WorkflowThread

from tests.core.harness import Harness


def run_canter(workflow: canter.Workflow, tasks: dict[str, tuple[str, ...]]) -> Harness:
    harness = Harness(workflow.compile(), tasks=tasks)
    harness.run()
    return harness


def test_pow_thread_expressions_and_combined_conditions() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n", 3)
        base = t.declare_double("base", 1.5)
        ok = t.declare_bool("ok", True)
        squared = t.declare_int("squared")
        total = t.declare_int("total")
        seen = t.declare_json_arr("seen", [1, 2, 3])
        verdict = t.declare_str("verdict", "none")
        squared.assign(n.pow(2))
        base.assign(t.pow(base, 2))
        t.mutate(n, "POW", 3)
        total.assign(t.subtract(t.multiply(t.add(n, 1), 2), 6))
        seen.assign(t.remove_index(seen, 0))
        t.do_if(
            ok.do_and(n.is_greater_than(10)).do_or(n.is_equal_to(0)),
            lambda u: verdict.assign("big"),
        ).do_else(lambda u: verdict.assign("small"))

    h = run_canter(canter.Workflow("ported", wf), {})
    assert h.status == "COMPLETED"
    assert {k: h.variables[k] for k in ("n", "base", "squared", "total", "seen", "verdict")} == {
        "n": 27,
        "base": 2.25,
        "squared": 9,
        "total": 50,
        "seen": [2, 3],
        "verdict": "big",
    }


def test_sleep_and_workflow_wide_task_defaults() -> None:
    def wf(t: WorkflowThread) -> None:
        t.sleep(5)
        t.execute("work")

    workflow = canter.Workflow("sleepy", wf).with_retry_policy(retries=1)
    h = run_canter(workflow, {"work": ()})
    assert h.status == "RUNNING"
    h.fire("SLEEP")
    h.fail("first attempt fails")
    h.succeed("done")
    assert h.status == "COMPLETED"
