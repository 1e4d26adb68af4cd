"""Dollars from metered requests, and the Step Functions Standard comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import stepfunctions
from bench.meter import Invocation, Request, Tally
from bench.pricing import billed_gb_seconds, is_input_rpc, load_prices, price, total

PRICES = load_prices()


def test_the_project_keeps_its_own_price_list() -> None:
    assert Path("bench/pricing.json").is_file()
    assert json.loads(Path("bench/pricing.json").read_text()) == PRICES


def test_one_task_round_trip_prices_at_list_prices() -> None:
    tally = Tally(
        requests=[
            Request("scheduler", "dynamodb", "PutItem", write_units=2),
            Request("scheduler", "dynamodb", "GetItem", read_units=1),
            Request("worker", "sqs", "ReceiveMessage", sqs_requests=1),
            Request("worker", "sqs", "ReceiveMessage", sqs_requests=1, empty_receive=True),
            Request("scheduler event source", "dynamodbstreams", "GetRecords"),
        ],
        invocations=[Invocation("api", "api ReportTask", 512, 0.0101, 0.02)],
    )
    expected = (
        2 * 0.625
        + 1 * 0.125
        + 1 * 0.40  # WRU, RRU, one SQS request (idle receive left out)
        + 0.20  # Lambda request
        + 1.00  # API Gateway HTTP API request
    ) / 1e6 + 0.011 * 0.5 * 0.0000133334  # 11 ms billed at 512 MB
    assert total(price(tally, PRICES)) == pytest.approx(expected)


def test_reads_and_registrations_through_the_api_are_not_the_workflow_cost() -> None:
    tally = Tally(
        requests=[Request("api GetWfRun", "dynamodb", "GetItem", read_units=1)],
        invocations=[Invocation("api", "api GetWfRun", 512, 0.001, 0.001)],
    )
    assert price(tally, PRICES) == []


def test_every_rpc_but_reads_and_registrations_is_a_wfrun_input() -> None:
    for rpc in ("RunWf", "ReportTask", "ReportTasks", "PutExternalEvent", "StopWfRun"):
        assert is_input_rpc(rpc), rpc
    for rpc in ("GetWfRun", "ListNodeRuns", "SearchWfRun", "PutTaskDef", "PutWfSpec"):
        assert not is_input_rpc(rpc), rpc


def test_lambda_duration_is_billed_per_started_millisecond() -> None:
    assert billed_gb_seconds(0.0, 1024) == 0.001
    assert billed_gb_seconds(0.0021, 512) == pytest.approx(0.003 * 0.5)


def test_step_functions_transitions_of_the_reference_set() -> None:
    assert stepfunctions.chain(10) == 12
    assert stepfunctions.fan_out(20) == 1 + 20 + 2
    assert stepfunctions.loop(1000) == 1001 + 1000 + 2
    assert stepfunctions.event_then_sleep() == 4
    assert stepfunctions.user_task() == 6
    assert stepfunctions.dollars(12, 25.0) == pytest.approx(0.0003)
