"""Conditions and control flow: ``do_if`` / ``do_else_if`` / ``do_else`` and ``do_while``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from canter import WorkflowThread

from .helpers import compile_wf, entrypoint_spec, raises_at


def comparator_of(edge: dict[str, Any]) -> str:
    comparator: str = edge["condition"]["expression"]["comparator"]
    return comparator


@pytest.mark.parametrize(
    ("method", "comparator"),
    [
        ("is_equal_to", "EQUALS"),
        ("is_not_equal_to", "NOT_EQUALS"),
        ("is_greater_than", "GREATER_THAN"),
        ("is_greater_than_eq", "GREATER_THAN_EQ"),
        ("is_less_than", "LESS_THAN"),
        ("is_less_than_eq", "LESS_THAN_EQ"),
    ],
)
def test_comparison_methods(method: str, comparator: str) -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(getattr(n, method)(5), lambda u: u.execute("yes"))

    fan_out = entrypoint_spec(wf)["nodes"]["1-nop-NOP"]["outgoingEdges"]
    assert fan_out == [
        {
            "sinkNodeName": "2-yes-TASK",
            "condition": {
                "expression": {
                    "lhs": {"variableName": "n"},
                    "comparator": comparator,
                    "rhs": {"literalValue": {"int": "5"}},
                }
            },
        },
        {"sinkNodeName": "3-nop-NOP"},
    ]


def test_membership_methods_put_the_collection_on_the_right() -> None:
    def wf(t: WorkflowThread) -> None:
        s = t.declare_str("s")
        arr = t.declare_json_arr("arr")
        t.do_if(s.is_in(arr), lambda u: u.execute("a"))
        t.do_if(s.is_not_in(["x"]), lambda u: u.execute("b"))
        t.do_if(arr.does_contain(s), lambda u: u.execute("c"))
        t.do_if(arr.does_not_contain("y"), lambda u: u.execute("d"))

    nodes = entrypoint_spec(wf)["nodes"]
    conditions = [
        nodes[name]["outgoingEdges"][0]["condition"]["expression"]
        for name in ("1-nop-NOP", "4-nop-NOP", "7-nop-NOP", "10-nop-NOP")
    ]
    assert [(c["lhs"], c["comparator"], c["rhs"]) for c in conditions] == [
        ({"variableName": "s"}, "IN", {"variableName": "arr"}),
        ({"variableName": "s"}, "NOT_IN", {"literalValue": {"jsonArr": '["x"]'}}),
        ({"variableName": "s"}, "IN", {"variableName": "arr"}),
        ({"literalValue": {"str": "y"}}, "NOT_IN", {"variableName": "arr"}),
    ]


def test_else_if_and_else_branches_fan_out_in_order_and_join() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(n.is_less_than(0), lambda u: u.execute("negative")).do_else_if(
            n.is_equal_to(0), lambda u: u.execute("zero")
        ).do_else(lambda u: u.execute("positive"))
        t.execute("after")

    nodes = entrypoint_spec(wf)["nodes"]
    fan_out = nodes["1-nop-NOP"]["outgoingEdges"]
    assert [edge["sinkNodeName"] for edge in fan_out] == [
        "2-negative-TASK",
        "4-zero-TASK",
        "5-positive-TASK",
    ]
    assert [comparator_of(edge) for edge in fan_out[:2]] == ["LESS_THAN", "EQUALS"]
    assert "condition" not in fan_out[2]
    for branch in ("2-negative-TASK", "4-zero-TASK", "5-positive-TASK"):
        assert nodes[branch]["outgoingEdges"] == [{"sinkNodeName": "3-nop-NOP"}]
    assert nodes["3-nop-NOP"]["outgoingEdges"] == [{"sinkNodeName": "6-after-TASK"}]


def test_if_else_given_together() -> None:
    def wf(t: WorkflowThread) -> None:
        b = t.declare_bool("b")
        t.do_if(b, lambda u: u.execute("yes"), lambda u: u.execute("no"))

    fan_out = entrypoint_spec(wf)["nodes"]["1-nop-NOP"]["outgoingEdges"]
    assert fan_out[0]["condition"]["expression"] == {
        "lhs": {"variableName": "b"},
        "comparator": "EQUALS",
        "rhs": {"literalValue": {"bool": True}},
    }
    assert fan_out[1] == {"sinkNodeName": "4-no-TASK"}


def test_while_loop_has_entry_exit_and_back_edges() -> None:
    def wf(t: WorkflowThread) -> None:
        i = t.declare_int("i", 0)

        def body(u: WorkflowThread) -> None:
            u.execute("work", i)
            i.assign(i.add(1))

        t.do_while(i.is_less_than(3), body)

    nodes = entrypoint_spec(wf)["nodes"]
    start, end = nodes["1-nop-NOP"], nodes["3-nop-NOP"]
    assert [(e["sinkNodeName"], comparator_of(e)) for e in start["outgoingEdges"]] == [
        ("2-work-TASK", "LESS_THAN"),
        ("3-nop-NOP", "GREATER_THAN_EQ"),
    ]
    assert nodes["2-work-TASK"]["outgoingEdges"][0]["sinkNodeName"] == "3-nop-NOP"
    assert nodes["2-work-TASK"]["outgoingEdges"][0]["variableMutations"][0]["lhsName"] == "i"
    assert [(e["sinkNodeName"], "condition" in e) for e in end["outgoingEdges"]] == [
        ("1-nop-NOP", True),
        ("4-exit-EXIT", False),
    ]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("n", "a condition must be a comparison .* not INT variable 'n'"),
        ("n.add(1)", "not expression ADD"),
        ("'yes'", "not STR literal 'yes'"),
        ("True", "not BOOL literal True"),
    ],
)
def test_condition_on_a_non_boolean_is_refused(condition: str, message: str) -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(eval(condition, {"n": n}), lambda u: u.execute("x"))  # non-bool

    with raises_at("non-bool", message):
        compile_wf(wf)


Vars = dict[str, Any]

INCOMPATIBLE: list[tuple[str, Callable[[Vars], object], str]] = [
    ("order-str", lambda v: v["n"].is_greater_than("x"), "cannot order INT variable"),  # order-str
    ("eq-str", lambda v: v["n"].is_equal_to("3"), "STR literal '3' have different types"),  # eq-str
    ("in-int", lambda v: v["s"].is_in(v["n"]), "IN needs a JSON_ARR, JSON_OBJ or STR"),  # in-int
    ("order-obj", lambda v: v["o"].is_less_than(v["o"]), "cannot order JSON_OBJ"),  # order-obj
]


@pytest.mark.parametrize(("marker", "compare", "message"), INCOMPATIBLE)
def test_comparison_between_incompatible_types_is_refused(
    marker: str, compare: Callable[[Vars], object], message: str
) -> None:
    def wf(t: WorkflowThread) -> None:
        compare({"n": t.declare_int("n"), "s": t.declare_str("s"), "o": t.declare_json_obj("o")})

    with raises_at(marker, message):
        compile_wf(wf)


def test_int_and_double_compare() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_while(n.is_less_than(2.5), lambda u: u.execute("x"))

    assert "1-nop-NOP" in entrypoint_spec(wf)["nodes"]


def test_else_must_come_last() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        branch = t.do_if(n.is_equal_to(1), lambda u: u.execute("a"))
        branch.do_else(lambda u: u.execute("b"))
        branch.do_else_if(n.is_equal_to(2), lambda u: u.execute("c"))  # late-else-if

    with raises_at("late-else-if", "do_else_if\\(\\) after do_else\\(\\)"):
        compile_wf(wf)


def test_a_body_must_be_a_function() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_while(n.is_less_than(1), "not a function")  # type: ignore[arg-type]  # bad-body

    with raises_at("bad-body", "expected a function taking a WorkflowThread"):
        compile_wf(wf)


def test_and_or_combine_conditions_and_negate_by_de_morgan() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        ok = t.declare_bool("ok")
        t.do_while(n.is_less_than(10).do_and(ok), lambda u: u.execute("step"))

    start = entrypoint_spec(wf)["nodes"]["1-nop-NOP"]["outgoingEdges"]
    assert start[0]["condition"]["expression"] == {
        "lhs": {
            "expression": {
                "lhs": {"variableName": "n"},
                "comparator": "LESS_THAN",
                "rhs": {"literalValue": {"int": "10"}},
            }
        },
        "mutationType": "AND",
        "rhs": {"variableName": "ok"},
    }
    assert start[1]["condition"]["expression"] == {
        "lhs": {
            "expression": {
                "lhs": {"variableName": "n"},
                "comparator": "GREATER_THAN_EQ",
                "rhs": {"literalValue": {"int": "10"}},
            }
        },
        "mutationType": "OR",
        "rhs": {
            "expression": {
                "lhs": {"variableName": "ok"},
                "comparator": "NOT_EQUALS",
                "rhs": {"literalValue": {"bool": True}},
            }
        },
    }


def test_and_needs_a_boolean_on_both_sides() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        n.is_less_than(10).do_or(n)  # or-int

    with raises_at("or-int", "a condition must be a comparison .* not INT variable 'n'"):
        compile_wf(wf)


def test_python_and_between_conditions_is_refused_with_the_way_to_combine_them() -> None:
    """Without the refusal, ``a and b`` would compile to ``b`` alone (issue 13)."""

    def wf(t: WorkflowThread) -> None:
        a = t.declare_int("a")
        t.do_if(a.is_greater_than(1) and a.is_less_than(5), lambda u: None)  # py-and

    with raises_at("py-and", r"combine conditions with a\.do_and\(b\) or a\.do_or\(b\)"):
        compile_wf(wf)


def test_python_or_and_not_on_conditions_are_refused_too() -> None:
    def with_or(t: WorkflowThread) -> None:
        a = t.declare_int("a")
        t.do_while(a.is_less_than(1) or a.is_greater_than(9), lambda u: None)  # py-or

    def with_not(t: WorkflowThread) -> None:
        a = t.declare_int("a")
        t.do_if(not a.is_equal_to(1), lambda u: None)  # py-not

    with raises_at("py-or", r"instead of 'and'/'or'"):
        compile_wf(with_or)
    with raises_at("py-not", r"negate one with a\.negate\(\) instead of 'not'"):
        compile_wf(with_not)


def test_the_refusal_is_a_type_error_as_pythons_data_model_expects() -> None:
    def wf(t: WorkflowThread) -> None:
        combined = t.declare_bool("x").do_and(t.declare_int("n").is_equal_to(0))
        bool(combined)

    with pytest.raises(TypeError, match=r"condition .*evaluated when the workflow runs"):
        compile_wf(wf)


def test_a_runtime_value_cannot_be_tested_with_if() -> None:
    def wf(t: WorkflowThread) -> None:
        flag = t.declare_bool("flag")
        if flag:  # py-if
            t.execute("never-decided-here")

    with raises_at("py-if", r"BOOL variable 'flag' is only known when the workflow runs"):
        compile_wf(wf)


def test_values_that_cannot_be_conditions_keep_pythons_truth() -> None:
    """``lambda t: t.execute("x") and None`` is a common way to write a one-node thread."""

    def wf(t: WorkflowThread) -> None:
        t.declare_int("n") and t.execute("x") and None

    assert list(entrypoint_spec(wf)["nodes"]) == [
        "0-entrypoint-ENTRYPOINT",
        "1-x-TASK",
        "2-exit-EXIT",
    ]


def test_condition_by_comparator_name_is_the_comparison_method() -> None:
    def by_method(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(n.is_greater_than_eq(2), lambda u: u.execute("yes"))

    def by_name(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        t.do_if(t.condition(n, "GREATER_THAN_EQ", 2), lambda u: u.execute("yes"))

    assert compile_wf(by_name) == compile_wf(by_method)


def test_condition_checks_its_comparator_and_types() -> None:
    def bad_comparator(t: WorkflowThread) -> None:
        t.condition(t.declare_int("n"), "BIGGER", 2)  # bad-comparator

    def bad_types(t: WorkflowThread) -> None:
        t.condition(t.declare_int("n"), "LESS_THAN", "two")  # bad-types

    with raises_at("bad-comparator", "'BIGGER' is not a comparator: use one of LESS_THAN"):
        compile_wf(bad_comparator)
    with raises_at("bad-types", "cannot order INT variable 'n' against STR literal 'two'"):
        compile_wf(bad_types)


def test_a_bool_operand_combines_with_do_and_and_do_or() -> None:
    def wf(t: WorkflowThread) -> None:
        ok = t.declare_bool("ok")
        n = t.declare_int("n")
        t.do_while(ok.do_or(n.is_equal_to(0)), lambda u: u.execute("step"))

    start = entrypoint_spec(wf)["nodes"]["1-nop-NOP"]["outgoingEdges"]
    is_zero = {"lhs": {"variableName": "n"}, "rhs": {"literalValue": {"int": "0"}}}
    assert start[0]["condition"]["expression"] == {
        "lhs": {"variableName": "ok"},
        "mutationType": "OR",
        "rhs": {"expression": {**is_zero, "comparator": "EQUALS"}},
    }
    assert start[1]["condition"]["expression"] == {
        "lhs": {
            "expression": {
                "lhs": {"variableName": "ok"},
                "comparator": "NOT_EQUALS",
                "rhs": {"literalValue": {"bool": True}},
            }
        },
        "mutationType": "AND",
        "rhs": {"expression": {**is_zero, "comparator": "NOT_EQUALS"}},
    }


def test_do_and_on_a_value_that_is_not_a_bool_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        n.do_and(n.is_equal_to(1))  # int-and

    with raises_at("int-and", "a condition must be a comparison .* not INT variable 'n'"):
        compile_wf(wf)
