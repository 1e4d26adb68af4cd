"""Bad input over HTTP: the documented status and a message that says what to fix."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from canter import Client, Workflow, WorkflowThread
from canter.client import InvalidArgument, NotFound
from canter.local import LocalStack
from canter_engine.handlers import api_metadata, runtime
from canter_engine.handlers.api_errors import ApiError
from canter_engine.handlers.limits import MAX_REQUEST_BYTES, MAX_VALUE_BYTES

from .support import Names, int_input, post, register, worker

pytestmark = pytest.mark.e2e


def test_malformed_json_is_400(stack: LocalStack) -> None:
    status, body = post(stack.api_url, "RunWf", b'{"wfSpecName": ')
    assert status == 400
    assert body["code"] == "INVALID_ARGUMENT"
    assert "not valid JSON" in body["message"]


def test_a_body_that_is_not_an_object_is_400(stack: LocalStack) -> None:
    status, body = post(stack.api_url, "GetWfRun", b"[1, 2]")
    assert (status, body["code"]) == (400, "INVALID_ARGUMENT")
    assert "JSON object" in body["message"]


def test_unknown_rpc_is_501_and_lists_the_rpcs(stack: LocalStack) -> None:
    status, body = post(stack.api_url, "LaunchRocket", b"{}")
    assert (status, body["code"]) == (501, "UNIMPLEMENTED")
    assert "LaunchRocket" in body["message"] and "RunWf" in body["message"]


def test_body_over_the_api_limit_is_413(stack: LocalStack) -> None:
    raw = json.dumps({"wfSpecName": "x", "id": "a" * (MAX_REQUEST_BYTES + 1)}).encode()
    status, body = post(stack.api_url, "RunWf", raw)
    assert (status, body["code"]) == (413, "RESOURCE_EXHAUSTED")
    assert str(MAX_REQUEST_BYTES) in body["message"] and "S3" in body["message"]


def test_wf_spec_referencing_an_unknown_task_def_is_400(client: Client, names: Names) -> None:
    missing = names("never-registered")
    with pytest.raises(InvalidArgument) as refused:
        register(client, names("wf"), lambda t: t.execute(missing) and None)
    assert refused.value.status == 400
    assert missing in refused.value.message


def test_unknown_fields_are_refused_by_name(client: Client) -> None:
    with pytest.raises(InvalidArgument, match="colour"):
        client.put_task_def({"name": "x", "colour": "blue"})


def test_run_wf_with_a_wrong_variable_type_is_400(client: Client, names: Names) -> None:
    register(client, names("wf"), lambda t: t.declare_int("count").required() and None)
    with pytest.raises(InvalidArgument) as refused:
        client.run_wf(names("wf"), {"count": "three"})
    assert "count" in refused.value.message


def test_run_wf_of_an_unknown_wf_spec_is_404(client: Client) -> None:
    with pytest.raises(NotFound, match="PutWfSpec"):
        client.run_wf("no-such-workflow")


def test_task_output_over_the_limit_fails_the_wf_run_visibly(client: Client, names: Names) -> None:
    task = names("huge")

    def body(t: WorkflowThread) -> None:
        out = t.declare_str("out")
        t.mutate(out, "ASSIGN", t.execute(task, 1))

    register(client, names("wf"), body, {task: int_input()})
    with worker(client, {task: lambda n: "x" * (MAX_VALUE_BYTES + 1)}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        wf_run = client.wait_for_wf_run(wf_run_id, timeout=20)
    assert wf_run["status"] == "ERROR"
    (attempt,) = client.get_task_run(wf_run_id, "0-1")["attempts"]
    assert attempt["status"] == "TASK_OUTPUT_SERDE_ERROR"
    assert str(MAX_VALUE_BYTES) in attempt["error"]["message"]
    assert "S3" in attempt["error"]["message"]


def test_task_def_on_an_undeployed_queue_says_how_to_declare_it(stack: LocalStack) -> None:
    deployed_only = dataclasses.replace(
        runtime.current(),
        settings=dataclasses.replace(runtime.current().settings, dynamic_queues=False),
    )
    with pytest.raises(ApiError) as refused:
        api_metadata.put_task_def(deployed_only, {"name": "t", "taskQueue": "never-deployed"})
    assert (refused.value.status, refused.value.code) == (412, "FAILED_PRECONDITION")
    assert "cdk.json" in refused.value.message and '"taskQueues"' in refused.value.message


def test_get_is_405_and_says_to_post(stack: LocalStack) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{stack.api_url}/GetWfRun", timeout=5)
    assert refused.value.code == 405
    assert "POST /<RpcName>" in json.loads(refused.value.read())["message"]


def test_task_inputs_over_the_value_limit_together_fail_the_wf_run_visibly(
    client: Client, names: Names
) -> None:
    task = names("big-input")

    def body(t: WorkflowThread) -> None:
        text = t.declare_str("text").required()
        t.execute(task, text, text, text, text)

    inputs = {"inputVars": [{"name": n, "type": "STR"} for n in ("a", "b", "c", "d")]}
    register(client, names("wf"), body, {task: inputs})
    text = "x" * (MAX_VALUE_BYTES // 4 + 1)
    wf_run_id = client.run_wf(names("wf"), {"text": text})["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=20)["status"] == "ERROR"
    (failure,) = client.get_node_run(wf_run_id, 0, 1)["failures"]
    assert failure["failureName"] == "VAR_SUB_ERROR"
    assert "one task's inputs" in failure["message"] and "S3" in failure["message"]


def test_a_request_with_too_many_values_to_journal_is_413(
    stack: LocalStack, client: Client, names: Names
) -> None:
    """Each value under the spill size stays in the record; 500 of them do not fit one item."""
    variables = {f"v{n}": {"str": "z" * 900} for n in range(500)}
    register(client, names("wf"), lambda t: [t.declare_str(name) for name in variables] and None)
    raw = json.dumps({"wfSpecName": names("wf"), "variables": variables}).encode()
    status, answer = post(stack.api_url, "RunWf", raw)
    assert (status, answer["code"]) == (413, "RESOURCE_EXHAUSTED")
    assert "too many values" in answer["message"]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"id": NaN}', "NaN is not JSON"),
        (b'{"id": "x", "limit": Infinity}', "Infinity is not JSON"),
        (b'{"id": 1e999}', "out of range"),
        (b'{"id": "\\ud800"}', "body.id holds a lone UTF-16 surrogate"),
        (b'{"id": "\xff\xfe"}', "not valid UTF-8"),
        (b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "more than 64 deep"),
    ],
    ids=["nan", "infinity", "huge-float", "lone-surrogate", "invalid-utf8", "deep"],
)
def test_json_that_is_not_strict_json_is_400(stack: LocalStack, raw: bytes, says: str) -> None:
    """Issue 11 items 5 and 6: each of these was a 500 or was echoed back as non-JSON."""
    status, body = post(stack.api_url, "GetWfRun", raw)
    assert (status, body["code"]) == (400, "INVALID_ARGUMENT")
    assert says in body["message"] and "GetWfRun" in body["message"]


@pytest.mark.parametrize("name", ["a#b", "a/b", "a b", "a\u0000b", "-a", "a_b", "x" * 129])
def test_definition_names_are_valid_littlehorse_names(client: Client, name: str) -> None:
    """LittleHorse's LHUtil.isValidLHName: letters, digits and inner hyphens."""
    with pytest.raises(InvalidArgument, match="not a valid name"):
        client.put_external_event_def(name)


