"""Struct-typed variables and tasks through the local stack.

Workflows are compiled by the official SDK (``declare_struct``, ``.get(field)``,
``cast_to_*``); tasks are Canter functions taking and returning
``@canter.struct_def`` classes; answers are parsed strictly into the official
classes. Mirrors LittleHorse's StructValidationsTest, LHPathTest and the struct
cases of TypeCastingTest.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

import canter
import pytest
from canter import Client
from canter.client import CanterError, to_value
from google.protobuf.json_format import MessageToDict, ParseDict
from littlehorse.model import (
    Comparator,
    NodeRunList,
    StructDef,
    TaskRun,
    Variable,
    VariableList,
    VariableType,
    WfRun,
    WfSpec,
)
from littlehorse.workflow import Workflow, WorkflowThread

from .support import Names, worker

pytestmark = pytest.mark.e2e

_SUFFIX = uuid.uuid4().hex[:8]
CAR = f"car-{_SUFFIX}"
OWNER = f"owner-{_SUFFIX}"
CREDENTIALS = f"credentials-{_SUFFIX}"


@canter.struct_def(name=CAR)
class Car:
    make: str
    model: str
    year: int = 1970


@canter.struct_def(name=CREDENTIALS)
class Credentials:
    username: str
    password: Annotated[str, canter.StructField(masked=True)]


@canter.struct_def(name=OWNER)
class Owner:
    full_name: str
    car: Car


def _describe(car: Car) -> str:
    return f"{car.make} {car.model} from {car.year}"


def _older(car: Car) -> Car:
    return Car(make=car.make, model=car.model, year=car.year - 10)


def _not_a_car(car: Car) -> dict[str, Any]:
    return {"make": car.make}


def _greet(name: str) -> str:
    return f"hello {name}"


@pytest.fixture(scope="module", autouse=True)
def struct_defs(client: Client) -> None:
    for cls in (Car, Owner, Credentials):
        ParseDict(client.put_struct_def(cls), StructDef())


def _deploy(
    client: Client, name: str, body: Callable[[WorkflowThread], None], tasks: dict[str, Any]
) -> dict[str, Any]:
    for task_name, fn in tasks.items():
        client.put_task_def(canter.create_task_def(fn, name=task_name))
    spec = client.put_wf_spec(MessageToDict(Workflow(name, body).compile()))
    ParseDict(spec, WfSpec())
    return spec


def _variable(client: Client, wf_run_id: str, name: str) -> Variable:
    found = client.call(
        "GetVariable", {"wfRunId": {"id": wf_run_id}, "threadRunNumber": 0, "name": name}
    )
    return ParseDict(found, Variable())


def test_a_struct_goes_through_a_task_and_comes_back(client: Client, names: Names) -> None:
    """A struct input reaches the task as its class; the struct it returns is stored."""
    describe, older = names("describe"), names("older")

    def body(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR).required()
        label = wf.declare_str("label")
        aged = wf.declare_struct("aged", CAR)
        label.assign(wf.execute(describe, car))
        aged.assign(wf.execute(older, car))

    spec = _deploy(client, names("wf"), body, {describe: _describe, older: _older})
    declared = spec["threadSpecs"]["entrypoint"]["variableDefs"][0]["varDef"]["typeDef"]
    assert declared == {"structDefId": {"name": CAR}}  # pinned to version 0
    with worker(client, {describe: _describe, older: _older}):
        wf_run_id = client.run_wf(names("wf"), {"car": Car(make="VW", model="Golf", year=2001)})[
            "id"
        ]["id"]
        wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
    ParseDict(wf_run, WfRun())
    assert wf_run["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "label") == "VW Golf from 2001"
    aged = _variable(client, wf_run_id, "aged").value.struct
    assert aged.struct_def_id.name == CAR and aged.struct_def_id.version == 0
    assert aged.struct.fields["year"].value.int == 1991
    assert client.variables(wf_run_id)["aged"] == {"make": "VW", "model": "Golf", "year": 1991}
    ParseDict({"results": client.list_variables(wf_run_id)}, VariableList())


def test_a_nested_struct_is_checked_field_by_field(client: Client, names: Names) -> None:
    """Mirrors StructValidationsTest: a struct missing a required field is INVALID_ARGUMENT."""

    def body(wf: WorkflowThread) -> None:
        wf.declare_struct("owner", OWNER).required()

    _deploy(client, names("wf"), body, {})
    good = Owner(full_name="Ada", car=Car(make="VW", model="Golf"))
    wf_run_id = client.run_wf(names("wf"), {"owner": good})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    stored = _variable(client, wf_run_id, "owner").value.struct
    assert stored.struct.fields["car"].value.struct.struct.fields["make"].value.str == "VW"

    missing = {
        "struct": {
            "structDefId": {"name": OWNER, "version": -1},
            "struct": {
                "fields": {
                    "fullName": {"value": {"str": "Ada"}},
                    "car": {
                        "value": {
                            "struct": {
                                "structDefId": {"name": CAR},
                                "struct": {"fields": {"model": {"value": {"str": "Golf"}}}},
                            }
                        }
                    },
                }
            },
        }
    }
    with pytest.raises(CanterError) as refused:
        client.call("RunWf", {"wfSpecName": names("wf"), "variables": {"owner": missing}})
    assert refused.value.status == 400
    assert (
        f"Variable owner invalid: Struct incompatible with StructDef {OWNER}/00000: "
        f"Field 'car' is invalid: StructFieldDef validation failed: Struct incompatible with "
        f"StructDef {CAR}/00000: Missing required field make"
    ) in str(refused.value)

    with pytest.raises(CanterError) as not_a_struct:
        client.run_wf(names("wf"), {"owner": "hello"})
    assert not_a_struct.value.status == 400
    assert f"Value of type STR is not compatible with expected type Struct<{OWNER},v0>" in str(
        not_a_struct.value
    )


def test_a_task_returning_the_wrong_type_fails_with_var_sub_error(
    client: Client, names: Names
) -> None:
    """As LittleHorse's TaskRunModel: an output that does not match the declared struct is
    TASK_OUTPUT_SERDE_ERROR, not retried, and the node fails with VAR_SUB_ERROR."""
    task = names("bad")

    def body(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR).required()
        wf.execute(task, car, retries=2)

    client.put_task_def(
        {
            "name": task,
            "inputVars": [{"name": "car", "typeDef": {"structDefId": {"name": CAR}}}],
            "returnType": {"returnType": {"structDefId": {"name": CAR, "version": -1}}},
        }
    )
    client.put_wf_spec(MessageToDict(Workflow(names("wf"), body).compile()))
    with worker(client, {task: _not_a_car}):
        wf_run_id = client.run_wf(names("wf"), {"car": Car(make="VW", model="Golf")})["id"]["id"]
        wf_run = client.wait_for_wf_run(wf_run_id, timeout=30)
    assert wf_run["status"] == "ERROR"
    task_runs = client.list_task_runs(wf_run_id)
    assert len(task_runs) == 1
    run = ParseDict(task_runs[0], TaskRun())
    assert [a.status for a in run.attempts] == [
        TaskRun.DESCRIPTOR.fields_by_name["status"]
        .enum_type.values_by_name["TASK_OUTPUT_SERDE_ERROR"]
        .number
    ]
    assert run.attempts[0].error.message == (
        "Task output incompatible with declared return type: Value of type JSON_OBJ is not "
        f"compatible with expected type Struct<{CAR},v0>"
    )
    nodes = client.list_node_runs(wf_run_id)
    ParseDict({"results": nodes}, NodeRunList())
    assert nodes[-1]["failures"][0]["failureName"] == "VAR_SUB_ERROR"


def test_fields_in_a_condition_a_mutation_and_a_cast(client: Client, names: Names) -> None:
    """Mirrors LHPathTest.shouldPerformGetOnStruct: ``car.get("year")`` read in a condition,
    assigned to an INT variable and cast to STR for a STR input."""
    greet = names("greet")

    def body(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR).required()
        year = wf.declare_int("year")
        verdict = wf.declare_str("verdict")
        greeting = wf.declare_str("greeting")
        year.assign(car.get("year"))
        wf.do_if(
            wf.condition(car.get("year"), Comparator.LESS_THAN, 2000),
            lambda t: verdict.assign("classic"),
            lambda t: verdict.assign("modern"),
        )
        greeting.assign(wf.execute(greet, car.get("year").cast_to_str()))

    _deploy(client, names("wf"), body, {greet: _greet})
    with worker(client, {greet: _greet}):
        runs = {
            made: client.run_wf(names("wf"), {"car": Car(make="VW", model="Beetle", year=made)})[
                "id"
            ]["id"]
            for made in (1968, 2012)
        }
        for wf_run_id in runs.values():
            assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert client.variables(runs[1968])["verdict"] == "classic"
    assert client.variables(runs[2012])["verdict"] == "modern"
    assert client.variables(runs[2012])["year"] == 2012
    assert client.variables(runs[1968])["greeting"] == "hello 1968"


def test_put_wf_spec_refuses_what_can_never_work(client: Client, names: Names) -> None:
    """Each a 400 naming the problem, as LittleHorse's PutWfSpec: a field the StructDef does not
    have (LHPathTest.shouldFailGetOnStructWithInvalidField), a StructDef that does not exist,
    a cast of a whole struct, and a struct field assigned to a variable of another type."""

    def unknown_field(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR)
        wf.declare_int("n").assign(car.get("age"))

    def unknown_def(wf: WorkflowThread) -> None:
        wf.declare_struct("car", f"no-such-{_SUFFIX}")

    def cast_struct(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR)
        wf.declare_str("s").assign(car.cast_to_str())

    def wrong_type(wf: WorkflowThread) -> None:
        car = wf.declare_struct("car", CAR)
        wf.declare_int("n").assign(car.get("make"))

    expected = {
        "unknown-field": (unknown_field, f"could not find field 'age' on type Struct<{CAR},v0>"),
        "unknown-def": (
            unknown_def,
            "Var name car defined in thread entrypoint refers to non-existent StructDef: "
            f"Refers to non-existent StructDef no-such-{_SUFFIX}",
        ),
        "cast-struct": (cast_struct, "Cannot cast from STRUCT to STR"),
        "wrong-type": (wrong_type, "Cannot assign STR to INT without explicit casting."),
    }
    for label, (body, message) in expected.items():
        with pytest.raises(CanterError) as refused:
            client.put_wf_spec(MessageToDict(Workflow(names(label), body).compile()))
        assert refused.value.status == 400, label
        assert message in str(refused.value), label


def test_a_masked_field_is_masked_in_every_answer(client: Client, names: Names) -> None:
    """Mirrors StructMaskedFieldsTest.shouldMaskStructFieldValues: the password field of the
    stored struct reads as ``*****``, the username in clear; the task still gets it. A masked
    struct variable reads as ``*****`` whole."""
    login = names("login")
    seen: list[str] = []

    def _login(username: str) -> str:
        seen.append(username)
        return f"Processed user: {username}"

    def body(wf: WorkflowThread) -> None:
        creds = wf.declare_struct("credentials", CREDENTIALS).required()
        wf.declare_struct("backup", CREDENTIALS).masked()
        wf.execute(login, creds.get("username"))

    _deploy(client, names("wf"), body, {login: _login})
    with worker(client, {login: _login}):
        wf_run_id = client.run_wf(
            names("wf"),
            {
                "credentials": Credentials(username="admin", password="s3cret!"),
                "backup": Credentials(username="root", password="t0psecret"),
            },
        )["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert seen == ["admin"]
    fields = _variable(client, wf_run_id, "credentials").value.struct.struct.fields
    assert fields["username"].value.str == "admin"
    assert fields["password"].value.str == "*****"
    assert fields["password"].masked
    backup = _variable(client, wf_run_id, "backup")
    assert backup.value.str == "*****" and backup.masked
    listed = client.list_variables(wf_run_id)
    assert "s3cret!" not in str(listed) and "root" not in str(listed)


def test_get_on_a_struct_with_an_array_and_a_nested_struct(client: Client, names: Names) -> None:
    """Mirrors LHPathTest.shouldPerformGetOnStruct: ``person.get("name")``,
    ``.get("friends").get(0)`` (an Array field) and ``.get("phoneNumbers").get("home")``.
    The official Python SDK has no array fields in its StructDefs, so the StructDefs and the
    value are given as proto JSON, as the Java SDK sends them."""
    phones, person = names("phones"), names("person")
    str_type = {"primitiveType": "STR"}
    phone_fields = {k: {"fieldType": str_type} for k in ("home", "work")}
    client.put_struct_def({"name": phones, "structDef": {"fields": phone_fields}})
    client.put_struct_def(
        {
            "name": person,
            "structDef": {
                "fields": {
                    "name": {"fieldType": str_type},
                    "friends": {"fieldType": {"inlineArrayDef": {"arrayType": str_type}}},
                    "phoneNumbers": {"fieldType": {"structDefId": {"name": phones, "version": -1}}},
                }
            },
        }
    )
    greet, lookup, call = names("greet"), names("lookup"), names("call")
    tasks = {
        greet: lambda name: f"Greetings {name}",
        lookup: lambda friend: f"Looking up {friend}",
        call: lambda number: f"Calling {number}",
    }

    def body(wf: WorkflowThread) -> None:
        someone = wf.declare_struct("person", person).required()
        wf.declare_str("greeted").assign(wf.execute(greet, someone.get("name")))
        wf.declare_str("looked-up").assign(wf.execute(lookup, someone.get("friends").get(0)))
        home = someone.get("phoneNumbers").get("home")
        wf.declare_str("called").assign(wf.execute(call, home))

    for name in tasks:
        client.put_task_def({"name": name, "inputVars": [{"name": "v", "typeDef": str_type}]})
    client.put_wf_spec(MessageToDict(Workflow(names("wf"), body).compile()))
    value = {
        "struct": {
            "structDefId": {"name": person, "version": -1},
            "struct": {
                "fields": {
                    "name": {"value": {"str": "Obi-Wan Kenobi"}},
                    "friends": {"value": {"array": {"items": [{"str": "Yoda"}, {"str": "Ani"}]}}},
                    "phoneNumbers": {
                        "value": {
                            "struct": {
                                "structDefId": {"name": phones},
                                "struct": {
                                    "fields": {
                                        "home": {"value": {"str": "111-222-3344"}},
                                        "work": {"value": {"str": "555-667-7788"}},
                                    }
                                },
                            }
                        }
                    },
                }
            },
        }
    }
    with worker(client, tasks):
        started = client.call("RunWf", {"wfSpecName": names("wf"), "variables": {"person": value}})
        wf_run = client.wait_for_wf_run(started["id"]["id"], timeout=30)
    assert wf_run["status"] == "COMPLETED"
    said = client.variables(started["id"]["id"])
    assert [said["greeted"], said["looked-up"], said["called"]] == [
        "Greetings Obi-Wan Kenobi",
        "Looking up Yoda",
        "Calling 111-222-3344",
    ]
    stored = _variable(client, started["id"]["id"], "person").value.struct.struct.fields
    assert stored["friends"].value.array.element_type.primitive_type == VariableType.STR


def test_a_searchable_struct_variable_is_found_by_its_value(client: Client, names: Names) -> None:
    """SearchVariable with the struct as a client writes it (StructDef version -1)."""

    def body(wf: WorkflowThread) -> None:
        wf.declare_struct("car", CAR).searchable().required()

    _deploy(client, names("wf"), body, {})
    golf = Car(make="VW", model="Golf", year=1999)
    wf_run_id = client.run_wf(names("wf"), {"car": golf})["id"]["id"]
    client.run_wf(names("wf"), {"car": Car(make="VW", model="Polo")})
    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    found = client.search_variable(names("wf"), "car", to_value(golf))
    assert [r["wfRunId"]["id"] for r in found["results"]] == [wf_run_id]


def test_event_definitions_pin_their_struct_content_type(client: Client, names: Names) -> None:
    """Mirrors StructDefLifecycleTest.StructDefVersionPinningTest: a contentType naming the
    latest StructDef (-1) is stored with the version it found."""
    latest = {"returnType": {"structDefId": {"name": CAR, "version": -1}}}
    external = client.call("PutExternalEventDef", {"name": names("arrived"), "contentType": latest})
    assert external["contentType"] == {"returnType": {"structDefId": {"name": CAR}}}
    thrown = client.call("PutWorkflowEventDef", {"name": names("parked"), "contentType": latest})
    assert thrown["contentType"] == {"returnType": {"structDefId": {"name": CAR}}}
    missing = {"returnType": {"structDefId": {"name": f"none-{_SUFFIX}", "version": -1}}}
    with pytest.raises(CanterError, match="Refers to non-existent StructDef none-"):
        client.call("PutWorkflowEventDef", {"name": names("nothing"), "contentType": missing})


def test_an_external_event_of_a_struct_type_is_checked(client: Client, names: Names) -> None:
    """As PutExternalEventRequestModel: content that does not match the ExternalEventDef's
    struct contentType is INVALID_ARGUMENT; a matching struct reaches the struct variable."""
    arrived = names("arrived")
    client.call(
        "PutExternalEventDef",
        {"name": arrived, "contentType": {"returnType": {"structDefId": {"name": CAR}}}},
    )

    def body(wf: WorkflowThread) -> None:
        wf.declare_struct("car", CAR).assign(wf.wait_for_event(arrived))

    _deploy(client, names("wf"), body, {})
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    with pytest.raises(CanterError) as refused:
        client.put_external_event(wf_run_id, arrived, {"make": "VW"})
    assert refused.value.status == 400
    assert (
        f"Invalid type of content for event. Check the return type of ExternalEventDef "
        f"{arrived}: Value of type JSON_OBJ is not compatible with expected type Struct<{CAR},v0>"
    ) in str(refused.value)
    client.put_external_event(wf_run_id, arrived, Car(make="VW", model="Up"))
    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    assert client.variables(wf_run_id)["car"] == {"make": "VW", "model": "Up", "year": 1970}
