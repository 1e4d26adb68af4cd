"""Format strings and expressions: values computed when the workflow runs."""

from __future__ import annotations

from canter import WorkflowThread

from .helpers import compile_wf, entrypoint_spec, raises_at


def test_format_string_with_variables_and_literals() -> None:
    def wf(t: WorkflowThread) -> None:
        name = t.declare_str("name")
        t.execute("greet", t.format("Hello {0}, {1} times", name, 3))

    task = entrypoint_spec(wf)["nodes"]["1-greet-TASK"]["task"]
    assert task["variables"] == [
        {
            "formatString": {
                "format": {"literalValue": {"str": "Hello {0}, {1} times"}},
                "args": [{"variableName": "name"}, {"literalValue": {"int": "3"}}],
            }
        }
    ]


def test_format_string_placeholder_without_argument_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.format("{0} and {1}", "only-one")  # missing-arg

    with raises_at("missing-arg", r"refers to \{1\} but has only 1 argument"):
        compile_wf(wf)


def test_expressions_nest_left_to_right() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        arr = t.declare_json_arr("arr")
        out = t.execute("x")
        n.assign(n.add(1).multiply(out.with_json_path("$.k")))
        arr.assign(arr.remove_index(0).extend([1]).remove_if_present(2))

    mutations = entrypoint_spec(wf)["nodes"]["1-x-TASK"]["outgoingEdges"][0]["variableMutations"]
    assert mutations[0]["rhsAssignment"] == {
        "expression": {
            "lhs": {
                "expression": {
                    "lhs": {"variableName": "n"},
                    "mutationType": "ADD",
                    "rhs": {"literalValue": {"int": "1"}},
                }
            },
            "mutationType": "MULTIPLY",
            "rhs": {"nodeOutput": {"nodeName": "1-x-TASK"}, "jsonPath": "$.k"},
        }
    }
    outer = mutations[1]["rhsAssignment"]["expression"]
    assert outer["mutationType"] == "REMOVE_IF_PRESENT"
    assert outer["lhs"]["expression"]["mutationType"] == "EXTEND"
    assert outer["lhs"]["expression"]["lhs"]["expression"]["mutationType"] == "REMOVE_INDEX"


def test_a_condition_can_be_assigned_to_a_bool() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        big = t.declare_bool("big")
        big.assign(n.is_greater_than(10))

    edge = entrypoint_spec(wf)["nodes"]["0-entrypoint-ENTRYPOINT"]["outgoingEdges"][0]
    assert edge["variableMutations"][0]["rhsAssignment"]["expression"]["comparator"] == (
        "GREATER_THAN"
    )


def test_unsupported_literal_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.execute("x", {1, 2})  # a-set

    with raises_at("a-set", r"cannot use \{1, 2\} \(a set\) as a literal value"):
        compile_wf(wf)


def test_pow_and_the_thread_level_expression_methods() -> None:
    def wf(t: WorkflowThread) -> None:
        n = t.declare_int("n")
        arr = t.declare_json_arr("arr")
        doc = t.declare_json_obj("doc")
        t.execute(
            "x",
            n.pow(2),
            t.pow(2, n),
            t.add(n, 1),
            t.subtract(n, 1),
            t.multiply(n, 2),
            t.divide(n, 2),
            t.extend(arr, [1]),
            t.remove_if_present(arr, 1),
            t.remove_index(arr, 0),
            t.remove_key(doc, "k"),
        )

    arguments = entrypoint_spec(wf)["nodes"]["1-x-TASK"]["task"]["variables"]
    assert [(a["expression"]["lhs"], a["expression"]["mutationType"]) for a in arguments] == [
        ({"variableName": "n"}, "POW"),
        ({"literalValue": {"int": "2"}}, "POW"),
        ({"variableName": "n"}, "ADD"),
        ({"variableName": "n"}, "SUBTRACT"),
        ({"variableName": "n"}, "MULTIPLY"),
        ({"variableName": "n"}, "DIVIDE"),
        ({"variableName": "arr"}, "EXTEND"),
        ({"variableName": "arr"}, "REMOVE_IF_PRESENT"),
        ({"variableName": "arr"}, "REMOVE_INDEX"),
        ({"variableName": "doc"}, "REMOVE_KEY"),
    ]
    assert arguments[1]["expression"]["rhs"] == {"variableName": "n"}
    assert arguments[8]["expression"]["rhs"] == {"literalValue": {"int": "0"}}
