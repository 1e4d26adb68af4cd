"""SearchWfRun's indexes: two global secondary indexes over WfRun heads.

The scheduler writes every WfRun's head anyway; the index attributes ride on
it, so an index entry changes only when the WfRun's status does (written
once per change, never per step):

- ``bySpecStatus``: ``gsi1pk`` = WfSpec name, ``gsi1sk`` = ``status#start``;
- ``byStatusTime``: ``gsi2pk`` = status, ``gsi2sk`` = ``start``.

``start`` is the WfRun's start time in zero-padded milliseconds, so within a
partition and status the sort key orders runs by time and a time window is a
key range. Results come newest first: a search without a status reads each
status's range and merges them, and its bookmark carries where each status's
read stands. The WfSpec version and the parent WfRun are plain attributes
(``ver``, ``parent``) read by a filter.
"""

from __future__ import annotations

import base64
import heapq
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from canter_engine.core.state import WfRunState

BY_SPEC = "bySpecStatus"
BY_STATUS = "byStatusTime"
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
        start = f"{self.start:0{_TIME_DIGITS}d}"
        found: dict[str, Any] = {
            "gsi1pk": {"S": spec_name},
            "gsi1sk": {"S": f"{status}#{start}"},
            "gsi2pk": {"S": status},
            "gsi2sk": {"S": start},
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
            last[status] = _key_of(item, query)
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
        values: dict[str, Any]
        if query.spec_name:
            index, condition = BY_SPEC, "gsi1pk = :p AND gsi1sk BETWEEN :lo AND :hi"
            values = {
                ":p": {"S": query.spec_name},
                ":lo": {"S": f"{status}#{low}"},
                ":hi": {"S": f"{status}#{high}"},
            }
        else:
            index, condition = BY_STATUS, "gsi2pk = :p AND gsi2sk BETWEEN :lo AND :hi"
            values = {":p": {"S": status}, ":lo": {"S": low}, ":hi": {"S": high}}
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
                IndexName=index,
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
    """(start, WfRun id) of an index entry of either index: its place, newest first."""
    start = item["gsi2sk"]["S"] if "gsi2sk" in item else item["gsi1sk"]["S"].split("#", 1)[1]
    return str(start), str(item["pk"]["S"])


def _key_of(item: dict[str, Any], query: RunQuery) -> dict[str, Any]:
    names = ("gsi1pk", "gsi1sk") if query.spec_name else ("gsi2pk", "gsi2sk")
    return {name: item[name] for name in ("pk", "sk", *names)}


def _encode(last: dict[str, dict[str, Any]]) -> str:
    """Each status's last served key ({} for not started yet)."""
    raw = json.dumps(last, separators=(",", ":"), sort_keys=True)
    return base64.b64encode(raw.encode()).decode()


def _decode(bookmark: str, statuses: list[str]) -> dict[str, dict[str, Any]]:
    try:
        value = json.loads(base64.b64decode(bookmark.encode(), validate=True))
    except ValueError as exc:
        raise ValueError("not a SearchWfRun bookmark") from exc
    if not isinstance(value, dict) or sorted(value) != sorted(statuses):
        raise ValueError("bookmark from another search")
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, dict)}
