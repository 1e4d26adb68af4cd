"""Golden equivalence: Canter's builder and LittleHorse's compile the same workflows alike.

Each case is one construct of the programming model written twice, once
with ``canter`` and once with ``littlehorse-client`` 1.3.0; the official
SDK's ``Workflow(...).compile()`` through ``MessageToDict`` is the expected
JSON. Where the two APIs are identical the same function serves both;
where they differ (Canter's ``sleep_seconds`` for LittleHorse's ``sleep``,
``wait_for_threads(a, b)`` for ``SpawnedThreads.from_list(a, b)``, string
enums for protobuf enums, workflow-wide task defaults as constructor
arguments) the two definitions sit side by side. The dicts are compared
whole, with no normalisation: none is needed.

Section 17 on is the LittleHorse SDK's API as it is, for ported code:
``sleep``, ``pow``, the thread-level expression methods, ``condition``,
``negate``, assigning ``json_path``, ``do_and``/``do_or`` on a BOOL node
output, ``SpawnedThreads.from_list``, ``fail``/``complete`` with
``output=``, ``add_variable`` and the ``Workflow`` settings
(``with_retry_policy``, ``with_task_timeout_seconds``,
``with_update_type``), set after the thread functions are given, and the
``cast_to_*`` casts. Every case
also prints (``str(workflow)``) exactly as the LittleHorse SDK prints it.

Canter accepts a few things the LittleHorse SDK refuses (a TIMESTAMP
default, a TIMESTAMP for ``sleep_until``, comparisons on node outputs, a
BOOL variable as a condition, negating an AND/OR in ``do_while``); those
have no golden counterpart and are pinned down by the per-construct tests.
User tasks (section 22) leave out ``schedule_reminder_task_on_assignment``,
whose LittleHorse 1.3.0 version compiles its task arguments wrongly; its
JSON is pinned down in ``test_user_tasks.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import canter
import pytest
from canter import WorkflowThread
from canter.builder import SpawnedThreads as CanterSpawnedThreads
from canter.builder.graph import NodeKind
from canter_engine.model.spec import PutWfSpecRequest
from google.protobuf.json_format import MessageToDict
from littlehorse.model import (
    AllowedUpdateType,
    ExponentialBackoffRetryPolicy,
    LHErrorType,
    VariableMutationType,
    VariableType,
    WaitForThreadsStrategy,
    WfRunVariableAccessLevel,
)
from littlehorse.model import Comparator as LHComparator
from littlehorse.workflow import SpawnedThreads
from littlehorse.workflow import Workflow as LHWorkflow
from littlehorse.workflow import WorkflowThread as LHThread

Entrypoint = Callable[[Any], None]


@dataclass(frozen=True)
class Golden:
    name: str
    canter: Entrypoint
    littlehorse: Entrypoint | None = None
    canter_options: dict[str, Any] | None = None
    littlehorse_setup: Callable[[LHWorkflow], None] | None = None
    canter_setup: Callable[[canter.Workflow], None] | None = None


# --- 1. Variables: every type, defaults, flags and access levels ----------------


def variables(wf: Any) -> None:
    wf.declare_int("count", 5).required()
    wf.declare_str("email").searchable().masked()
    wf.declare_double("ratio", 0.5)
    wf.declare_bool("approved", False)
    wf.declare_bytes("blob", b"\x00\xffdata")
    wf.declare_json_obj("order", {"id": 7, "items": ["a", "b"]}).searchable_on("$.id", "INT")
    wf.declare_json_arr("tags", ["x", 1, None]).as_public()
    wf.declare_timestamp("due").as_inherited()
    wf.declare_wf_run_id("parent")
    wf.declare_str("note").with_access_level("PUBLIC_VAR")


def lh_variables(wf: LHThread) -> None:
    from littlehorse.model import VariableType, WfRunVariableAccessLevel

    wf.declare_int("count", 5).required()
    wf.declare_str("email").searchable().masked()
    wf.declare_double("ratio", 0.5)
    wf.declare_bool("approved", False)
    wf.declare_bytes("blob", b"\x00\xffdata")
    wf.declare_json_obj("order", {"id": 7, "items": ["a", "b"]}).searchable_on(
        "$.id", VariableType.INT
    )
    wf.declare_json_arr("tags", ["x", 1, None]).as_public()
    wf.declare_timestamp("due").as_inherited()
    wf.declare_wf_run_id("parent")
    wf.declare_str("note").with_access_level(WfRunVariableAccessLevel.PUBLIC_VAR)


# --- 2. Tasks: arguments of every kind, retries, timeouts and backoff ----------


def tasks(wf: Any, backoff: Any) -> None:
    order = wf.declare_json_obj("order")
    total = wf.declare_double("total")
    wf.execute("ping")
    priced = wf.execute(
        "price-order",
        order,
        order.with_json_path("$.items"),
        42,
        2.5,
        True,
        "eur",
        {"k": "v"},
        [1, 2],
        retries=3,
        timeout_seconds=30,
        exponential_backoff=backoff,
    )
    total.assign(priced.with_json_path("$.total"))
    wf.execute("charge", priced, priced.with_json_path("$.currency"))


def canter_tasks(wf: WorkflowThread) -> None:
    tasks(wf, canter.ExponentialBackoff(base_interval_ms=500, max_delay_ms=60_000, multiplier=2.0))


def lh_tasks(wf: LHThread) -> None:
    tasks(
        wf, ExponentialBackoffRetryPolicy(base_interval_ms=500, max_delay_ms=60_000, multiplier=2.0)
    )


# --- 3. A task given as a registered function compiles like one given by name ---


@canter.task(name="greet")
def greet(name: str, times: int) -> str:
    return name * times


def canter_registered_task(wf: WorkflowThread) -> None:
    name = wf.declare_str("name").required()
    greeting = wf.declare_str("greeting")
    greeting.assign(wf.execute(greet, name, 2))


def lh_registered_task(wf: LHThread) -> None:
    name = wf.declare_str("name").required()
    greeting = wf.declare_str("greeting")
    greeting.assign(wf.execute("greet", name, 2))


# --- 4. Every mutation ------------------------------------------------------------


def mutations(wf: Any, op: Any) -> None:
    count = wf.declare_int("count", 0)
    ratio = wf.declare_double("ratio", 1.0)
    text = wf.declare_str("text", "")
    items = wf.declare_json_arr("items", [])
    doc = wf.declare_json_obj("doc", {})
    out = wf.execute("produce")
    count.assign(out.with_json_path("$.n"))
    wf.mutate(count, op.ADD, 1)
    wf.mutate(count, op.SUBTRACT, 2)
    wf.mutate(ratio, op.MULTIPLY, count)
    wf.mutate(ratio, op.DIVIDE, 4.0)
    wf.mutate(text, op.ADD, "suffix")
    wf.mutate(items, op.ADD, "one")
    wf.mutate(items, op.EXTEND, ["two", "three"])
    wf.mutate(items, op.REMOVE_IF_PRESENT, "one")
    wf.mutate(items, op.REMOVE_INDEX, 0)
    wf.mutate(doc, op.REMOVE_KEY, "stale")
    wf.mutate(doc.with_json_path("$.status"), op.ASSIGN, "done")
    wf.execute("consume", count, ratio, text, items, doc)


def canter_mutations(wf: WorkflowThread) -> None:
    mutations(wf, canter.VariableMutationType)


def lh_mutations(wf: LHThread) -> None:
    mutations(wf, VariableMutationType)


# --- 5. Format strings and expressions --------------------------------------------


def formats_and_expressions(wf: Any) -> None:
    name = wf.declare_str("name", "world")
    count = wf.declare_int("count", 1)
    total = wf.declare_double("total", 0.0)
    tags = wf.declare_json_arr("tags", ["a"])
    message = wf.declare_str("message")
    wf.execute("log", wf.format("Hello {0}, you are #{1}", name, count))
    message.assign(wf.format("{0}!", name))
    count.assign(count.add(1).multiply(3).subtract(2).divide(2))
    total.assign(total.add(count))
    tags.assign(tags.extend(["b"]).remove_if_present("a").remove_index(0))
    wf.execute("report", count.multiply(2), tags.remove_key("x"))


# --- 6. Conditions: every comparator, if / else-if / else -------------------------


def conditions(wf: Any) -> None:
    n = wf.declare_int("n", 3)
    s = wf.declare_str("s", "b")
    arr = wf.declare_json_arr("arr", ["a", "b"])
    wf.do_if(n.is_equal_to(1), lambda t: t.execute("equal"))
    wf.do_if(n.is_not_equal_to(1), lambda t: t.execute("not-equal"))
    wf.do_if(n.is_greater_than(1), lambda t: t.execute("gt"), lambda t: t.execute("not-gt"))
    wf.do_if(n.is_greater_than_eq(2), lambda t: t.execute("gte"))
    wf.do_if(n.is_less_than(4), lambda t: n.assign(4))
    wf.do_if(n.is_less_than_eq(4), lambda t: t.execute("lte"))
    wf.do_if(s.is_in(arr), lambda t: t.execute("in"))
    wf.do_if(s.is_not_in(["x", "y"]), lambda t: t.execute("not-in"))
    wf.do_if(arr.does_contain("a"), lambda t: t.execute("contains"))
    wf.do_if(arr.does_not_contain(s), lambda t: t.execute("lacks"))


def else_if_chain(wf: Any) -> None:
    score = wf.declare_int("score").required()
    grade = wf.declare_str("grade")
    wf.do_if(score.is_greater_than_eq(90), lambda t: grade.assign("A")).do_else_if(
        score.is_greater_than_eq(80), lambda t: t.execute("grade-b", score)
    ).do_else_if(score.is_greater_than_eq(70), lambda t: grade.assign("C")).do_else(
        lambda t: t.execute("fail-student", score)
    )
    wf.execute("publish", grade)


def nested_control_flow(wf: Any) -> None:
    n = wf.declare_int("n", 0)
    log = wf.declare_json_arr("log", [])
    n.assign(1)

    def inner_else(t: Any) -> None:
        t.do_if(n.is_greater_than(10), lambda u: n.assign(10)).do_else(
            lambda u: u.fail("too-small", "n must exceed 10")
        )

    wf.do_if(n.is_equal_to(0), lambda t: None).do_else_if(
        n.is_less_than(0), lambda t: log.assign(log.add("negative"))
    ).do_else(inner_else)
    wf.do_if(
        n.is_greater_than(5),
        lambda t: t.do_while(n.is_greater_than(5), lambda u: n.assign(n.subtract(1))),
    )
    wf.do_while(n.is_less_than(3), lambda t: t.do_if(n.is_equal_to(1), lambda u: None))


# --- 7. Loops ----------------------------------------------------------------------


def loops(wf: Any) -> None:
    i = wf.declare_int("i", 0)
    results = wf.declare_json_arr("results", [])

    def body(t: Any) -> None:
        results.assign(results.add(t.execute("work", i)))
        i.assign(i.add(1))
        t.do_if(i.is_equal_to(5), lambda u: u.execute("halfway"))

    wf.do_while(i.is_less_than(10), body)
    wf.do_while(i.is_greater_than(0), lambda t: i.assign(i.subtract(1)))


# --- 8. Ending: complete with a value, fail with content, in branches --------------


def endings(wf: Any) -> None:
    amount = wf.declare_int("amount").required()
    wf.do_if(
        amount.is_less_than(0),
        lambda t: t.fail("negative-amount", "amount must not be negative", amount),
    )
    wf.do_if(amount.is_equal_to(0), lambda t: t.complete())
    outcome = wf.declare_str("outcome")
    outcome.assign(wf.execute("settle", amount))
    wf.do_if(
        outcome.is_equal_to("rejected"),
        lambda t: t.fail("rejected", "the bank said no"),
    )
    wf.complete(outcome)


# --- 9. External events and sleeping ----------------------------------------------


def events_and_sleep(wf: Any, sleep_seconds: Callable[[Any], None]) -> None:
    order_id = wf.declare_str("order-id").required()
    delay = wf.declare_int("delay", 60)
    wake_at = wf.declare_int("wake-at")
    payment = wf.declare_json_obj("payment")
    payment.assign(wf.wait_for_event("payment-received", timeout=3600))
    wf.execute("record", wf.wait_for_event("shipment", correlation_id=order_id))
    sleep_seconds(30)
    sleep_seconds(delay)
    wf.sleep_until(wake_at)
    wf.execute("done", payment.with_json_path("$.amount"))


def canter_events_and_sleep(wf: WorkflowThread) -> None:
    events_and_sleep(wf, wf.sleep_seconds)


def lh_events_and_sleep(wf: LHThread) -> None:
    events_and_sleep(wf, wf.sleep)


# --- 10. Child threads: spawn, spawn for each, wait --------------------------------


def child(t: Any) -> None:
    t.declare_str("who")
    t.execute("child-work")


def item_worker(t: Any) -> None:
    item = t.declare_json_obj("INPUT")
    t.declare_str("who")
    t.execute("process-item", item)


def canter_child_threads(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items", [{"id": 1}])
    name = wf.declare_str("name", "n")
    first = wf.spawn_thread(child, "first-child", input={"who": name})
    second = wf.spawn_thread(child, "second-child", {"who": "literal"})
    wf.wait_for_threads(first, second)
    each = wf.spawn_thread_for_each(items, item_worker, "per-item", input={"who": name})
    wf.wait_for_threads(each, strategy="WAIT_FOR_ANY")


def lh_child_threads(wf: LHThread) -> None:
    items = wf.declare_json_arr("items", [{"id": 1}])
    name = wf.declare_str("name", "n")
    first = wf.spawn_thread(child, "first-child", input={"who": name})
    second = wf.spawn_thread(child, "second-child", {"who": "literal"})
    wf.wait_for_threads(SpawnedThreads.from_list(first, second))
    each = wf.spawn_thread_for_each(items, item_worker, "per-item", input={"who": name})
    wf.wait_for_threads(each, strategy=WaitForThreadsStrategy.WAIT_FOR_ANY)


# --- 11. Failure handling: exceptions, errors, anything, and children's failures ---


def handler(t: Any) -> None:
    t.execute("compensate")


def canter_failure_handlers(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items", [1, 2])
    charge = wf.execute("charge")
    wf.handle_exception(charge, handler, "card-declined")
    wf.handle_exception(charge, handler)
    wf.handle_error(charge, handler, canter.ErrorType.TIMEOUT)
    wf.handle_error(charge, handler)
    ship = wf.execute("ship")
    wf.handle_any_failure(ship, handler)
    each = wf.spawn_thread_for_each(items, item_worker, "per-item")
    waited = wf.wait_for_threads(each)
    waited.handle_exception_on_child(handler, "bad-item")
    waited.handle_error_on_child(handler, "TASK_FAILURE")
    waited.handle_any_failure_on_child(handler)


def lh_failure_handlers(wf: LHThread) -> None:
    items = wf.declare_json_arr("items", [1, 2])
    charge = wf.execute("charge")
    wf.handle_exception(charge, handler, "card-declined")
    wf.handle_exception(charge, handler)
    wf.handle_error(charge, handler, LHErrorType.TIMEOUT)
    wf.handle_error(charge, handler)
    ship = wf.execute("ship")
    wf.handle_any_failure(ship, handler)
    each = wf.spawn_thread_for_each(items, item_worker, "per-item")
    waited = wf.wait_for_threads(each)
    waited.handle_exception_on_child(handler, "bad-item")
    waited.handle_error_on_child(handler, LHErrorType.TASK_FAILURE)
    waited.handle_any_failure_on_child(handler)


# --- 12. Interrupts -------------------------------------------------------------------


def interrupts(wf: Any) -> None:
    status = wf.declare_str("status", "running")

    def on_cancel(t: Any) -> None:
        reason = t.declare_str("INPUT")
        status.assign("cancelled")
        t.execute("notify-cancel", reason)

    wf.add_interrupt_handler("cancel-order", on_cancel)
    wf.add_interrupt_handler("pause", lambda t: t.sleep_until(t.declare_int("until")))
    wf.execute("long-task", status)


# --- 13. Workflow-wide task defaults and a task chosen at run time ---------------------


def defaults_and_dynamic_task(wf: Any) -> None:
    kind = wf.declare_str("kind", "email")
    wf.execute("uses-defaults")
    wf.execute("overrides", retries=1, timeout_seconds=5)
    wf.execute(wf.format("notify-{0}", kind), "hello")
    wf.execute(kind)


def lh_defaults(wf: LHWorkflow) -> None:
    wf.with_retry_policy(retries=4)
    wf.with_task_timeout_seconds(20)


# --- 14. Workflow events, waiting for a condition, and AND/OR ----------------------------


def signals_and_boolean_logic(wf: Any) -> None:
    stock = wf.declare_int("stock", 0)
    open_ = wf.declare_bool("open", True)
    wf.do_if(stock.is_greater_than(0).do_and(open_), lambda t: t.execute("sell"))
    wf.do_if(
        stock.is_less_than(0).do_or(stock.is_greater_than(100)).do_and(open_.is_equal_to(True)),
        lambda t: t.throw_event("stock-anomaly", stock),
    )
    wf.wait_for_condition(stock.is_greater_than_eq(10))
    wf.throw_event("restocked", wf.format("stock is {0}", stock))
    wf.throw_event("heartbeat", None)


# --- 15. Child workflows -------------------------------------------------------------------


def child_workflows(wf: Any) -> None:
    order = wf.declare_json_obj("order")
    result = wf.declare_json_obj("result")
    shipping = wf.run_wf("shipping", {"order": order}, child_id="ship-1")
    billing = wf.run_wf("billing")
    result.assign(wf.wait_for_child_wf(shipping))
    wf.wait_for_child_wf(billing)


# --- 16. A whole order workflow, every construct together -------------------------------


def order_workflow(wf: Any) -> None:
    order = wf.declare_json_obj("order").required()
    attempts = wf.declare_int("attempts", 0)
    approved = wf.declare_bool("approved", False)
    receipt = wf.declare_str("receipt")

    def pay(t: Any) -> None:
        attempts.assign(attempts.add(1))
        result = t.execute("charge-card", order.with_json_path("$.card"), attempts)
        approved.assign(result.with_json_path("$.ok"))
        t.do_if(approved.is_equal_to(False), lambda u: u.sleep_until(attempts))

    wf.do_while(approved.is_equal_to(False), pay)
    wf.do_if(attempts.is_greater_than(3), lambda t: t.fail("too-many-attempts", "gave up"))
    confirmation = wf.wait_for_event("warehouse-confirmed", timeout=86_400)
    wf.handle_error(confirmation, lambda t: t.execute("escalate", order))
    receipt.assign(wf.format("order {0}: {1}", order.with_json_path("$.id"), confirmation))
    wf.complete(receipt)


# --- 17. LittleHorse's names: sleep, pow, thread-level expressions, json_path, negate -


def littlehorse_names(wf: Any, op: Any) -> None:
    delay = wf.declare_int("delay", 5)
    base = wf.declare_double("base", 1.5)
    items = wf.declare_json_arr("items", [1, 2])
    doc = wf.declare_json_obj("doc", {"a": 1})
    wf.sleep(10)
    wf.sleep(delay)
    base.assign(base.pow(2))
    wf.mutate(delay, op.POW, 3)
    wf.execute(
        "report",
        wf.add(delay, 1),
        wf.subtract(delay, 2),
        wf.multiply(base, delay),
        wf.divide(base, 4),
        wf.pow(delay, 2),
        wf.extend(items, [3]),
        wf.remove_if_present(items, 1),
        wf.remove_key(doc, "a"),
    )
    out = wf.execute("produce")
    out.json_path = "$.status"
    wf.execute("consume", out, delay.multiply(2).pow(2))
    wf.do_if(delay.is_less_than(5).negate(), lambda t: t.execute("big"))
    wf.do_while(delay.is_greater_than(0).negate().negate(), lambda t: delay.assign(0))


def canter_littlehorse_names(wf: WorkflowThread) -> None:
    littlehorse_names(wf, canter.VariableMutationType)


def lh_littlehorse_names(wf: LHThread) -> None:
    littlehorse_names(wf, VariableMutationType)


# --- 18. Conditions built by name, combined on BOOL node outputs --------------------


@canter.task(name="is-open")
def is_open() -> bool:
    return True


def canter_combined_conditions(wf: WorkflowThread) -> None:
    stock = wf.declare_int("stock", 3)
    flag = wf.declare_bool("flag", True)
    opened = wf.execute(is_open)
    wf.do_if(
        wf.condition(stock, canter.Comparator.GREATER_THAN, 0).do_and(opened.do_or(flag)),
        lambda t: t.execute("sell"),
    )
    wf.do_if(opened.do_and(wf.condition(stock, "LESS_THAN", 10)), lambda t: t.execute("few"))


def lh_combined_conditions(wf: LHThread) -> None:
    stock = wf.declare_int("stock", 3)
    flag = wf.declare_bool("flag", True)
    opened = wf.execute("is-open")
    wf.do_if(
        wf.condition(stock, LHComparator.GREATER_THAN, 0).do_and(opened.do_or(flag)),
        lambda t: t.execute("sell"),
    )
    wf.do_if(
        opened.do_and(wf.condition(stock, LHComparator.LESS_THAN, 10)),
        lambda t: t.execute("few"),
    )


# --- 19. from_list, output=, add_variable ---------------------------------------------


def ported_thread_api(wf: Any, spawned_threads: Any, int_type: Any, public: Any) -> None:
    limit = wf.add_variable("limit", int_type, public, 10)
    first = wf.spawn_thread(child, "first-child")
    second = wf.spawn_thread(child, "second-child")
    wf.wait_for_threads(spawned_threads.from_list(first, second))
    wf.do_if(limit.is_greater_than(100), lambda t: t.fail("too-big", "limit too big", output=limit))
    wf.complete(output=limit)


def canter_ported_thread_api(wf: WorkflowThread) -> None:
    ported_thread_api(wf, CanterSpawnedThreads, "INT", "PUBLIC_VAR")


def lh_ported_thread_api(wf: LHThread) -> None:
    ported_thread_api(wf, SpawnedThreads, VariableType.INT, WfRunVariableAccessLevel.PUBLIC_VAR)


# --- 20. Casts -------------------------------------------------------------------------


def casts(wf: Any, target: Any, json_obj: Any) -> None:
    text = wf.declare_str("text", "42")
    ratio = wf.declare_double("ratio", 2.5)
    count = wf.declare_int("count")
    doc = wf.declare_json_obj("doc", {"n": "7"})
    count.assign(text.cast_to_int())
    wf.execute(
        "convert",
        text.cast_to_double(),
        ratio.cast_to_int(),
        count.cast_to_str(),
        text.cast_to_bool(),
        text.cast_to_bytes(),
        text.cast_to_wf_run_id(),
        ratio.cast_to(target),
        doc.with_json_path("$.n").cast_to_int(),
        count.add(1).cast_to_double(),
        ratio.cast_to_int().cast_to_str(),
        ratio.cast_to_int().add(1),
    )
    out = wf.execute("produce")
    count.assign(out.cast_to_int())
    doc.assign(out.cast_to(json_obj))


def canter_casts(wf: WorkflowThread) -> None:
    casts(wf, "STR", "JSON_OBJ")


def lh_casts(wf: LHThread) -> None:
    casts(wf, VariableType.STR, VariableType.JSON_OBJ)


# --- 21. Workflow settings given after the thread functions ----------------------------


def workflow_settings(wf: Any) -> None:
    wf.execute("uses-defaults")
    wf.execute("overrides", retries=0, timeout_seconds=5)


def canter_settings(workflow: canter.Workflow) -> None:
    workflow.with_retry_policy(
        retries=2,
        exponential_backoff=canter.ExponentialBackoff(base_interval_ms=100, multiplier=3.0),
    ).with_task_timeout_seconds(45).with_update_type("MINOR_REVISION_UPDATES")


def lh_settings(workflow: LHWorkflow) -> None:
    workflow.with_retry_policy(
        retries=2,
        exponential_backoff=ExponentialBackoffRetryPolicy(base_interval_ms=100, multiplier=3.0),
    ).with_task_timeout_seconds(45).with_update_type(AllowedUpdateType.MINOR_REVISION_UPDATES)


def canter_no_updates(workflow: canter.Workflow) -> None:
    workflow.with_update_type(canter.AllowedUpdateType.NO_UPDATES)


def lh_no_updates(workflow: LHWorkflow) -> None:
    workflow.with_update_type(AllowedUpdateType.NO_UPDATES)


# --- 22. User tasks: assignment, notes, reminders, deadlines, cancellation -------------


def user_tasks(wf: Any) -> None:
    approver = wf.declare_str("approver")
    escalation = wf.declare_str("escalation-group")
    patience = wf.declare_int("patience", 600)
    review = (
        wf.assign_user_task("approve-expense", user_id=approver, user_group="finance")
        .with_notes(wf.format("expense for {0}", approver))
        .with_on_cancellation_exception("approval-cancelled")
    )
    wf.schedule_reminder_task(review, 60, "send-reminder", approver, "approve-expense")
    wf.reassign_user_task_on_deadline(review, patience, user_group=escalation)
    wf.release_to_group_on_deadline(review, 3600)
    wf.cancel_user_task_run_after(review, 86400)
    wf.cancel_user_task_run_after_assignment(review, patience)
    wf.execute("book-expense", review.with_json_path("$.approved"), review)
    group_only = wf.assign_user_task("review-expense", user_group="auditors")
    wf.reassign_user_task_on_deadline(group_only, 120, user_id="head-auditor")
    wf.execute("archive", group_only)


# --- 23. Structs: struct variables, field access, casts of fields -------------------


@canter.struct_def(name="car")
class GoldenCar:
    make: str
    year: int = 1970


def struct_variables(wf: Any) -> None:
    """A ``@canter.struct_def`` class carries the official SDK's mark, so its
    ``declare_struct`` takes Canter's class too."""
    car = wf.declare_struct("car", GoldenCar).required()
    wf.declare_struct("spare", "car", 2)
    owner = wf.add_variable("owner", struct_def_name="person", struct_def_version=0)
    year = wf.declare_int("year")
    label = wf.declare_str("label")
    wf.execute("describe-car", car, car.get("make"), owner.get("cars").get(0).get("year"))
    year.assign(car.get("year"))
    wf.do_if(car.get("year").is_less_than(2000), lambda t: label.assign("classic"))
    label.assign(car.get("year").cast_to_str())
    wf.declare_struct("other", GoldenCar).assign(GoldenCar(make="Fiat", year=1957))
    wf.execute("park-car", GoldenCar(make="Mini"))