@pytest.mark.parametrize("taken", ["parent_0-1", "parent_ship-1", "a.b"])
def test_a_run_wf_id_is_a_littlehorse_name_so_no_client_takes_a_child_id(
    client: Client, names: Names, taken: str
) -> None:
    """LittleHorse's RunWfRequestModel: a top-level id is a valid name. A child WfRun's id
    is ``<parent>_<suffix>``; a client that could take it first would strand the parent."""
    register(client, names("wf"), lambda t: t.declare_int("n") and None)
    with pytest.raises(InvalidArgument, match="not a valid name"):
        client.run_wf(names("wf"), {"n": 1}, id=taken)


def test_ids_too_long_for_a_key_are_400(client: Client) -> None:
    with pytest.raises(InvalidArgument, match="at most 400 bytes"):
        client.get_wf_run("a" * 3000)


@pytest.mark.parametrize(
    "bookmark",
    [
        "eyJhIjoxfQ==",
        base64.urlsafe_b64encode(
            json.dumps(
                {k: {"S": "x"} for k in ("pk", "sk", "gsi1pk", "gsi1sk")}, sort_keys=True
            ).encode()
        ).decode(),
    ],
    ids=["foreign", "another-search"],
)
def test_foreign_and_forged_search_bookmarks_are_400(client: Client, bookmark: str) -> None:
    with pytest.raises(InvalidArgument, match=r"bookmark is not one this (API|search) returned"):
        client.call("SearchWfRun", {"wfSpecName": "some-spec", "bookmark": bookmark})


def test_a_non_string_enum_is_400_and_does_not_fail_the_batch(client: Client) -> None:
    bad = {
        "taskRunId": {"wfRunId": {"id": "no-such-run"}, "taskGuid": "0-1"},
        "status": {"a": 1},
    }
    (result,) = client.report_tasks([bad], ["no-token-needed-to-refuse-this"])
    assert result["code"] == "INVALID_ARGUMENT" and "status" in result["message"]


def test_an_int_beyond_int64_is_400(client: Client, names: Names) -> None:
    register(client, names("wf"), lambda t: t.declare_int("n") and None)
    with pytest.raises(InvalidArgument, match="int64"):
        client.run_wf(names("wf"), {"n": 2**63})


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_a_non_finite_double_is_400(client: Client, names: Names, text: str) -> None:
    """Issue 11 item 6: ``NaN`` was accepted and echoed back as non-JSON."""
    register(client, names("wf"), lambda t: t.declare_double("x") and None)
    with pytest.raises(InvalidArgument, match="finite"):
        client.call("RunWf", {"wfSpecName": names("wf"), "variables": {"x": {"double": text}}})


def test_responses_spell_non_finite_doubles_as_proto3_json() -> None:
    from canter_engine.handlers import strict_json

    assert strict_json.dumps({"double": float("nan"), "x": [float("-inf")]}) == (
        '{"double":"NaN","x":["-Infinity"]}'
    )


@pytest.mark.parametrize(
    ("failure", "says"),
    [("card declined", "not a valid name"), ("TIMEOUT", "reserved for the system")],
)
def test_thrown_failure_names_are_checked_as_littlehorse_does(
    client: Client, names: Names, failure: str, says: str
) -> None:
    """LittleHorse's FailureDefModel.validate; the request skips the SDK's own check."""
    spec = Workflow(names("wf"), lambda t: t.fail("placeholder", "no")).compile()
    raw = json.loads(json.dumps(spec).replace('"placeholder"', json.dumps(failure)))
    with pytest.raises(InvalidArgument, match=says) as refused:
        client.put_wf_spec(raw)
    assert "failureDef.failureName" in refused.value.message
