"""Variable declarations: types, defaults, flags, access levels, and their mistakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from canter import WorkflowThread
from google.protobuf.json_format import MessageToDict
from littlehorse.utils import to_variable_value

from .helpers import entrypoint_spec, raises_at


def var_defs(entrypoint: object) -> dict[str, dict[str, object]]:
    spec = entrypoint_spec(entrypoint)  # type: ignore[arg-type]
    return {d["varDef"]["name"]: d for d in spec["variableDefs"]}


def test_each_declaration_has_its_type_and_is_private_by_default() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_int("i")
        t.declare_str("s")
        t.declare_double("d")
        t.declare_bool("b")
        t.declare_bytes("y")
        t.declare_json_obj("o")
        t.declare_json_arr("a")
        t.declare_timestamp("ts")
        t.declare_wf_run_id("w")

    defs = var_defs(wf)
    assert {name: d["varDef"]["typeDef"]["primitiveType"] for name, d in defs.items()} == {  # type: ignore[index]
        "i": "INT",
        "s": "STR",
        "d": "DOUBLE",
        "b": "BOOL",
        "y": "BYTES",
        "o": "JSON_OBJ",
        "a": "JSON_ARR",
        "ts": "TIMESTAMP",
        "w": "WF_RUN_ID",
    }
    assert {d["accessLevel"] for d in defs.values()} == {"PRIVATE_VAR"}


def test_flags_and_access_levels() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_str("email").required().searchable().masked().as_public()
        t.declare_json_obj("doc").searchable_on("$.id", "STR").as_inherited()

    defs = var_defs(wf)
    assert defs["email"] == {
        "varDef": {"name": "email", "typeDef": {"primitiveType": "STR", "masked": True}},
        "required": True,
        "searchable": True,
    }
    assert defs["doc"] == {
        "varDef": {"name": "doc", "typeDef": {"primitiveType": "JSON_OBJ"}},
        "jsonIndexes": [{"fieldPath": "$.id", "fieldType": "STR"}],
        "accessLevel": "INHERITED_VAR",
    }


def test_defaults_encode_like_protobuf() -> None:
    due = datetime(2030, 5, 6, 7, 8, 9, 250000, tzinfo=timezone(timedelta(hours=2)))

    def wf(t: WorkflowThread) -> None:
        t.declare_int("i", 7)
        t.declare_double("d").with_default(1.5)
        t.declare_bytes("y", b"\x01\x02")
        t.declare_json_obj("o", {"k": [1, 2]})
        t.declare_json_arr("a", [{"x": None}])
        t.declare_timestamp("ts", due)
        t.declare_bool("b", False)

    defs = var_defs(wf)
    for name, value in [
        ("i", 7),
        ("d", 1.5),
        ("y", b"\x01\x02"),
        ("o", {"k": [1, 2]}),
        ("a", [{"x": None}]),
        ("ts", due.astimezone(UTC)),
        ("b", False),
    ]:
        assert defs[name]["varDef"]["defaultValue"] == MessageToDict(to_variable_value(value))  # type: ignore[index]


def test_an_int_default_widens_to_a_double_and_a_str_names_a_wf_run() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_double("d", 2)
        t.declare_wf_run_id("w", "run-1")

    defs = var_defs(wf)
    assert defs["d"]["varDef"]["defaultValue"] == {"double": 2.0}  # type: ignore[index]
    assert defs["w"]["varDef"]["defaultValue"] == {"wfRunId": {"id": "run-1"}}  # type: ignore[index]


def test_default_of_the_wrong_type_is_refused_at_the_declaration() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_int("count", "three")  # type: ignore[arg-type]  # bad-default

    with raises_at("bad-default", "default value 'three' of variable 'count' is not a INT"):
        entrypoint_spec(wf)


def test_duplicate_variable_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_str("name")
        t.declare_int("name")  # duplicate

    with raises_at("duplicate", "variable 'name' is already declared in thread 'entrypoint'"):
        entrypoint_spec(wf)


def test_json_path_needs_a_json_variable_and_a_dollar() -> None:
    def on_str(t: WorkflowThread) -> None:
        t.declare_str("s").with_json_path("$.x")  # path-on-str

    def no_dollar(t: WorkflowThread) -> None:
        t.declare_json_obj("o").with_json_path("x.y")  # no-dollar

    with raises_at("path-on-str", "JSONPath needs a JSON_OBJ or JSON_ARR variable"):
        entrypoint_spec(on_str)
    with raises_at("no-dollar", "invalid JSONPath 'x.y'"):
        entrypoint_spec(no_dollar)


def test_unknown_access_level_lists_the_choices() -> None:
    def wf(t: WorkflowThread) -> None:
        t.declare_str("s").with_access_level("PUBLIC")  # bad-level

    with raises_at("bad-level", "PUBLIC_VAR, PRIVATE_VAR, INHERITED_VAR"):
        entrypoint_spec(wf)


def test_find_variable_by_name_sees_ancestors_only() -> None:
    def child(t: WorkflowThread) -> None:
        t.execute("use", t.find_variable("shared"))
        t.find_variable("missing")  # missing-name

    def wf(t: WorkflowThread) -> None:
        t.declare_str("shared")
        t.spawn_thread(child, "child")

    with raises_at("missing-name", "no variable 'missing' is declared in thread 'child'"):
        entrypoint_spec(wf)


def test_assigning_json_path_narrows_the_handle_in_place() -> None:
    def wf(t: WorkflowThread) -> None:
        order = t.declare_json_obj("order")
        out = t.execute("x")
        out.json_path = "$.total"
        order.json_path = "$.items[0]"
        t.execute("y", order, out)

    spec = entrypoint_spec(wf)
    assert spec["nodes"]["2-y-TASK"]["task"]["variables"] == [
        {"variableName": "order", "jsonPath": "$.items[0]"},
        {"nodeOutput": {"nodeName": "1-x-TASK"}, "jsonPath": "$.total"},
    ]
    assert spec["variableDefs"][0]["varDef"] == {
        "name": "order",
        "typeDef": {"primitiveType": "JSON_OBJ"},
    }


def test_json_path_is_assigned_once_to_a_json_variable() -> None:
    def twice(t: WorkflowThread) -> None:
        order = t.declare_json_obj("order").with_json_path("$.a")
        order.json_path = "$.b"  # twice

    def on_int(t: WorkflowThread) -> None:
        t.declare_int("n").json_path = "$.a"  # on-int

    def on_output(t: WorkflowThread) -> None:
        t.execute("x").json_path = "items"  # bad-output-path

    with raises_at("twice", "variable 'order' already has JSONPath '\\$.a'"):
        entrypoint_spec(twice)
    with raises_at("on-int", "JSONPath needs a JSON_OBJ or JSON_ARR variable, but 'n' is INT"):
        entrypoint_spec(on_int)
    with raises_at("bad-output-path", "invalid JSONPath 'items'"):
        entrypoint_spec(on_output)


def test_add_variable_takes_the_type_access_level_and_default_as_values() -> None:
    def wf(t: WorkflowThread) -> None:
        t.add_variable("limit", "INT", "PUBLIC_VAR", 10)
        t.add_variable("name", "STR")

    assert entrypoint_spec(wf)["variableDefs"] == [
        {
            "varDef": {
                "name": "limit",
                "typeDef": {"primitiveType": "INT"},
                "defaultValue": {"int": "10"},
            },
        },
        {
            "varDef": {"name": "name", "typeDef": {"primitiveType": "STR"}},
            "accessLevel": "PRIVATE_VAR",
        },
    ]


def test_add_variable_refuses_an_unknown_type() -> None:
    def wf(t: WorkflowThread) -> None:
        t.add_variable("x", "STRUCT")  # bad-type

    with raises_at("bad-type", "'STRUCT' is not a variable type: use one of JSON_OBJ"):
        entrypoint_spec(wf)
