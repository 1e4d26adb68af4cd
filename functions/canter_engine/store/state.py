"""WfRun state: one small head item per WfRun, plus the records that left it
(invariant 5).

The head holds the core's state, the records still held beside it
(:mod:`canter_engine.store.held`), a version and the stream position of the
last journal record applied. Both state and held records are compressed JSON
(:mod:`canter_engine.store.blob`). The scheduler writes pages and items
first and the head last, with a condition on its version: the head write is
the commit point. Pages and items are deterministic functions of the
journal, so a crash between them and the head leaves nothing that a replay
does not rewrite identically.

Readers read the head first and the items second, so a record that leaves
the head between the two reads is found in the items, never in neither.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from canter_engine.core.cow_map import thread_map
from canter_engine.core.records import render_node_item
from canter_engine.core.state import WfRunState, node_sk
from canter_engine.store import blob
from canter_engine.store.batch import batch_write
from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark
from canter_engine.store.held import (
    PAGE_ATTRIBUTE,
    Attributes,
    Held,
    Writes,
    node_key,
    page_holds,
    replace_in_page,
)
from canter_engine.store.item_size import WRITE_UNIT_BYTES, item_size
from canter_engine.store.payloads import PayloadStore
from canter_engine.store.record_index import RecordIndex
from canter_engine.store.run_index import Listing, RunIndex
from canter_engine.store.thread_items import (
    THREAD_PREFIX,
    assemble,
    decode_thread,
    thread_sk,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HEAD_SK = "wfrun"

# DynamoDB's 400 KB item limit, less room for the keys and index attributes.
MAX_ITEM_JSON_BYTES = 400_000
# Held records stop this far below the head's last billed kilobyte, should
# DynamoDB round an item's size differently from item_size.
SIZE_MARGIN = 16
# Pages searched per request for a NodeRun: normally the first one holds it.
_PAGES_PER_LOOKUP = 4
_KEY_END = "\U0010ffff"


class VersionConflict(Exception):
    """The head changed under the scheduler: another writer, which invariant 2 rules out."""


@dataclass(frozen=True, slots=True)
class Head:
    state: dict[str, Any]
    held: Held
    version: int
    applied_seq: int
    # Which run of the WfRun id this is (store/journal.py, new_incarnation).
    incarnation: str = ""
    # A wide WfRun (store/thread_items.py): each thread's greatest paged
    # NodeRun position, from its item; None while the threads are in the head.
    marks: Mapping[int, int] | None = None
    # The state already decoded (the scheduler's own cache); never changed.
    decoded: WfRunState | None = None
    # A wide WfRun: each thread item's committed body, kept as the ``prev``
    # of the next write of that thread.
    bodies: Mapping[int, bytes] | None = None
    # A wide WfRun: each thread's ended NodeRuns its item keeps (by key).
    thread_held: Mapping[int, dict[str, Any]] | None = None

    def held_records(self) -> dict[str, Attributes]:
        """Every record held rather than stored: the head's and, of a wide
        WfRun, the thread items' read with it."""
        if not self.thread_held:
            return self.held.records
        merged = dict(self.held.records)
        for records in self.thread_held.values():
            merged.update(records)
        return merged


@dataclass(frozen=True, slots=True)
class HeadUpdate:
    # The compressed state and held records (head_body): already sized by the scheduler.
    body: bytes
    status: str
    spec_name: str
    applied_seq: int
    incarnation: str = ""
    # SearchWfRun's index attributes (None: not searchable).
    listing: Listing | None = None
    # A wide WfRun: the thread items to write (number -> body), and the
    # committed body each replaces, if any (see ``StateStore.commit_head``).
    threads: dict[int, bytes] = field(default_factory=dict)
    previous: dict[int, bytes] = field(default_factory=dict)


def head_body(state: dict[str, Any], held: Held) -> bytes:
    return _head_body(item_json(state), held)


def _head_body(state_json: str, held: Held, spilled: bool = False) -> bytes:
    """The head's compressed JSON, built around the state's JSON encoded once.

    ``spilled``: the threads are items of their own (``x``).
    """
    extra = ',"x":1' if spilled else ""
    if not (held.records or held.paged):
        return blob.pack_json(f'{{"s":{state_json}{extra}}}')
    return blob.pack_json(f'{{"h":{held.to_json()},"s":{state_json}{extra}}}')


def decode_head(body: bytes, version: int, applied_seq: int, incarnation: str = "") -> Head:
    """A head whose threads it holds itself (see ``StateStore.load_head`` for the others)."""
    value = blob.unpack(body)
    return Head(value["s"], Held.from_item(value.get("h")), version, applied_seq, incarnation)