def canter_struct_default(wf: WorkflowThread) -> None:
    wf.declare_struct("car", GoldenCar).with_default(GoldenCar(make="VW", year=1999))


def lh_struct_default(wf: LHThread) -> None:
    wf.add_variable("car", struct_def_name="car").with_default(GoldenCar(make="VW", year=1999))


GOLDEN = [
    Golden("variables", variables, lh_variables),
    Golden("tasks", canter_tasks, lh_tasks),
    Golden("registered-task", canter_registered_task, lh_registered_task),
    Golden("mutations", canter_mutations, lh_mutations),
    Golden("formats-and-expressions", formats_and_expressions),
    Golden("conditions", conditions),
    Golden("else-if-chain", else_if_chain),
    Golden("nested-control-flow", nested_control_flow),
    Golden("loops", loops),
    Golden("endings", endings),
    Golden("events-and-sleep", canter_events_and_sleep, lh_events_and_sleep),
    Golden("child-threads", canter_child_threads, lh_child_threads),
    Golden("failure-handlers", canter_failure_handlers, lh_failure_handlers),
    Golden("interrupts", interrupts),
    Golden(
        "defaults-and-dynamic-task",
        defaults_and_dynamic_task,
        canter_options={"task_retries": 4, "task_timeout_seconds": 20},
        littlehorse_setup=lh_defaults,
    ),
    Golden("signals-and-boolean-logic", signals_and_boolean_logic),
    Golden("child-workflows", child_workflows),
    Golden("order", order_workflow),
    Golden("littlehorse-names", canter_littlehorse_names, lh_littlehorse_names),
    Golden("combined-conditions", canter_combined_conditions, lh_combined_conditions),
    Golden("ported-thread-api", canter_ported_thread_api, lh_ported_thread_api),
    Golden("casts", canter_casts, lh_casts),
    Golden(
        "workflow-settings",
        workflow_settings,
        canter_setup=canter_settings,
        littlehorse_setup=lh_settings,
    ),
    Golden(
        "no-updates",
        workflow_settings,
        canter_options={"task_retries": 1},
        canter_setup=canter_no_updates,
        littlehorse_setup=lambda wf: lh_no_updates(wf.with_retry_policy(retries=1)),
    ),
    Golden(
        "all-updates",
        workflow_settings,
        canter_setup=lambda wf: wf.with_update_type("ALL_UPDATES").with_task_timeout_seconds(),
        littlehorse_setup=lambda wf: wf.with_update_type(
            AllowedUpdateType.ALL_UPDATES
        ).with_task_timeout_seconds(),
    ),
    Golden("user-tasks", user_tasks),
    Golden("structs", struct_variables),
    Golden("struct-default", canter_struct_default, lh_struct_default),
]


