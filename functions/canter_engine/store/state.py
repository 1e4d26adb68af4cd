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
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

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
from canter_engine.store.record_index import RecordIndex
from canter_engine.store.run_index import Listing, RunIndex
from canter_engine.store.thread_items import (
    THREAD_PREFIX,
    ThreadItem,
    assemble,
    decode_thread,
    thread_sk,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HEAD_SK = "wfrun"
STAGE_PREFIX = "stage#"
# DynamoDB's TransactWriteItems limit: the head and 99 thread items.
MAX_TRANSACTION_ITEMS = 100
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
    marks: dict[int, int] | None = None
    # The state already decoded (the scheduler's own cache); never changed.
    decoded: WfRunState | None = None
    # A staged commit whose thread items may not all be in place yet (its version).
    staged: int = 0


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
    # A wide WfRun: the thread items to write (number -> body). Those the
    # committed head already holds commit with it, atomically.
    threads: dict[int, bytes] = field(default_factory=dict)
    # Of ``threads``, those the committed head does not hold yet: written
    # before the commit, like pages, since no reader looks at them until then.
    new_threads: frozenset[int] = frozenset()

    @property
    def staged(self) -> bool:
        """Too many existing thread items for one transaction: ``commit_staged`` commits it."""
        return len(set(self.threads) - self.new_threads) >= MAX_TRANSACTION_ITEMS


def head_body(state: dict[str, Any], held: Held) -> bytes:
    return _head_body(item_json(state), held)


def _head_body(state_json: str, held: Held, spilled: bool = False, staged: int = 0) -> bytes:
    """The head's compressed JSON, built around the state's JSON encoded once.

    ``spilled``: the threads are items of their own (``x``); ``staged``: the
    version whose thread items are still staged (``g``, see ``commit_staged``).
    """
    extra = (',"x":1' if spilled else "") + (f',"g":{staged}' if staged else "")
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
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def run_index(self) -> RunIndex:
        """SearchWfRun's view of the heads' indexes."""
        return RunIndex(self._client, self._table)

    def record_index(self) -> RecordIndex:
        """SearchVariable's and SearchExternalEvent's view of the index entries."""
        return RecordIndex(self._client, self._table)

    def load_head(self, wf_run_id: str, thread: int | None = None) -> Head | None:
        """The head, with a wide WfRun's thread items read back into its state
        (only thread ``thread``'s, if given: by key, for a reader of one thread).

        The head is read first: thread items written for a transition that
        has not committed yet are numbered beyond its greatest thread and
        left out, and staged items of the head's version stand in for the
        thread items they replace (``commit_staged``).
        """
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(wf_run_id, HEAD_SK),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        version = int(item["version"]["N"])
        value = blob.unpack(bytes(item["body"]["B"]))
        held = Held.from_item(value.get("h"))
        state = value["s"]
        marks: dict[int, int] | None = None
        staged = int(value.get("g", 0))
        if value.get("x"):
            if thread is None:
                threads = self._thread_items(wf_run_id, THREAD_PREFIX)
                if staged:
                    threads.update(self._thread_items(wf_run_id, stage_prefix(staged)))
            else:
                threads = self._thread_item(wf_run_id, thread, staged)
            state = assemble(state, threads)
            marks = {n: t.paged for n, t in threads.items()}
        return Head(
            state,
            held,
            version,
            int(item["appliedSeq"]["S"]),
            item.get("incarnation", {}).get("S", ""),
            marks,
            staged=staged,
        )

    def _thread_item(self, wf_run_id: str, number: int, staged: int) -> dict[int, ThreadItem]:
        keys = [thread_sk(number)]
        if staged:
            keys.insert(0, stage_prefix(staged) + f"{number:06d}")
        for sk in keys:
            item = self._client.get_item(
                TableName=self._table, Key=_key(wf_run_id, sk), ConsistentRead=True
            ).get("Item")
            if item is not None:
                return {number: decode_thread(number, bytes(item["body"]["B"]))}
        return {}

    def head_version(self, wf_run_id: str) -> int | None:
        """The committed head's version alone (None: no head)."""
        item = self._client.get_item(
            TableName=self._table,
            Key=_key(wf_run_id, HEAD_SK),
            ConsistentRead=True,
            ProjectionExpression="version",
        ).get("Item")
        return None if item is None else int(item["version"]["N"])

    def _thread_items(self, wf_run_id: str, prefix: str) -> dict[int, ThreadItem]:
        """Thread items (or staged ones) under ``prefix``, a page of queries at a time."""
        found: dict[int, ThreadItem] = {}
        for item in self._items_between(wf_run_id, prefix, prefix + _KEY_END, True, 1000):
            number = int(item["sk"]["S"][len(prefix) :])
            found[number] = decode_thread(number, bytes(item["body"]["B"]))
        return found

    def place_staged(self, wf_run_id: str, version: int) -> None:
        """Put a staged commit's thread items in place, then remove the staged copies.

        Idempotent, and the head keeps naming the staged version until the
        next commit: readers meanwhile take the staged copies, which hold the
        same bytes as the ones being put in place.
        """
        prefix = stage_prefix(version)
        staged = list(self._items_between(wf_run_id, prefix, prefix + _KEY_END, True, 1000))
        batch_write(
            self._client,
            self._table,
            [
                {
                    "PutRequest": {
                        "Item": _thread_item(
                            wf_run_id, int(item["sk"]["S"][len(prefix) :]), item["body"]["B"]
                        )
                    }
                }
                for item in staged
            ],
        )
        batch_write(
            self._client,
            self._table,
            [{"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}} for item in staged],
        )

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

    def commit_head(self, wf_run_id: str, update: HeadUpdate, expected_version: int) -> int:
        """Write the head if its version is still ``expected_version`` (0: no head yet).

        A wide WfRun's new thread items go first, as pages do; the thread
        items the committed head already holds are replaced atomically with
        it: in one transaction (DynamoDB's limit: 100 items), or, for more,
        staged (``commit_staged``).
        """
        version = expected_version + 1
        batch_write(
            self._client,
            self._table,
            [
                {"PutRequest": {"Item": _thread_item(wf_run_id, n, {"B": update.threads[n]})}}
                for n in sorted(update.new_threads)
            ],
        )
        existing = sorted(set(update.threads) - update.new_threads)
        if update.staged:
            return self.commit_staged(wf_run_id, update, expected_version, existing)
        # A WfRun's first head has no version yet: "absent or 0" covers it.
        head: dict[str, Any] = {
            "TableName": self._table,
            "Item": head_item(wf_run_id, update, version),
            "ConditionExpression": "attribute_not_exists(pk) OR version = :v",
            "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
        }
        items: list[Any] = [{"Put": head}]
        items.extend(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _thread_item(wf_run_id, n, {"B": update.threads[n]}),
                }
            }
            for n in existing
        )
        try:
            if not existing:
                self._client.put_item(**head)
            else:
                self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if _conflict(exc):
                raise VersionConflict(
                    f"WfRun {wf_run_id}: head is no longer at version {expected_version}"
                ) from None
            raise
        return version

    def commit_staged(
        self, wf_run_id: str, update: HeadUpdate, expected_version: int, existing: list[int]
    ) -> int:
        """Commit a transition that changes more thread items than a transaction holds.

        The new thread items are written under ``stage#<version>#`` first;
        the head commits naming that version (``g``); then the scheduler puts
        them in place (``place_staged``). Whoever loads the head before that is done
        reads the staged copies, and the scheduler puts them in place before
        it applies anything else, so the commit stays atomic and exactly once.
        """
        version = expected_version + 1
        batch_write(
            self._client,
            self._table,
            [
                {
                    "PutRequest": {
                        "Item": {
                            **_key(wf_run_id, stage_prefix(version) + f"{n:06d}"),
                            "body": {"B": update.threads[n]},
                        }
                    }
                }
                for n in existing
            ],
        )
        value = blob.unpack(update.body)
        value["g"] = version
        staged = replace(update, body=blob.pack(value))
        try:
            self._client.put_item(
                TableName=self._table,
                Item=head_item(wf_run_id, staged, version),
                ConditionExpression="attribute_not_exists(pk) OR version = :v",
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        except ClientError as exc:
            if _conflict(exc):
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
        if head is not None and sk in head.held.records:
            return _render(wf_run_id, head.held.records[sk], attribute)
        key = node_key(sk)
        if key is not None:
            found = self._find_page(wf_run_id, *key)
            node = page_holds(found[1], key[1]) if found else None
            return None if node is None else _render(wf_run_id, {"node": node}, attribute)
        item = self._client.get_item(
            TableName=self._table, Key=_key(wf_run_id, sk), ConsistentRead=True
        ).get("Item")
        return None if item is None else _render(wf_run_id, _attributes(item), attribute)

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
            for sk, attributes in (head.held.records if head else {}).items()
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
        rendered = [_render(wf_run_id, attributes, attribute) for _, _, attributes in merged]
        return [r for r in rendered if r is not None], next_bookmark

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
        self, wf_run_id: str, low: str, high: str, forward: bool, batch: int
    ) -> Iterator[dict[str, Any]]:
        """A WfRun's items with sort keys from ``low`` to ``high``, ``batch`` per request."""
        exclusive: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"ExclusiveStartKey": exclusive} if exclusive else {}
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
                Limit=batch,
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


def stage_prefix(version: int) -> str:
    return f"{STAGE_PREFIX}{version:012d}#"


def _thread_item(wf_run_id: str, number: int, body: dict[str, Any]) -> dict[str, Any]:
    return {**_key(wf_run_id, thread_sk(number)), "body": body}


def _conflict(exc: ClientError) -> bool:
    """The head's version condition failed (alone, or inside a transaction)."""
    error = exc.response["Error"]["Code"]
    if error == "ConditionalCheckFailedException":
        return True
    if error != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons", [])
    return any(r.get("Code") == "ConditionalCheckFailed" for r in reasons) or not reasons


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
