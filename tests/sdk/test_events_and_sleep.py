"""Waiting: external events (with timeouts and correlation) and sleeping."""

from __future__ import annotations

from canter import WorkflowThread

from .helpers import compile_wf, entrypoint_spec, nodes_of_kind, raises_at


def test_wait_for_event_output_and_timeout() -> None:
    def wf(t: WorkflowThread) -> None:
        approval = t.declare_json_obj("approval")
        approval.assign(t.wait_for_event("approved", timeout=600))
        t.execute("use", t.wait_for_event("plain").with_json_path("$.k"))

    spec = entrypoint_spec(wf)
    first, second = nodes_of_kind(spec, "externalEvent")
    assert first["externalEvent"] == {
        "externalEventDefId": {"name": "approved"},
        "timeoutSeconds": {"literalValue": {"int": "600"}},
    }
    assert first["outgoingEdges"][0]["variableMutations"][0]["rhsAssignment"] == {
        "nodeOutput": {"nodeName": "1-approved-EXTERNAL_EVENT"}
    }
    assert second["externalEvent"] == {"externalEventDefId": {"name": "plain"}}
    assert spec["nodes"]["3-use-TASK"]["task"]["variables"] == [
        {"nodeOutput": {"nodeName": "2-plain-EXTERNAL_EVENT"}, "jsonPath": "$.k"}
    ]


def test_correlation_key_is_masked_when_its_variable_is() -> None:
    def wf(t: WorkflowThread) -> None:
        key = t.declare_str("key").masked()
        t.wait_for_event("reply", correlation_id=key)

    (node,) = nodes_of_kind(entrypoint_spec(wf), "externalEvent")
    assert node["externalEvent"]["correlationKey"] == {"variableName": "key"}
    assert node["externalEvent"]["maskCorrelationKey"] is True


def test_bad_timeout_is_refused() -> None:
    def wf(t: WorkflowThread) -> None:
        t.wait_for_event("e", timeout=0)  # zero-timeout

    with raises_at("zero-timeout", "timeout must be a positive number of seconds, not 0"):
        compile_wf(wf)


def test_sleep_seconds_and_sleep_until() -> None:
    def wf(t: WorkflowThread) -> None:
        delay = t.declare_int("delay")
        at_millis = t.declare_int("at-millis")
        at = t.declare_timestamp("at")
        t.sleep_seconds(5)
        t.sleep_seconds(delay)
        t.sleep_until(at_millis)
        t.sleep_until(at)

    sleeps = [node["sleep"] for node in nodes_of_kind(entrypoint_spec(wf), "sleep")]
    assert sleeps == [
        {"rawSeconds": {"literalValue": {"int": "5"}}},
        {"rawSeconds": {"variableName": "delay"}},
        {"timestamp": {"variableName": "at-millis"}},
        {"timestamp": {"variableName": "at"}},
    ]


def test_sleep_needs_a_time() -> None:
    def seconds(t: WorkflowThread) -> None:
        t.sleep_seconds(t.declare_str("s"))  # str-seconds

    def until(t: WorkflowThread) -> None:
        t.sleep_until(1700000000)  # type: ignore[arg-type]  # literal-until

    with raises_at("str-seconds", "seconds must be an INT, not STR variable 's'"):
        compile_wf(seconds)
    with raises_at("literal-until", "needs an INT \\(epoch milliseconds\\) or TIMESTAMP"):
        compile_wf(until)


def test_an_event_cannot_both_interrupt_and_be_waited_for() -> None:
    def wf(t: WorkflowThread) -> None:
        t.add_interrupt_handler("cancel", lambda h: h.execute("stop"))
        t.wait_for_event("cancel")  # both-ways

    with raises_at("both-ways", "event 'cancel' interrupts a thread, so it cannot also be waited"):
        compile_wf(wf)


def test_wait_for_condition_and_throw_event() -> None:
    def wf(t: WorkflowThread) -> None:
        ready = t.declare_bool("ready")
        t.wait_for_condition(ready)
        t.throw_event("ready", t.format("ready={0}", ready))

    spec = entrypoint_spec(wf)
    assert nodes_of_kind(spec, "waitForCondition")[0]["waitForCondition"] == {
        "condition": {
            "expression": {
                "lhs": {"variableName": "ready"},
                "comparator": "EQUALS",
                "rhs": {"literalValue": {"bool": True}},
            }
        }
    }
    assert spec["nodes"]["2-throw-ready-THROW_EVENT"]["throwEvent"]["eventDefId"] == {
        "name": "ready"
    }


def test_wait_for_condition_needs_a_boolean() -> None:
    def wf(t: WorkflowThread) -> None:
        t.wait_for_condition(t.declare_str("s"))  # str-condition

    with raises_at("str-condition", "not STR variable 's'"):
        compile_wf(wf)


def test_sleep_is_littlehorses_name_for_sleep_seconds() -> None:
    def with_sleep(t: WorkflowThread) -> None:
        delay = t.declare_int("delay")
        t.sleep(5)
        t.sleep(delay)

    def with_sleep_seconds(t: WorkflowThread) -> None:
        delay = t.declare_int("delay")
        t.sleep_seconds(5)
        t.sleep_seconds(delay)

    assert compile_wf(with_sleep) == compile_wf(with_sleep_seconds)


def test_sleep_refuses_what_sleep_seconds_refuses() -> None:
    def wf(t: WorkflowThread) -> None:
        t.sleep(0)  # zero-sleep

    with raises_at("zero-sleep", "seconds must be a positive number of seconds, not 0"):
        compile_wf(wf)


def test_a_correlated_event_config_goes_to_the_external_event_def_as_in_littlehorse() -> None:
    """The official SDK registers the ExternalEventDef with the CorrelatedEventConfig
    ``wait_for_event`` was given; ``canter deploy`` puts the same request."""
    from canter import Workflow
    from canter.cli.definitions import collect
    from google.protobuf.json_format import MessageToDict
    from littlehorse.model import CorrelatedEventConfig
    from littlehorse.workflow import Workflow as LHWorkflow
    from littlehorse.workflow import WorkflowThread as LHThread

    def lh(t: LHThread) -> None:
        key = t.declare_str("key")
        t.wait_for_event(
            "signed",
            correlation_id=key,
            correlated_event_config=CorrelatedEventConfig(
                ttl_seconds=60, delete_after_first_correlation=True
            ),
        )

    def ours(t: WorkflowThread) -> None:
        key = t.declare_str("key")
        t.wait_for_event(
            "signed",
            correlation_id=key,
            correlated_event_config={"ttlSeconds": 60, "deleteAfterFirstCorrelation": True},
        )

    official = LHWorkflow("correlated", lh)
    compiled = MessageToDict(official.compile())
    (registration,) = official.external_events_to_register
    expected = MessageToDict(registration.to_put_external_event_def_request())
    found = collect(Workflow("correlated", ours))
    assert {"name": "signed", **found.external_event_def_request("signed")} == {
        **expected,
        "correlatedEventConfig": {"ttlSeconds": 60, "deleteAfterFirstCorrelation": True},
    }
    assert expected["correlatedEventConfig"]["ttlSeconds"] == "60"
    assert compile_wf(ours)["threadSpecs"] == compiled["threadSpecs"]


def test_a_correlated_event_config_must_name_littlehorse_fields() -> None:
    def wf(t: WorkflowThread) -> None:
        config = {"ttl": 5}
        t.wait_for_event("signed", correlation_id="k", correlated_event_config=config)  # ttl

    with raises_at("ttl", "correlated_event_config of 'signed'"):
        compile_wf(wf)
