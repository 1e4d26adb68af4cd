"""TaskDefs from functions: the PutTaskDefRequest a signature implies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, TypedDict

import canter
import pytest
from canter import WorkflowDefinitionError, create_task_def, task_def_of
from google.protobuf.json_format import MessageToDict
from littlehorse.model import PutTaskDefRequest
from littlehorse.worker import _resolved_signature, _return_to_lh_schema, _to_variable_def


class Order(TypedDict):
    id: int


class WorkerContext:
    """Stands in for the worker's context class, which marks itself the same way."""

    __canter_context__ = True


def ship(order: dict[str, Any], items: list[Any], express: bool, weight: float, n: int) -> str:
    return ""


def littlehorse_request(fn: Any, name: str) -> dict[str, Any]:
    """What littlehorse-client's ``create_task_def`` would send for ``fn``."""
    signature = _resolved_signature(fn)
    request = PutTaskDefRequest(
        name=name,
        input_vars=[_to_variable_def(p) for p in signature.parameters.values()],
        return_type=_return_to_lh_schema(signature.return_annotation),
    )
    compiled: dict[str, Any] = MessageToDict(request)
    return compiled


def test_matches_littlehorse_for_the_types_both_support() -> None:
    assert create_task_def(ship) == littlehorse_request(ship, "ship")


def test_every_supported_hint_maps_to_its_type() -> None:
    def everything(
        i: int,
        d: float,
        b: bool,
        s: str,
        y: bytes,
        o: dict[str, int],
        m: Mapping[str, Any],
        td: Order,
        a: list[int],
        q: Sequence[str],
        ts: datetime,
        opt: int | None,
        ann: Annotated[str, "doc"],
    ) -> Order:
        raise NotImplementedError

    request = create_task_def(everything)
    assert [(v["name"], v["typeDef"]["primitiveType"]) for v in request["inputVars"]] == [
        ("i", "INT"),
        ("d", "DOUBLE"),
        ("b", "BOOL"),
        ("s", "STR"),
        ("y", "BYTES"),
        ("o", "JSON_OBJ"),
        ("m", "JSON_OBJ"),
        ("td", "JSON_OBJ"),
        ("a", "JSON_ARR"),
        ("q", "JSON_ARR"),
        ("ts", "TIMESTAMP"),
        ("opt", "INT"),
        ("ann", "STR"),
    ]
    assert request["returnType"] == {"returnType": {"primitiveType": "JSON_OBJ"}}


def test_name_queue_and_type_options_and_no_return_type_for_none() -> None:
    def notify(ctx: WorkerContext, user: str) -> None:
        return None

    assert create_task_def(notify, name="notify-user", task_queue="emails", task_type="n") == {
        "name": "notify-user",
        "inputVars": [{"name": "user", "typeDef": {"primitiveType": "STR"}}],
        "taskQueue": "emails",
        "taskType": "n",
    }


def test_decorator_keeps_the_function_and_records_its_request() -> None:
    @canter.task
    def plain(x: int) -> int:
        return x + 1

    @canter.task(name="renamed", task_queue="q")
    def other() -> str:
        return "ok"

    assert plain(1) == 2
    assert task_def_of(plain) == {
        "name": "plain",
        "inputVars": [{"name": "x", "typeDef": {"primitiveType": "INT"}}],
        "returnType": {"returnType": {"primitiveType": "INT"}},
    }
    assert task_def_of(other) == {
        "name": "renamed",
        "returnType": {"returnType": {"primitiveType": "STR"}},
        "taskQueue": "q",
    }
    assert task_def_of(lambda: None) is None


@pytest.mark.parametrize(
    ("fn_source", "message"),
    [
        ("def f(x: set[int]) -> None: ...", "parameter 'x' of f has type set"),
        ("def f(x) -> None: ...", "parameter 'x' of task f needs a type hint"),
        ("def f(x: int): ...", "task f needs a return type hint"),
        ("def f(*xs: int) -> None: ...", "cannot take \\*args or \\*\\*kwargs"),
        ("def f() -> complex: ...", "the return value of f has type <class 'complex'>"),
        ("def f(x: 'Missing') -> None: ...", "cannot resolve the type hints of f"),
    ],
)
def test_unsupported_signatures_are_refused_clearly(fn_source: str, message: str) -> None:
    namespace: dict[str, Any] = {}
    exec(fn_source, namespace)
    with pytest.raises(WorkflowDefinitionError, match=message):
        create_task_def(namespace["f"])