def head_item(wf_run_id: str, update: HeadUpdate, version: int) -> dict[str, Any]:
    """The head item as committed; the scheduler sizes exactly this."""
    return {
        **_key(wf_run_id, HEAD_SK),
        "body": {"B": update.body},
        "version": {"N": str(version)},
        "appliedSeq": {"S": str(update.applied_seq)},
        "incarnation": {"S": update.incarnation},
        **(
            update.listing.attributes(wf_run_id, update.spec_name, update.status)
            if update.listing
            else {}
        ),
    }


def settle(
    wf_run_id: str,
    state: dict[str, Any],
    held: Held,
    update: HeadUpdate,
    version: int,
    spilled: bool = False,
) -> tuple[HeadUpdate, Held, Writes]:
    """The head to commit for ``state``: with ``held`` inside it if that costs
    no write unit more than the head alone, else with nothing held and the
    writes that take the held records out.

    ``update`` gives the status, spec and sequence; its body is replaced.
    ``spilled``: ``state`` is a wide WfRun's, without its threads.
    """
    state_json = item_json(state)
    full_update = replace(update, body=_head_body(state_json, held, spilled))
    full_size = item_size(head_item(wf_run_id, full_update, version))
    if not held.records or full_size <= WRITE_UNIT_BYTES - SIZE_MARGIN:
        return full_update, held, Writes()
    bare = Held({}, held.paged)
    bare_update = replace(update, body=_head_body(state_json, bare, spilled))
    billed = math.ceil(item_size(head_item(wf_run_id, bare_update, version)) / WRITE_UNIT_BYTES)
    if full_size <= billed * WRITE_UNIT_BYTES - SIZE_MARGIN:
        return full_update, held, Writes()
    released, writes = held.released()
    return replace(update, body=_head_body(state_json, released, spilled)), released, writes