def littlehorse_workflow(case: Golden) -> LHWorkflow:
    workflow = LHWorkflow(case.name, case.littlehorse or case.canter)
    if case.littlehorse_setup is not None:
        case.littlehorse_setup(workflow)
    return workflow


def canter_workflow(case: Golden) -> canter.Workflow:
    workflow = canter.Workflow(case.name, case.canter, **(case.canter_options or {}))
    if case.canter_setup is not None:
        case.canter_setup(workflow)
    return workflow


def compile_littlehorse(case: Golden) -> dict[str, Any]:
    compiled: dict[str, Any] = MessageToDict(littlehorse_workflow(case).compile())
    return compiled


def compile_canter(case: Golden) -> dict[str, Any]:
    return canter_workflow(case).compile()


@pytest.mark.parametrize("case", GOLDEN, ids=[case.name for case in GOLDEN])
def test_canter_compiles_like_littlehorse(case: Golden) -> None:
    assert compile_canter(case) == compile_littlehorse(case)


@pytest.mark.parametrize("case", GOLDEN, ids=[case.name for case in GOLDEN])
def test_canter_prints_like_littlehorse(case: Golden) -> None:
    assert str(canter_workflow(case)) == str(littlehorse_workflow(case))


@pytest.mark.parametrize("case", GOLDEN, ids=[case.name for case in GOLDEN])
def test_compiled_workflow_is_accepted_by_the_engine_model(case: Golden) -> None:
    compiled = compile_canter(case)
    parsed = PutWfSpecRequest.model_validate(compiled)
    assert set(parsed.thread_specs) == set(compiled["threadSpecs"])
    for name, thread in compiled["threadSpecs"].items():
        assert set(parsed.thread_specs[name].nodes) == set(thread["nodes"])


def test_golden_cases_cover_every_node_kind_and_mutation() -> None:
    kinds: set[str] = set()
    operations: set[str] = set()
    for case in GOLDEN:
        for thread in compile_canter(case)["threadSpecs"].values():
            for node in thread["nodes"].values():
                kinds |= set(node) - {"outgoingEdges", "failureHandlers"}
                for edge in node.get("outgoingEdges", []):
                    operations |= {
                        m.get("operation", "ASSIGN") for m in edge.get("variableMutations", [])
                    }
    assert kinds == {kind.value for kind in NodeKind}
    assert operations == {op.value for op in canter.VariableMutationType}
