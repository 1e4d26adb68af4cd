"""Scope: which variables and node outputs a thread may use, and which thread is being built."""

from __future__ import annotations

from typing import Any

import canter
from canter import Workflow, WorkflowThread

from .helpers import compile_wf, raises_at


def test_child_thread_uses_its_ancestors_variables() -> None:
    def grandchild(t: WorkflowThread) -> None:
        t.execute("deep", t.find_variable("top"))

    def child(t: WorkflowThread) -> None:
        t.spawn_thread(grandchild, "grandchild")

    def wf(t: WorkflowThread) -> None:
        t.declare_str("top")
        t.spawn_thread(child, "child")

    nodes = compile_wf(wf)["threadSpecs"]["grandchild"]["nodes"]
    assert nodes["1-deep-TASK"]["task"]["variables"] == [{"variableName": "top"}]


def test_parent_cannot_use_a_childs_variable() -> None:
    leaked: list[Any] = []

    def child(t: WorkflowThread) -> None:
        leaked.append(t.declare_int("private"))

    def second(t: WorkflowThread) -> None:
        t.execute("peek", leaked[0])  # sibling-variable

    def wf(t: WorkflowThread) -> None:
        t.spawn_thread(child, "child")
        t.spawn_thread(second, "second")

    with raises_at("sibling-variable", "variable 'private' is not declared in thread 'second'"):
        compile_wf(wf)


def test_variable_of_another_workflow_is_refused() -> None:
    foreign: list[Any] = []
    Workflow("other", lambda t: foreign.append(t.declare_str("name")))

    def wf(t: WorkflowThread) -> None:
        t.execute("greet", foreign[0])  # foreign

    with raises_at("foreign", "variable 'name' belongs to workflow 'other', not to 'wf'"):
        compile_wf(wf)


def test_node_output_of_another_thread_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        out = t.execute("produce")
        t.spawn_thread(lambda c: c.execute("use", out), "child")  # other-output

    with raises_at("other-output", "output of node '1-produce-TASK' is not in thread 'child'"):
        compile_wf(wf)


def test_using_the_parent_thread_inside_a_child_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.spawn_thread(lambda c: t.execute("wrong-thread"), "child")  # wrong-thread

    with raises_at("wrong-thread", "thread 'entrypoint' is not being defined any more"):
        compile_wf(wf)


def test_error_points_at_the_line_inside_nested_bodies() -> None:
    @canter.task
    def ping() -> None:
        return None

    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")

        def loop(u: WorkflowThread) -> None:
            u.execute(ping)
            u.do_if(n.is_less_than(1), lambda v: v.execute(ping, n))  # nested

        t.do_while(n.is_less_than(3), loop)

    with raises_at("nested", r"task 'ping' takes 0 argument\(s\) \(\) but 1 were given"):
        compile_wf(wf)
