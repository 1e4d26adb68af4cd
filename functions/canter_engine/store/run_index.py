"""SearchWfRun's index: a global secondary index over WfRun heads.

The scheduler writes every WfRun's head anyway; the index attributes ride on
it, so the index entry changes only when the WfRun's status does (written
once per change, never per step): ``byStatusTime`` has ``gsi1pk`` = status
and ``gsi1sk`` = the WfRun's start time in zero-padded milliseconds, so
within a status the sort key orders runs by time and a time window is a key
range. Results come newest first: a search without a status reads each
status's range and merges them, and its bookmark carries where each status's
read stands. The WfSpec name and version and the parent WfRun are plain
attributes (``spec``, ``ver``, ``parent``) copied into the index and read by
a filter: one index entry per WfRun, not one per WfSpec and one per status,
keeps the search's write cost to three index writes per WfRun.

Every RUNNING WfRun shares one index partition; past DynamoDB's per-partition
write rate (1,000 entry writes a second) the partition key would need a shard
suffix, read back as more ranges to merge.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
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
            "gsi1pk": {"S": status},
            "gsi1sk": {"S": f"{self.start:0{_TIME_DIGITS}d}"},
            "spec": {"S": spec_name},
            "ver": {"S": f"{self.major_version}.{self.revision}"},
        }
        if self.parent:
            found["parent"] = {"S": self.parent}
        return found


def listing(state: WfRunState) -> Listing:
    return Listing(state.start, state.major_version, state.revision, state.parent_wf_run_id)


@dataclass(frozen=True, slots=True)
class RunQuery:
    spec_name: str | None
    status: str | None
    major_version: int | None
    revision: int | None
    earliest: int | None
    latest: int | None
    parent: str | None
    # Any of these WfSpecs (SearchTaskRun: the WfSpecs that use a TaskDef).
    spec_names: tuple[str, ...] = ()


class RunIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def search(
        self, query: RunQuery, limit: int, bookmark: str | None
    ) -> tuple[list[str], str | None]:
        """WfRun ids, newest first, one page; ValueError for a bookmark not from here."""
        statuses = [query.status] if query.status else list(STATUSES)
        positions = _decode(bookmark, statuses) if bookmark else {}
        streams = [
            self._tagged(query, status, positions.get(status, {}), limit) for status in statuses
        ]
        # Each status's entries come newest first (by start; equal starts in any order).
        merged = heapq.merge(*streams, key=lambda entry: _time_id(entry[1]), reverse=True)
        ids: list[str] = []
        last: dict[str, dict[str, Any]] = {s: positions.get(s, {}) for s in statuses}
        for status, item in merged:
            if len(ids) == limit:
                return ids, _encode(last)
            ids.append(item["pk"]["S"])
            last[status] = _key_of(item)
        return ids, None

    def _tagged(
        self, query: RunQuery, status: str, start: dict[str, Any], batch: int
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        for item in self._read(query, status, start, batch):
            yield status, item

    def _read(
        self, query: RunQuery, status: str, start: dict[str, Any], batch: int
    ) -> Iterator[dict[str, Any]]:
        """One status's entries, newest first, read ``batch`` at a time from ``start``."""
        low = _LOW_TIME if query.earliest is None else f"{query.earliest:0{_TIME_DIGITS}d}"
        high = _HIGH_TIME if query.latest is None else f"{query.latest:0{_TIME_DIGITS}d}~"
        condition = "gsi1pk = :p AND gsi1sk BETWEEN :lo AND :hi"
        values: dict[str, Any] = {":p": {"S": status}, ":lo": {"S": low}, ":hi": {"S": high}}
        filters, filter_values = _filters(query)
        kwargs: dict[str, Any] = {}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
            values.update(filter_values)
        exclusive = start or None
        while True:
            if exclusive:
                kwargs["ExclusiveStartKey"] = exclusive
            page = self._client.query(
                TableName=self._table,
                IndexName=INDEX,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=values,
                ScanIndexForward=False,
                Limit=batch + 1,
                **kwargs,
            )
            yield from page.get("Items", [])
            exclusive = page.get("LastEvaluatedKey")
            if not exclusive:
                return


def _filters(query: RunQuery) -> tuple[list[str], dict[str, Any]]:
    filters: list[str] = []
    values: dict[str, Any] = {}
    if query.spec_name:
        filters.append("spec = :spec")
        values[":spec"] = {"S": query.spec_name}
    if query.spec_names:
        names = [f":s{n}" for n in range(len(query.spec_names))]
        filters.append(f"spec IN ({', '.join(names)})")
        values.update({n: {"S": s} for n, s in zip(names, query.spec_names, strict=True)})
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


def _key_of(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in ("pk", "sk", "gsi1pk", "gsi1sk")}


def _encode(last: dict[str, dict[str, Any]]) -> str:
    """Each status's last served key ({} for not started yet)."""
    return encode_bookmark(last)


def _decode(bookmark: str, statuses: list[str]) -> dict[str, dict[str, Any]]:
    try:
        value = decode_bookmark(bookmark)
    except ValueError as exc:
        raise ValueError("not a SearchWfRun bookmark") from exc
    if not isinstance(value, dict) or sorted(value) != sorted(statuses):
        raise ValueError("bookmark from another search")
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, dict)}