class StateStore:
    def __init__(self, client: DynamoDBClient, table: str, payloads: PayloadStore) -> None:
        self._client = client
        self._table = table
        # Long strings of the state are in the payload bucket (store/payloads.py).
        self._payloads = payloads

    def run_index(self) -> RunIndex:
        """SearchWfRun's view of the heads' indexes."""
        return RunIndex(self._client, self._table)

    def record_index(self) -> RecordIndex:
        """SearchVariable's and SearchExternalEvent's view of the index entries."""
        return RecordIndex(self._client, self._table)

    def load_head(
        self,
        wf_run_id: str,
        thread: int | None = None,
        threads: tuple[int, int] | None = None,
    ) -> Head | None:
        """The head, with a wide WfRun's thread items read back into its state:
        all of them, only thread ``thread``'s (by key, for a reader of one
        thread) or only those numbered ``threads`` (first, last), for a reader
        of a page of them. A WfRun whose head holds its threads gives them all.

        The head is read first. A thread item written for a commit that did
        not happen (its ``seq`` is past the head's ``appliedSeq``) stands for
        the body it was to replace, which it carries (``prev``); a thread
        that has none did not exist yet.
        """
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(wf_run_id, HEAD_SK),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        applied_seq = int(item["appliedSeq"]["S"])
        value = blob.unpack(bytes(item["body"]["B"]))
        state = value["s"]
        marks: Mapping[int, int] | None = None
        bodies: Mapping[int, bytes] | None = None
        thread_held: Mapping[int, dict[str, Any]] | None = None
        if value.get("x"):
            if thread is not None:
                threads = (thread, thread)
            bodies = thread_map(self._committed_threads(wf_run_id, applied_seq, threads))
            decoded = {n: decode_thread(n, body) for n, body in bodies.items()}
            state = assemble(state, decoded)
            marks = thread_map((n, t.paged) for n, t in decoded.items())
            thread_held = thread_map((n, t.held) for n, t in decoded.items() if t.held)
        return Head(
            # Long strings, the head's and its thread items', are in the payload bucket.
            self._payloads.resolve(state, wf_run_id),
            Held.from_item(value.get("h")),
            int(item["version"]["N"]),
            applied_seq,
            item.get("incarnation", {}).get("S", ""),
            marks,
            bodies=bodies,
            thread_held=thread_held,
        )

    def _committed_threads(
        self, wf_run_id: str, applied_seq: int, threads: tuple[int, int] | None
    ) -> Iterator[tuple[int, bytes]]:
        """Each thread item's body as of the head's ``appliedSeq``.

        Read without ``prev`` (half of each item's bytes, and of the read
        units of a 10,000-thread read); the rare item written for a commit
        that did not happen yet is read again whole.
        """
        if threads is not None and threads[0] == threads[1]:
            one = self._client.get_item(
                TableName=self._table,
                Key=_key(wf_run_id, thread_sk(threads[0])),
                ConsistentRead=True,
            ).get("Item")
            found: Iterator[dict[str, Any]] = iter([one] if one else [])
        else:
            low, high = threads or (0, -1)
            found = self._items_between(
                wf_run_id,
                thread_sk(low),
                thread_sk(high) if threads else THREAD_PREFIX + _KEY_END,
                True,
                # As many as DynamoDB returns a request (1 MB): a 10,000-thread
                # read is then 3 requests, not 11 (10 s to 6 s on moto).
                None,
                projection=("pk", "sk", "body", "seq"),
            )
        for item in found:
            number = int(item["sk"]["S"][len(THREAD_PREFIX) :])
            if int(item.get("seq", {"N": "-1"})["N"]) <= applied_seq:
                yield number, bytes(item["body"]["B"])
                continue
            if "prev" not in item:
                item = (
                    self._client.get_item(
                        TableName=self._table,
                        Key=_key(wf_run_id, item["sk"]["S"]),
                        ConsistentRead=True,
                    ).get("Item")
                    or {}
                )
            if "prev" in item:
                yield number, bytes(item["prev"]["B"])

    def head_version(self, wf_run_id: str) -> int | None:
        """The committed head's version alone (None: no head)."""
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(wf_run_id, HEAD_SK),
            ConsistentRead=True,
            ProjectionExpression="version",
        ).get("Item")
        return None if item is None else int(item["version"]["N"])

    def write(self, wf_run_id: str, writes: Writes) -> None:
        """Put pages and items, then rewrite the stored pages of changed NodeRuns.

        Idempotent: a replay writes the same bytes under the same keys.
        """
        requests = [
            {"PutRequest": {"Item": _page_item(wf_run_id, sk, page)}}
            for sk, page in writes.pages.items()
        ]
        requests.extend(
            {"PutRequest": {"Item": _record_item(wf_run_id, sk, attributes)}}
            for sk, attributes in writes.items.items()
        )
        requests.extend(
            {"PutRequest": {"Item": {"pk": {"S": wf_run_id}, **entry}}}
            for entry in writes.index.values()
        )
        batch_write(self._client, self._table, requests)
        for sk, attributes in writes.rewrites.items():
            self._rewrite_node(wf_run_id, sk, attributes)

    def write_threads(self, wf_run_id: str, update: HeadUpdate) -> None:
        """A wide WfRun's changed thread items, before its head commits.

        Each is stamped with the stream position the head is about to commit
        and carries the body it replaces: until the head commits, readers take
        that one (see ``load_head``). The commit then stays one conditional
        write however many threads it changes, and no transaction doubles
        its cost. Idempotent: a retry writes the same items.
        """
        batch_write(
            self._client,
            self._table,
            [
                {
                    "PutRequest": {
                        "Item": thread_item(
                            wf_run_id, n, body, update.applied_seq, update.previous.get(n)
                        )
                    }
                }
                for n, body in sorted(update.threads.items())
            ],
        )

    def commit_head(self, wf_run_id: str, update: HeadUpdate, expected_version: int) -> int:
        """Write the head if its version is still ``expected_version`` (0: no head yet).

        A wide WfRun's thread items must be written first (``write_threads``).
        """
        version = expected_version + 1
        # A WfRun's first head has no version yet: "absent or 0" covers it.
        try:
            self._client.put_item(
                TableName=self._table,
                Item=head_item(wf_run_id, update, version),
                ConditionExpression="attribute_not_exists(pk) OR version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise VersionConflict(
                    f"WfRun {wf_run_id}: head is no longer at version {expected_version}"
                ) from None
            raise
        return version

    def record(
        self, wf_run_id: str, sk: str, head: Head | None, attribute: str = "json"
    ) -> dict[str, Any] | None:
        """One record as the API serves it: held in ``head``, else stored.

        ``head`` must have been read before this call (see the module docstring).
        """
        held = head.held_records() if head is not None else {}
        if sk in held:
            return self._render(wf_run_id, held[sk], attribute)
        key = node_key(sk)
        if key is not None:
            found = self._find_page(wf_run_id, *key)
            node = page_holds(found[1], key[1]) if found else None
            return None if node is None else self._render(wf_run_id, {"node": node}, attribute)
        item = self._client.get_item(
            TableName=self._table, Key=_key(wf_run_id, sk), ConsistentRead=True
        ).get("Item")
        return None if item is None else self._render(wf_run_id, _attributes(item), attribute)

    def list_records(
        self,
        wf_run_id: str,
        prefix: str,
        head: Head | None,
        limit: int,
        bookmark: str | None,
        attribute: str = "json",
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a WfRun's records of one kind, in key order, at most ``limit``.

        Held and stored records are merged by key (a held copy is the newer).
        The bookmark names the item to read on from and the last record
        served, so a WfRun that looped 10,000 times is listed a page at a time.
        """
        start, after = prefix, ""
        if bookmark:
            start, after = _decode_bookmark(bookmark, prefix)
        held = sorted(
            (sk, attributes)
            for sk, attributes in (head.held_records() if head else {}).items()
            if sk.startswith(prefix) and sk > after
        )
        stored = self._stored_records(wf_run_id, prefix, start, after, limit + 1)
        merged: list[tuple[str, str, Attributes]] = []  # record sk, item sk, attributes
        next_stored = next(stored, None)
        while len(merged) <= limit and (held or next_stored):
            if next_stored is not None and (not held or next_stored[0] <= held[0][0]):
                sk, item_sk, attributes = next_stored
                next_stored = next(stored, None)
                if held and held[0][0] == sk:
                    attributes = held.pop(0)[1]
            else:
                sk, attributes = held.pop(0)
                item_sk = merged[-1][1] if merged else start
            merged.append((sk, item_sk, attributes))
        next_bookmark = None
        if len(merged) > limit:
            merged = merged[:limit]
            next_bookmark = _encode_bookmark(merged[-1][1], merged[-1][0])
        rendered = [self._render(wf_run_id, attributes, attribute) for _, _, attributes in merged]
        return [r for r in rendered if r is not None], next_bookmark

    def _render(
        self, wf_run_id: str, attributes: Attributes, attribute: str
    ) -> dict[str, Any] | None:
        """A record as the API serves it, with its values back from the payload bucket."""
        return _render(wf_run_id, self._payloads.resolve(attributes, wf_run_id), attribute)

    def _stored_records(
        self, wf_run_id: str, prefix: str, start: str, after: str, batch: int
    ) -> Iterator[tuple[str, str, Attributes]]:
        """Stored records from item ``start`` on whose keys sort after ``after``."""
        for item in self._items_between(wf_run_id, start, prefix + _KEY_END, True, batch):
            for sk, attributes in _expand(item):
                # Pages never overlap, as the pages an attempt writes follow
                # from the committed head and the journal alone; should one
                # overlap anyway, each record is listed once, in key order.
                if sk > after:
                    after = sk
                    yield sk, item["sk"]["S"], attributes

    def _items_between(
        self,
        wf_run_id: str,
        low: str,
        high: str,
        forward: bool,
        batch: int | None,
        projection: tuple[str, ...] = (),
    ) -> Iterator[dict[str, Any]]:
        """A WfRun's items with sort keys from ``low`` to ``high``, ``batch`` per
        request (None: up to DynamoDB's 1 MB); only the attributes ``projection``
        names, if any."""
        exclusive: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"ExclusiveStartKey": exclusive} if exclusive else {}
            if batch is not None:
                kwargs["Limit"] = batch
            if projection:
                kwargs["ProjectionExpression"] = ", ".join(f"#{a}" for a in projection)
                kwargs["ExpressionAttributeNames"] = {f"#{a}": a for a in projection}
            response = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":pk": {"S": wf_run_id},
                    ":a": {"S": low},
                    ":b": {"S": high},
                },
                ScanIndexForward=forward,
                ConsistentRead=True,
                **kwargs,
            )
            yield from response.get("Items", [])
            exclusive = response.get("LastEvaluatedKey")
            if exclusive is None:
                return

    def delete_wf_run(self, wf_run_id: str) -> int:
        keys = [
            {"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}}
            for item in self._query(wf_run_id)
        ]
        batch_write(self._client, self._table, keys)
        return len(keys)

    def _find_page(
        self, wf_run_id: str, thread: int, position: int
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """The page holding a NodeRun; if none does, the last page before it.

        Normally the page with the greatest first position at or below
        ``position`` holds it. A page a crashed attempt wrote and its retry
        chunked differently can sit in between, so the search goes on.
        """
        first: tuple[str, list[dict[str, Any]]] | None = None
        low, high = node_sk(thread, 0), node_sk(thread, position)
        for item in self._items_between(wf_run_id, low, high, False, _PAGES_PER_LOOKUP):
            page = (item["sk"]["S"], _page_nodes(item))
            first = first or page
            if page_holds(page[1], position) is not None:
                return page
        return first

    def _rewrite_node(self, wf_run_id: str, sk: str, attributes: Attributes) -> None:
        key = node_key(sk)
        assert key is not None
        found = self._find_page(wf_run_id, *key)
        if found is None:
            page_sk, page = sk, [attributes["node"]]
        else:
            page_sk, page = found
            if not replace_in_page(page, attributes["node"]):
                page = sorted([*page, attributes["node"]], key=lambda node: node["n"]["p"])
        self._client.put_item(TableName=self._table, Item=_page_item(wf_run_id, page_sk, page))

    def _query(self, wf_run_id: str) -> Iterator[dict[str, Any]]:
        paginator = self._client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": wf_run_id}},
            ProjectionExpression="pk, sk",
            ConsistentRead=True,
        ):
            yield from page.get("Items", [])


def _key(wf_run_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": wf_run_id}, "sk": {"S": sk}}


def thread_item(
    wf_run_id: str, number: int, body: bytes, seq: int, previous: bytes | None
) -> dict[str, Any]:
    """A thread item as ``commit_head`` writes it (the benchmark sizes this)."""
    item = {**_key(wf_run_id, thread_sk(number)), "body": {"B": body}, "seq": {"N": str(seq)}}
    if previous is not None:
        item["prev"] = {"B": previous}
    return item


def _page_item(wf_run_id: str, sk: str, page: list[dict[str, Any]]) -> dict[str, Any]:
    return {**_key(wf_run_id, sk), PAGE_ATTRIBUTE: {"B": blob.pack({"r": page})}}


def _page_nodes(item: dict[str, Any]) -> list[dict[str, Any]]:
    return list(blob.unpack(bytes(item[PAGE_ATTRIBUTE]["B"]))["r"])


def _record_item(wf_run_id: str, sk: str, attributes: Attributes) -> dict[str, Any]:
    return {
        **_key(wf_run_id, sk),
        **{name: {"S": item_json(value)} for name, value in attributes.items()},
    }


def _attributes(item: dict[str, Any]) -> Attributes:
    return {
        name: json.loads(value["S"])
        for name, value in item.items()
        if name not in ("pk", "sk") and "S" in value
    }


def _expand(item: dict[str, Any]) -> list[tuple[str, Attributes]]:
    """An item's records: the NodeRuns of a page, or the item itself."""
    if PAGE_ATTRIBUTE in item:
        thread = node_key(item["sk"]["S"])
        assert thread is not None
        return [(node_sk(thread[0], n["n"]["p"]), {"node": n}) for n in _page_nodes(item)]
    return [(item["sk"]["S"], _attributes(item))]


def _render(
    wf_run_id: str, attributes: Attributes, attribute: str = "json"
) -> dict[str, Any] | None:
    """A record as the API serves it; a NodeRun is stored compact and rendered here."""
    if "node" in attributes:
        return render_node_item(wf_run_id, attributes["node"], attribute)
    value = attributes.get(attribute)
    return value if isinstance(value, dict) else None


def bookmark_after(last_sk: str, item_sk: str) -> str:
    """A ``list_records`` bookmark that reads on from item ``item_sk`` and
    serves the records after ``last_sk``."""
    return _encode_bookmark(item_sk, last_sk)


def listed_after(bookmark: str, prefix: str) -> str:
    """The last record a ``list_records`` bookmark served (ValueError: not one)."""
    return _decode_bookmark(bookmark, prefix)[1]


def _encode_bookmark(item_sk: str, last_sk: str) -> str:
    """Standard base64, as proto3 JSON writes ``bytes``: LittleHorse clients send it back so."""
    return encode_bookmark({"k": item_sk, "a": last_sk})


def _decode_bookmark(bookmark: str, prefix: str) -> tuple[str, str]:
    """(the item to read on from, the last record served)."""
    try:
        value = decode_bookmark(bookmark)
        item_sk, last_sk = str(value["k"]), str(value["a"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError("not a bookmark of this listing") from exc
    if not (item_sk.startswith(prefix) and last_sk.startswith(prefix)):
        raise ValueError("bookmark from another listing")
    return item_sk, last_sk


def item_json(value: Any) -> str:
    """The JSON text every record item attribute holds."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
