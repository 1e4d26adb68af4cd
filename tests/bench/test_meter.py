"""The meter's capacity arithmetic, fed requests as botocore would hand them over."""

from __future__ import annotations

import threading
from typing import Any

from canter_engine import resources

from bench.meter import INDEX_ENTRY_OVERHEAD, Meter, Request

STATE = resources.STATE_TABLE.physical_name("t")
JOURNAL = resources.JOURNAL_TABLE.physical_name("t")


def _item(pk: str, sk: str, payload: int, **extra: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "json": {"S": "x" * payload}}
    item.update({name: {"S": value} for name, value in extra.items()})
    return item


def _one(meter: Meter, op: str, params: dict[str, Any], response: Any = None) -> Request:
    meter.record("dynamodb", op, params, response or {}, None)
    (request,) = meter.take().requests
    return request


def test_a_put_is_billed_on_the_larger_of_the_old_and_new_item() -> None:
    meter = Meter("t")
    big = _one(meter, "PutItem", {"TableName": STATE, "Item": _item("w", "n#1", 3000)})
    assert big.write_units == 3
    assert big.bytes_written == 3000 + len("pkwsk") + len("n#1") + len("json")
    small = _one(meter, "PutItem", {"TableName": STATE, "Item": _item("w", "n#1", 10)})
    assert small.write_units == 3
    assert small.largest_item < 100


def test_a_batch_write_bills_each_item_and_a_delete_the_item_deleted() -> None:
    meter = Meter("t")
    puts = [{"PutRequest": {"Item": _item("w", f"n#{n}", 1500)}} for n in range(3)]
    batch = _one(meter, "BatchWriteItem", {"RequestItems": {STATE: puts}})
    assert batch.write_units == 3 * 2
    delete = {"DeleteRequest": {"Key": {"pk": {"S": "w"}, "sk": {"S": "n#0"}}}}
    assert _one(meter, "BatchWriteItem", {"RequestItems": {STATE: [delete]}}).write_units == 2


def test_transactions_count_double() -> None:
    meter = Meter("t")
    actions = [{"Put": {"TableName": STATE, "Item": _item("w", "n#1", 10)}}]
    assert _one(meter, "TransactWriteItems", {"TransactItems": actions}).write_units == 2


def test_an_index_entry_is_written_when_it_appears_and_twice_when_it_moves() -> None:
    meter = Meter("t")
    params = {"TableName": STATE, "Item": _item("w", "wfrun", 10, gsi1pk="s", gsi1sk="RUNNING#w")}

    def units() -> tuple[float, float]:
        request = _one(meter, "PutItem", params)
        return request.write_units, request.index_write_units

    assert units() == (1, 1)
    assert units() == (1, 0)
    params["Item"] = _item("w", "wfrun", 10, gsi1pk="s", gsi1sk="COMPLETED#w")
    assert units() == (1, 2)
    assert INDEX_ENTRY_OVERHEAD < 1024


def test_reads_round_a_query_in_total_and_halve_eventual_reads() -> None:
    meter = Meter("t")
    items = [_item("w", f"n#{n}", 1000) for n in range(5)]
    query = _one(meter, "Query", {"TableName": STATE, "ConsistentRead": True}, {"Items": items})
    assert query.read_units == 2
    get = _one(meter, "GetItem", {"TableName": JOURNAL}, {})
    assert get.read_units == 0.5


def test_sqs_receives_count_chunks_and_flag_empty_ones() -> None:
    meter = Meter("t")
    body = {"Body": "x" * 70_000}
    meter.record("sqs", "ReceiveMessage", {}, {"Messages": [body]}, None)
    meter.record("sqs", "ReceiveMessage", {}, {}, None)
    full, empty = meter.take().requests
    assert (full.sqs_requests, full.empty_receive) == (2, False)
    assert (empty.sqs_requests, empty.empty_receive) == (1, True)


def test_requests_outside_an_invocation_belong_to_their_thread() -> None:
    meter = Meter("t")
    handler = meter.lambda_function("api", 512, lambda event, context: meter.take())
    inside = handler({"rawPath": "/RunWf"}, None)
    assert inside.requests == []
    (invocation,) = meter.take().invocations
    assert (invocation.caller, invocation.memory_mb) == ("api RunWf", 512)
    meter.record("sqs", "DeleteMessage", {}, {}, None)
    assert meter.take().requests[0].caller == "harness"
    reporter = threading.Thread(
        target=meter.record, args=("sqs", "DeleteMessageBatch", {}, {}, None), name="any"
    )
    reporter.start()
    reporter.join()
    assert meter.take().requests[0].caller == "worker"
