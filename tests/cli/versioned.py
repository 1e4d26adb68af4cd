"""Two versions of one workflow: the second adds a required input (a new major version)."""

from __future__ import annotations

from canter import Workflow, WorkflowThread


def first(t: WorkflowThread) -> None:
    t.declare_int("a").required()


def second(t: WorkflowThread) -> None:
    t.declare_int("a").required()
    t.declare_int("b").required()


FIRST = Workflow("cli-versioned", first)
SECOND = Workflow("cli-versioned", second)
