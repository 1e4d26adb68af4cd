"""Records every AWS request the system makes, and every Lambda invocation.

Everything the local stack runs (handlers, pumps, gateway, workers) lives in
the bench process, so one wrapper around botocore's
``BaseClient._make_api_call`` sees every request, whichever client sent it.
A request is attributed to the Lambda invocation it ran in (the handler
wrappers set a context variable) or else to the thread that sent it
(worker threads, the event-source pumps).

Capacity is computed from the items on the wire with DynamoDB's rules
(:mod:`bench.sizes`). A write that replaces an item is billed on the larger
of the old and new item, and a write that changes an index key also writes
the index, so the meter keeps the size and index keys of every item it has
seen written.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import botocore.client
from botocore.exceptions import ClientError
from canter_engine import resources

from bench import sizes

Handler = Callable[[dict[str, Any], Any], Any]

# DynamoDB's storage overhead of one global secondary index entry.
INDEX_ENTRY_OVERHEAD = 100

_CALLER: contextvars.ContextVar[str | None] = contextvars.ContextVar("bench_caller", default=None)

# The local stack's pump threads, by name prefix: the Lambda event sources they stand for.
# Outside an invocation, the main thread is the bench itself and any other thread a
# worker's (poller, task pool, heartbeat, reporter: whatever threads the SDK grows).
THREAD_CALLERS = (
    ("canter-stream-pump", "scheduler event source"),
    ("canter-sqs-pump", "timers event source"),
    # The local stack playing EventBridge Scheduler (reading its schedules): AWS's own
    # work, billed per invocation (bench/operations.py), not per request.
    ("canter-schedules", "harness"),
)


@dataclass(slots=True)
class Request:
    caller: str
    service: str
    operation: str
    write_units: float = 0.0
    index_write_units: float = 0.0  # global secondary index entries the write changed
    read_units: float = 0.0
    sqs_requests: int = 0
    bytes_written: int = 0
    largest_item: int = 0
    empty_receive: bool = False
    unpriced: bool = False
    resource: str = ""  # the table or queue
    written: list[tuple[str, int]] = field(default_factory=list)


@dataclass(slots=True)
class Invocation:
    function: str
    caller: str
    memory_mb: int
    cpu_seconds: float
    wall_seconds: float
    # The request body: API Gateway's HTTP API bills a request per started 512 KB.
    request_bytes: int = 0


@dataclass(slots=True)
class Tally:
    requests: list[Request] = field(default_factory=list)
    invocations: list[Invocation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _TableShape:
    suffix: str
    keys: tuple[str, ...]
    index_keys: tuple[tuple[str, ...], ...]


_IndexEntry = tuple[str, int]


@dataclass(slots=True)
class _Seen:
    size: int
    index_entries: tuple[_IndexEntry | None, ...]


class Meter:
    """Thread-safe recorder; :meth:`take` hands over what was recorded since the last take."""

    def __init__(self, stage: str) -> None:
        self._lock = threading.Lock()
        self._tally = Tally()
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._tables = {
            table.physical_name(stage): _TableShape(
                suffix=table.suffix,
                keys=(table.partition_key.name, table.sort_key.name),
                index_keys=tuple(
                    (index.partition_key.name, index.sort_key.name) for index in table.indexes
                ),
            )
            for table in resources.TABLES
        }

    def take(self) -> Tally:
        with self._lock:
            tally, self._tally = self._tally, Tally()
        return tally

    @contextmanager
    def installed(self) -> Iterator[Meter]:
        """Wrap botocore's request path for the duration of the block."""
        original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            try:
                response = original(client, operation, params)
            except ClientError as exc:
                meter.record(service, operation, params, None, exc)
                raise
            meter.record(service, operation, params, response, None)
            return response

        setattr(botocore.client.BaseClient, "_make_api_call", metered)  # noqa: B010
        try:
            yield self
        finally:
            setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010

    @contextmanager
    def acting_as(self, caller: str) -> Iterator[None]:
        """Attribute this thread's requests to ``caller`` (a driver standing in for a worker)."""
        token = _CALLER.set(caller)
        try:
            yield
        finally:
            _CALLER.reset(token)

    def lambda_function(self, function: str, memory_mb: int, handler: Handler) -> Handler:
        """Wrap a handler: count the invocation, its thread CPU time, and attribute its requests.

        Thread CPU time excludes moto, which serves every request on threads
        of its own, and includes botocore's (de)serialization and signing,
        which a Lambda would pay for.
        """
        meter = self

        def invoke(event: dict[str, Any], context: Any) -> Any:
            caller = function
            if function == "api":
                caller = f"api {str(event.get('rawPath', '')).strip('/') or '?'}"
            token = _CALLER.set(caller)
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return handler(event, context)
            finally:
                invocation = Invocation(
                    function,
                    caller,
                    memory_mb,
                    time.thread_time() - cpu,
                    time.perf_counter() - wall,
                    len(str(event.get("body") or "").encode()),
                )
                _CALLER.reset(token)
                with meter._lock:
                    meter._tally.invocations.append(invocation)

        return invoke

    # --- one request ---------------------------------------------------------

    def record(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        error: ClientError | None,
    ) -> None:
        request = Request(_caller(), service, operation)
        with self._lock:
            if service == "dynamodb":
                self._dynamodb(request, params, response or {})
            elif service == "sqs":
                request.resource = str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]
                _sqs(request, params, response or {})
            elif service == "s3":
                request.resource = str(params.get("Key", ""))
                body = params.get("Body")
                request.bytes_written = len(body) if isinstance(body, bytes) else 0
            elif service != "dynamodbstreams":
                request.unpriced = True
            self._tally.requests.append(request)

    def _dynamodb(
        self, request: Request, params: Mapping[str, Any], response: Mapping[str, Any]
    ) -> None:
        op = request.operation
        request.resource = str(params.get("TableName", ""))
        if op == "PutItem":
            self._put(request, request.resource, params["Item"], transactional=False)
        elif op == "DeleteItem":
            self._delete(request, request.resource, params["Key"], transactional=False)
        elif op == "UpdateItem":
            self._update(request, request.resource, params, transactional=False)
        elif op == "BatchWriteItem":
            for table, writes in params["RequestItems"].items():
                request.resource = table
                for write in writes:
                    if "PutRequest" in write:
                        self._put(request, table, write["PutRequest"]["Item"], transactional=False)
                    else:
                        self._delete(
                            request, table, write["DeleteRequest"]["Key"], transactional=False
                        )
        elif op == "TransactWriteItems":
            for action in params["TransactItems"]:
                self._transact(request, action)
        elif op == "GetItem":
            item = response.get("Item")
            request.read_units = sizes.read_units(
                self._read_size(request.resource, item) if item else 0,
                consistent=bool(params.get("ConsistentRead")),
            )
        elif op in ("Query", "Scan"):
            items = response.get("Items", [])
            index = "IndexName" in params
            total = sum(
                sizes.item_size(i) if index else self._read_size(request.resource, i) for i in items
            )
            consistent = bool(params.get("ConsistentRead")) and not index
            request.read_units = sizes.read_units(total, consistent=consistent)
        elif op == "BatchGetItem":
            for table, items in response.get("Responses", {}).items():
                consistent = bool(params["RequestItems"][table].get("ConsistentRead"))
                for item in items:
                    size = self._read_size(table, item)
                    request.read_units += sizes.read_units(size, consistent=consistent)
        elif op not in ("DescribeTable", "CreateTable", "ListTables", "UpdateTimeToLive"):
            request.unpriced = True

    def _transact(self, request: Request, action: Mapping[str, Any]) -> None:
        ((kind, body),) = action.items()
        table = str(body["TableName"])
        request.resource = table
        if kind == "Put":
            self._put(request, table, body["Item"], transactional=True)
        elif kind == "Delete":
            self._delete(request, table, body["Key"], transactional=True)
        elif kind == "Update":
            self._update(request, table, body, transactional=True)
        else:  # ConditionCheck: billed as a transactional write of the item checked
            seen = self._seen.get(self._key(table, body["Key"]))
            request.write_units += sizes.write_units(seen.size if seen else 0, transactional=True)

    def _put(
        self, request: Request, table: str, item: Mapping[str, Any], *, transactional: bool
    ) -> None:
        size = sizes.item_size(item)
        key = self._key(table, item)
        old = self._seen.get(key)
        request.write_units += sizes.write_units(
            max(size, old.size if old else 0), transactional=transactional
        )
        request.bytes_written += size
        request.largest_item = max(request.largest_item, size)
        request.written.append((self._kind(table, item), size))
        new = _Seen(size, self._index_entries(table, item))
        self._index_writes(request, table, old, new, transactional)
        self._seen[key] = new

    def _delete(
        self, request: Request, table: str, key_item: Mapping[str, Any], *, transactional: bool
    ) -> None:
        key = self._key(table, key_item)
        old = self._seen.pop(key, None)
        request.write_units += sizes.write_units(
            old.size if old else 0, transactional=transactional
        )
        self._index_writes(request, table, old, None, transactional)

    def _update(
        self, request: Request, table: str, params: Mapping[str, Any], *, transactional: bool
    ) -> None:
        """The new item is not on the wire: bound it by the old item plus every value sent."""
        key = self._key(table, params["Key"])
        old = self._seen.get(key)
        added = sum(
            sizes.value_size(v) for v in params.get("ExpressionAttributeValues", {}).values()
        )
        size = (old.size if old else sizes.item_size(params["Key"])) + added
        request.write_units += sizes.write_units(size, transactional=transactional)
        request.bytes_written += added
        request.largest_item = max(request.largest_item, size)
        self._seen[key] = _Seen(size, old.index_entries if old else ())

    def _index_writes(
        self, request: Request, table: str, old: _Seen | None, new: _Seen | None, tx: bool
    ) -> None:
        """A KEYS_ONLY index is written when an entry appears, moves (delete + put) or goes."""
        count = len(self._tables[table].index_keys) if table in self._tables else 0
        for position in range(count):
            before = old.index_entries[position] if old and old.index_entries else None
            after = new.index_entries[position] if new and new.index_entries else None
            if before == after:
                continue
            for entry in (before, after):
                if entry is not None:
                    request.index_write_units += sizes.write_units(entry[1], transactional=tx)

    def _index_entries(self, table: str, item: Mapping[str, Any]) -> tuple[_IndexEntry | None, ...]:
        """Per index: the projected keys (to tell a move) and the entry's billed size."""
        shape = self._tables.get(table)
        if shape is None:
            return ()
        result: list[_IndexEntry | None] = []
        for index_keys in shape.index_keys:
            if all(name in item for name in index_keys):
                projected = {name: item[name] for name in (*shape.keys, *index_keys)}
                size = sizes.item_size(projected) + INDEX_ENTRY_OVERHEAD
                result.append((json.dumps(projected, sort_keys=True), size))
            else:
                result.append(None)
        return tuple(result)

    def _read_size(self, table: str, item: Mapping[str, Any]) -> int:
        """Reads are billed on the whole item even when a projection returns less of it."""
        seen = self._seen.get(self._key(table, item))
        return max(seen.size if seen else 0, sizes.item_size(item))

    def _kind(self, table: str, item: Mapping[str, Any]) -> str:
        """``<table> <sort key up to its first '#'>``: which kind of item a write was."""
        shape = self._tables.get(table)
        if shape is None:
            return table
        sort_key = next(iter(item.get(shape.keys[1], {}).values()), "")
        return f"{shape.suffix} {str(sort_key).split('#', 1)[0]}"

    def _key(self, table: str, item: Mapping[str, Any]) -> tuple[str, str]:
        shape = self._tables.get(table)
        names = shape.keys if shape else tuple(sorted(item))
        return table, json.dumps([item.get(name) for name in names], sort_keys=True)


def _sqs(request: Request, params: Mapping[str, Any], response: Mapping[str, Any]) -> None:
    op = request.operation
    if op == "SendMessage":
        payload = _message_bytes(params)
    elif op == "SendMessageBatch":
        payload = sum(_message_bytes(entry) for entry in params["Entries"])
    elif op == "ReceiveMessage":
        messages = response.get("Messages", [])
        request.empty_receive = not messages
        payload = sum(_message_bytes(m) for m in messages)
    else:
        payload = 0
    request.sqs_requests = sizes.sqs_requests(payload)


def _message_bytes(message: Mapping[str, Any]) -> int:
    body = len(str(message.get("MessageBody", message.get("Body", ""))).encode())
    attributes = message.get("MessageAttributes") or {}
    for name, attribute in attributes.items():
        body += len(name.encode()) + len(str(attribute.get("DataType", "")).encode())
        body += len(str(attribute.get("StringValue", attribute.get("BinaryValue", ""))).encode())
    return body


def _caller() -> str:
    caller = _CALLER.get()
    if caller is not None:
        return caller
    thread = threading.current_thread()
    if thread is threading.main_thread():
        return "harness"
    for prefix, who in THREAD_CALLERS:
        if thread.name.startswith(prefix):
            return who
    return "worker"
