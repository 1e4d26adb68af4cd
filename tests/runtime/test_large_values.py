"""Values up to 5 MiB, transparently: in variables, task inputs and outputs,
ExternalEvents, WorkflowEvents and WfRun results.

Over the inline limit a value lives in the payload bucket and DynamoDB and
SQS hold a small reference (store/payloads.py); every read returns the whole
value, and DeleteWfRun removes the objects. One more byte than 5 MiB is
refused with a 413 that names the limit and the field.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import boto3
import pytest
from canter import Client, WorkflowThread, lambda_handler
from canter.client import ResourceExhausted
from canter.local import LocalStack
from canter_engine import resources
from canter_engine.handlers.limits import MAX_RESPONSE_BYTES, MAX_VALUE_BYTES
from canter_engine.store.item_size import item_size
from canter_engine.store.payloads import INLINE_BYTES, REF, run_prefix

from .support import Names, post, register, state_items, worker

pytestmark = pytest.mark.e2e

# Encoded as {"str": "..."}: the value's JSON takes 10 bytes more than its text.
STR_ENVELOPE = len(json.dumps({"str": ""}, separators=(",", ":")))
SIZES = {"100KB": 100_000, "1MB": 1_000_000, "5MB": MAX_VALUE_BYTES - STR_ENVELOPE}


def text_of(size: int) -> str:
    """``size`` characters that do not compress: a value DynamoDB could not hold even deflated."""
    return base64.b64encode(os.urandom(size))[:size].decode()


def echo(text: str) -> str:
    return text


def largest_state_item(wf_run_id: str) -> int:
    return max(item_size(item) for item in state_items(wf_run_id).values())


def stored_objects(stack: LocalStack, wf_run_id: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
    listed = s3.list_objects_v2(
        Bucket=resources.PAYLOAD_BUCKET.physical_name("local"), Prefix=run_prefix(wf_run_id)
    )
    return [o["Key"] for o in listed.get("Contents", [])]


@pytest.mark.parametrize("size", list(SIZES.values()), ids=list(SIZES))
def test_a_large_value_goes_through_variables_tasks_events_and_results(
    client: Client, stack: LocalStack, names: Names, size: int
) -> None:
    task, event, thrown = names("echo"), names("ev"), names("thrown")

    def body(t: WorkflowThread) -> None:
        data = t.declare_str("data").required()
        out = t.declare_str("out")
        got = t.declare_str("got")
        t.mutate(out, "ASSIGN", t.execute(task, data))
        t.mutate(got, "ASSIGN", t.wait_for_event(event))
        t.throw_event(thrown, got)
        t.complete(t.execute(task, got))

    client.put_workflow_event_def(thrown, {"returnType": {"primitiveType": "STR"}})
    task_def = {task: {"inputVars": [{"name": "text", "type": "STR"}]}}
    register(client, names("wf"), body, task_def, events=(event,))
    sent, posted = text_of(size), text_of(size)
    with worker(client, {task: echo}):
        wf_run_id = client.run_wf(names("wf"), variables={"data": sent})["id"]["id"]
        client.put_external_event(wf_run_id, event, posted)
        wf_run = client.wait_for_wf_run(wf_run_id, timeout=60)
    assert wf_run["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "data") == sent
    assert client.get_variable(wf_run_id, "out") == sent
    assert client.get_variable(wf_run_id, "got") == posted
    assert client.get_external_event(wf_run_id, event, _guid(client, wf_run_id))["content"] == {
        "str": posted
    }
    (thrown_event,) = client.list_workflow_events(wf_run_id)
    assert thrown_event["content"] == {"str": posted}
    assert wf_run["threadRuns"][0]["output"] == {"str": posted}
    if 2 * size < MAX_RESPONSE_BYTES:
        first = client.get_task_run(wf_run_id, "0-1")
        assert first["inputVariables"][0]["value"] == {"str": sent}
        assert first["attempts"][0]["output"] == {"str": sent}
    else:
        # Its input and output together pass Lambda's 6 MB response limit:
        # refused with what to read instead, never a 5xx.
        with pytest.raises(ResourceExhausted, match="GetVariable"):
            client.get_task_run(wf_run_id, "0-1")
    # In DynamoDB only references: far below the value, whatever its size.
    assert largest_state_item(wf_run_id) < 64 * 1024
    # Each value stored once, however many records hold it.
    digests = [key.rsplit("/", 1)[1] for key in stored_objects(stack, wf_run_id)]
    for value in (sent, posted):
        assert digests.count(hashlib.sha256(value.encode()).hexdigest()) == 1
    client.delete_wf_run(wf_run_id)
    _wait_until(lambda: not stored_objects(stack, wf_run_id))


def test_a_value_below_the_inline_limit_stays_in_dynamodb(
    client: Client, stack: LocalStack, names: Names
) -> None:
    register(client, names("wf"), lambda t: t.declare_str("data").required())
    small = text_of(INLINE_BYTES // 2)
    wf_run_id = client.run_wf(names("wf"), variables={"data": small})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id)["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "data") == small
    assert stored_objects(stack, wf_run_id) == []


def test_one_byte_over_5_mib_is_refused_naming_the_limit_and_the_field(
    client: Client, stack: LocalStack, names: Names
) -> None:
    event = names("ev")
    register(client, names("wf"), lambda t: t.wait_for_event(event), events=(event,))
    too_big = {"str": "y" * (MAX_VALUE_BYTES - STR_ENVELOPE + 1)}
    raw = json.dumps({"wfSpecName": names("wf"), "variables": {"data": too_big}}).encode()
    status, answer = post(stack.api_url, "RunWf", raw)
    assert (status, answer["code"]) == (413, "RESOURCE_EXHAUSTED")
    assert "variables.data" in answer["message"] and str(MAX_VALUE_BYTES) in answer["message"]
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    raw = json.dumps(
        {"wfRunId": {"id": wf_run_id}, "externalEventDefId": {"name": event}, "content": too_big}
    ).encode()
    status, answer = post(stack.api_url, "PutExternalEvent", raw)
    assert (status, answer["code"]) == (413, "RESOURCE_EXHAUSTED")
    assert "content" in answer["message"] and str(MAX_VALUE_BYTES) in answer["message"]


def test_a_forged_reference_is_refused(client: Client, stack: LocalStack, names: Names) -> None:
    event = names("ev")
    register(client, names("wf"), lambda t: t.wait_for_event(event), events=(event,))
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    forged = {
        REF: {
            "bucket": resources.PAYLOAD_BUCKET.physical_name("local"),
            "key": f"runs/other/-/{'0' * 64}",
            "size": 1,
            "sha256": "0" * 64,
        }
    }
    raw = json.dumps(
        {"wfRunId": {"id": wf_run_id}, "externalEventDefId": {"name": event}, "content": forged}
    ).encode()
    status, answer = post(stack.api_url, "PutExternalEvent", raw)
    assert (status, answer["code"]) == (400, "INVALID_ARGUMENT")
    assert REF in answer["message"]


def test_the_marker_inside_a_json_value_is_the_users_data(client: Client, names: Names) -> None:
    register(client, names("wf"), lambda t: t.declare_json_obj("doc").required())
    doc: dict[str, Any] = {REF: {"key": "runs/x/-/y", "size": 1, "sha256": "z"}}
    wf_run_id = client.run_wf(names("wf"), variables={"doc": doc})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id)["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "doc") == doc


def _guid(client: Client, wf_run_id: str) -> str:
    (event,) = client.list_external_events(wf_run_id)
    return str(event["id"]["guid"])


def _wait_until(condition: Any, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.1)


def test_a_lambda_backed_task_gets_a_large_input_sent_by_reference(
    client: Client, stack: LocalStack, names: Names
) -> None:
    """Over SQS's 256 KiB the ScheduledTask travels by reference; the handler reads it back."""
    task = names("lambda-echo")

    def body(t: WorkflowThread) -> None:
        out = t.declare_str("out")
        t.mutate(out, "ASSIGN", t.execute(task, t.declare_str("data").required()))

    task_def = {task: {"inputVars": [{"name": "text", "type": "STR"}]}}
    register(client, names("wf"), body, task_def)
    stack.add_lambda_tasks(lambda_handler({task: echo}))
    sent = text_of(SIZES["1MB"])
    wf_run_id = client.run_wf(names("wf"), variables={"data": sent})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=60)["status"] == "COMPLETED"
    assert client.get_variable(wf_run_id, "out") == sent


def test_a_large_masked_value_stays_masked(client: Client, names: Names) -> None:
    register(client, names("wf"), lambda t: t.declare_str("secret").masked().required() and None)
    secret = text_of(SIZES["100KB"])
    wf_run_id = client.run_wf(names("wf"), variables={"secret": secret})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id)["status"] == "COMPLETED"
    (variable,) = client.list_variables(wf_run_id)
    assert variable["masked"] is True
    assert secret not in json.dumps(variable)
