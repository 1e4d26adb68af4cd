"""WfSpecs compiled by the official LittleHorse SDK (1.3.0) parse unchanged and validate."""

from collections.abc import Callable

import pytest
from canter_engine.model.spec import PutWfSpecRequest
from canter_engine.model.validate import parse_request, validate_wf_spec
from littlehorse.model import Comparator, VariableMutationType
from littlehorse.workflow import WorkflowThread

from tests.core.harness import compile_lh, task_def

TASKS = {
    "fetch": task_def("fetch", "STR"),
    "charge": task_def("charge", "DOUBLE"),
    "notify": task_def("notify", "STR", "INT"),
    "ship": task_def("ship", "JSON_OBJ"),
}
EVENTS = {"approved", "cancelled"}


def order(wf: WorkflowThread) -> None:
    order_id = wf.declare_str("order-id").required().searchable()
    details = wf.declare_json_obj("details")
    details.assign(wf.execute("fetch", order_id, retries=3, timeout_seconds=30))
    wf.execute("charge", details.with_json_path("$.amount"))
    wf.execute("ship", details)


def approval_loop(wf: WorkflowThread) -> None:
    tries = wf.declare_int("tries", 0)

    def body(t: WorkflowThread) -> None:
        t.execute("notify", t.format("attempt {0}", tries), tries)
        tries.assign(tries.add(1))

    wf.do_while(tries.is_less_than(3), body)
    wf.wait_for_event("approved", timeout=3600)


def branches(wf: WorkflowThread) -> None:
    amount = wf.declare_double("amount").required()
    wf.do_if(
        wf.condition(amount, Comparator.GREATER_THAN, 100.0),
        lambda t: t.execute("charge", amount),
        lambda t: t.fail("too-small", "amount under the minimum"),
    )


def mutations(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items", [])
    count = wf.declare_int("count", 0)
    wf.mutate(items, VariableMutationType.ADD, "a")
    wf.mutate(items, VariableMutationType.EXTEND, ["b", "c"])
    wf.mutate(items, VariableMutationType.REMOVE_INDEX, 0)
    wf.mutate(count, VariableMutationType.MULTIPLY, 3)
    wf.complete(items)


def sleeper(wf: WorkflowThread) -> None:
    until = wf.declare_int("until")
    wf.sleep(10)
    wf.sleep_until(until)
    wf.execute("fetch", "done")


def masked_and_defaults(wf: WorkflowThread) -> None:
    wf.declare_str("token").masked()
    flag = wf.declare_bool("flag", False)
    wf.declare_json_obj("config", {"retries": 2})
    wf.do_if(flag.is_equal_to(True), lambda t: t.execute("fetch", "on"))
    wf.wait_for_event("cancelled")


WORKFLOWS: dict[str, Callable[[WorkflowThread], None]] = {
    "order": order,
    "approval-loop": approval_loop,
    "branches": branches,
    "mutations": mutations,
    "sleeper": sleeper,
    "masked-and-defaults": masked_and_defaults,
}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_littlehorse_compiled_wfspec_parses_unchanged_and_validates(name: str) -> None:
    compiled = compile_lh(name, WORKFLOWS[name])
    request = parse_request(PutWfSpecRequest, compiled)
    assert request.to_json() == compiled
    validate_wf_spec(request, TASKS, EVENTS)
