"""SearchWfRun's index: a global secondary index over WfRun heads.

The scheduler writes every WfRun's head anyway; the index attributes ride on
it, so the index entry changes only when the WfRun's status does (written
once per change, never per step): ``byStatusTime`` has ``gsi1pk`` =
``wf#<WfSpec>#<status>`` and ``gsi1sk`` = the WfRun's start time in
zero-padded milliseconds, so a search by WfSpec and status (LittleHorse's
usual one) reads one key range, newest first, and never a run of another
WfSpec; a time window narrows the range. A search without a status reads
each status's range of the WfSpec and merges them, one without a WfSpec
merges those of every WfSpec the caller names (the API passes the catalog's
WfSpecs). Pages resume by (start, WfRun id): the bookmark is the last
served pair, the same size however many ranges a search merges. The version
and the parent WfRun are attributes (``ver``, ``parent``) read by a filter:
one index entry per WfRun keeps the search's write cost to three index
writes per WfRun.

Each WfSpec's RUNNING WfRuns share one index partition; past DynamoDB's
per-partition write rate (1,000 entry writes a second for one WfSpec) the
partition key would need a shard suffix, read back as more ranges to merge.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from canter_engine.store.bookmark import decode as decode_bookmark
from canter_engine.store.bookmark import encode as encode_bookmark
from canter_engine.store.status_time_index import INDEX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from canter_engine.core.state import WfRunState

STATUSES = ("STARTING", "RUNNING", "HALTING", "HALTED", "COMPLETED", "ERROR", "EXCEPTION")
_TIME_DIGITS = 13
_LOW_TIME = "0" * _TIME_DIGITS
_HIGH_TIME = "9" * _TIME_DIGITS + "~"
# A range's first read asks for at least this many entries, and at most this
# many ranges are read at once.
_MIN_FIRST_READ = 10
_PARALLEL_READS = 16


@dataclass(frozen=True, slots=True)
class Listing:
    """What a WfRun head carries for search: fixed from the WfRun's start on."""

    start: int
    major_version: int
    revision: int
    parent: str | None

    def attributes(self, wf_run_id: str, spec_name: str, status: str) -> dict[str, Any]:
        # Index sort keys need not be unique: the time alone orders the entries,
        # and the bookmark (table keys included) resumes exactly. Every byte here
        # is in the head, which the scheduler keeps within one write unit.
        found: dict[str, Any] = {
            "gsi1pk": {"S": partition(spec_name, status)},
            "gsi1sk": {"S": f"{self.start:0{_TIME_DIGITS}d}"},
            "ver": {"S": f"{self.major_version}.{self.revision}"},
        }
        if self.parent:
            found["parent"] = {"S": self.parent}
        return found


def partition(spec_name: str, status: str) -> str:
    """The index partition of a WfSpec's WfRuns in one status.

    Record index partitions (store/record_index.py) start otherwise, so no
    search reads another's entries.
    """
    return f"wf#{spec_name}#{status}"


def listing(state: WfRunState) -> Listing:
    return Listing(state.start, state.major_version, state.revision, state.parent_wf_run_id)


@dataclass(frozen=True, slots=True)
class RunQuery:
    """WfRuns of any of ``spec_names`` (one for LittleHorse's SearchWfRun)."""

    spec_names: tuple[str, ...]
    status: str | None
    major_version: int | None
    revision: int | None
    earliest: int | None
    latest: int | None
    parent: str | None


class RunIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def search(
        self, query: RunQuery, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """WfRun ids, newest first, one page; ValueError for a bookmark not from here."""
        after = _decode(bookmark) if bookmark else None
        statuses = [query.status] if query.status else list(STATUSES)
        ranges = [partition(spec, status) for spec in query.spec_names for status in statuses]
        # The merge needs every range's newest entry before it serves one, so
        # the first read of each range asks for a share of the page, and all
        # of them go out together; a range that runs short reads on.
        first = min(limit, max(_MIN_FIRST_READ, limit // max(len(ranges), 1))) + 1
        requests = [r for key in ranges if (r := _request(query, key, after)) is not None]
        firsts = self._first_pages(requests, first)
        streams = [
            self._entries(request, after, page, limit + 1)
            for request, page in zip(requests, firsts, strict=True)
        ]
        merged = heapq.merge(*streams, key=_time_id, reverse=True)
        ids: list[str] = []
        last: tuple[str, str] | None = None
        for item in merged:
            if len(ids) == limit and last is not None:
                return ids, _encode(last)
            ids.append(item["pk"]["S"])
            last = _time_id(item)
        return ids, None

    def _first_pages(self, requests: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        def read(request: dict[str, Any]) -> dict[str, Any]:
            return dict(self._client.query(TableName=self._table, **request, Limit=limit))

        if len(requests) <= 1:
            return [read(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(_PARALLEL_READS, len(requests))) as pool:
            return list(pool.map(read, requests))

    def _entries(
        self,
        request: dict[str, Any],
        after: tuple[str, str] | None,
        page: dict[str, Any],
        batch: int,
    ) -> Iterator[dict[str, Any]]:
        """One range's entries older than ``after``, newest first, from its first page on.

        Entries of one start time come in no set order, so they are gathered
        and sorted by WfRun id: (start, id) is the order pages resume in.
        """
        same_time: list[dict[str, Any]] = []
        while True:
            for item in page.get("Items", []):
                if after is not None and _time_id(item) >= after:
                    continue
                if same_time and same_time[0]["gsi1sk"]["S"] != item["gsi1sk"]["S"]:
                    yield from sorted(same_time, key=_time_id, reverse=True)
                    same_time = []
                same_time.append(item)
            exclusive = page.get("LastEvaluatedKey")
            if not exclusive:
                yield from sorted(same_time, key=_time_id, reverse=True)
                return
            page = dict(
                self._client.query(
                    TableName=self._table, **request, Limit=batch, ExclusiveStartKey=exclusive
                )
            )


def _request(query: RunQuery, key: str, after: tuple[str, str] | None) -> dict[str, Any] | None:
    """The query of one range's entries older than ``after``; None when the window is empty."""
    low = _LOW_TIME if query.earliest is None else f"{query.earliest:0{_TIME_DIGITS}d}"
    high = _HIGH_TIME if query.latest is None else f"{query.latest:0{_TIME_DIGITS}d}~"
    if after is not None:
        high = min(high, after[0])
    if low > high:
        return None
    values: dict[str, Any] = {":p": {"S": key}, ":lo": {"S": low}, ":hi": {"S": high}}
    request: dict[str, Any] = {
        "IndexName": INDEX,
        "KeyConditionExpression": "gsi1pk = :p AND gsi1sk BETWEEN :lo AND :hi",
        "ScanIndexForward": False,
    }
    filters, filter_values = _filters(query)
    if filters:
        request["FilterExpression"] = " AND ".join(filters)
        values.update(filter_values)
    request["ExpressionAttributeValues"] = values
    return request


def _filters(query: RunQuery) -> tuple[list[str], dict[str, Any]]:
    filters: list[str] = []
    values: dict[str, Any] = {}
    if query.major_version is not None and query.revision is not None:
        filters.append("ver = :v")
        values[":v"] = {"S": f"{query.major_version}.{query.revision}"}
    elif query.major_version is not None:
        filters.append("begins_with(ver, :v)")
        values[":v"] = {"S": f"{query.major_version}."}
    if query.parent is not None:
        filters.append("parent = :parent")
        values[":parent"] = {"S": query.parent}
    return filters, values


def _time_id(item: dict[str, Any]) -> tuple[str, str]:
    """(start, WfRun id) of an index entry: its place, newest first."""
    return str(item["gsi1sk"]["S"]), str(item["pk"]["S"])


def _encode(last: tuple[str, str]) -> str:
    """The last served entry's (start, WfRun id): the next page is what is older."""
    return encode_bookmark({"t": last[0], "id": last[1]})


def _decode(bookmark: str) -> tuple[str, str]:
    try:
        value = decode_bookmark(bookmark)
    except ValueError as exc:
        raise ValueError("not a SearchWfRun bookmark") from exc
    if not isinstance(value, dict) or set(value) != {"t", "id"}:
        raise ValueError("bookmark from another search")
    time, wf_run_id = value["t"], value["id"]
    if not (isinstance(time, str) and len(time) == _TIME_DIGITS and time.isdigit()):
        raise ValueError("bookmark from another search")
    if not isinstance(wf_run_id, str):
        raise ValueError("bookmark from another search")
    return time, wf_run_id
