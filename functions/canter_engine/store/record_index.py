"""SearchVariable's, SearchExternalEvent's and SearchNodeRun's index: sparse
entries over the same global secondary index as SearchWfRun (``byStatusTime``).

Only records someone can search for get an entry: a Variable its WfSpec
declares ``searchable()``, an ExternalEvent, a WorkflowEvent (SearchWorkflowEvent;
written once, when it is thrown), and an EXTERNAL_EVENT NodeRun
(LittleHorse's SearchNodeRun finds only those). A 10-task chain with no
searchable variable writes none, so the common path pays nothing. An entry
is an item of the WfRun's own partition (``pk`` = WfRun id, ``sk`` =
``idx#`` + the record's key), written in the batch the scheduler writes
before it commits the head, and only when its record changes: a variable
that takes a new value overwrites its entry (the old value's entry is gone
in the same write), one that becomes null keeps no index attributes and so
leaves the index. DeleteWfRun removes entries with everything else of the
WfRun.

The index partition key names what is searched and its value
(``var#<WfSpec>#<variable>#<value>``, ``evt#<ExternalEventDef>``,
``wfevt#<WorkflowEventDef>``, ``nodeevt#<ExternalEventDef>``); it never
equals a WfRun status, so SearchWfRun never reads these entries. The sort
key is a time in zero-padded milliseconds (the WfRun's start for a
variable, the event's arrival for an ExternalEvent, the NodeRun's arrival), so results come newest
first and a time window is a key range.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from canter_engine.core.records import Record
from canter_engine.core.state import ExternalEvent, NodeRun, VariableValue, WorkflowEvent
from canter_engine.core.user_task_state import UserTaskRun
from canter_engine.model import values
from canter_engine.store import user_task_index
from canter_engine.store.status_time_index import (
    TIME_DIGITS,
    decode_position,
    encode_position,
    newest_first,
    window,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from canter_engine.core import Blueprint, WfRunState

INDEX_PREFIX = "idx#"
_TIME_DIGITS = TIME_DIGITS
# The one filterable attribute an entry has besides its version: an
# ExternalEvent's CLAIMED or UNCLAIMED, an EXTERNAL_EVENT NodeRun's status.
TAG = "tag"
# A value longer than this is indexed by its digest: an index partition key
# holds at most 2,048 bytes.
_MAX_VALUE_KEY_BYTES = 1024


def _time(millis: int) -> str:
    return f"{millis:0{_TIME_DIGITS}d}"


def value_key(value: Any) -> str:
    """A variable value as the index keys it: its canonical VariableValue JSON (a struct
    without its pinned StructDef version, so a client's ``version: -1`` finds it)."""
    text = json.dumps(values.encode(values.unpinned(value)), separators=(",", ":"), sort_keys=True)
    if len(text.encode()) > _MAX_VALUE_KEY_BYTES:
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return text


def variable_partition(spec_name: str, var_name: str, value: Any) -> str:
    return f"var#{spec_name}#{var_name}#{value_key(value)}"


def event_partition(def_name: str) -> str:
    return f"evt#{def_name}"


def workflow_event_partition(def_name: str) -> str:
    """WorkflowEvents a THROW_EVENT published, of one WorkflowEventDef."""
    return f"wfevt#{def_name}"


def node_partition(def_name: str) -> str:
    """EXTERNAL_EVENT NodeRuns waiting for (or that waited for) one ExternalEventDef."""
    return f"nodeevt#{def_name}"


def variable_entry(
    record_sk: str, spec_name: str, version: tuple[int, int], start: int, var: tuple[str, Any]
) -> dict[str, Any]:
    """The index item of a searchable variable (attributes as stored, keys but ``pk``)."""
    name, value = var
    item: dict[str, Any] = {"sk": {"S": INDEX_PREFIX + record_sk}}
    if value is None:
        return item
    item.update(
        {
            "gsi1pk": {"S": variable_partition(spec_name, name, value)},
            "gsi1sk": {"S": _time(start)},
            "ver": {"S": f"{version[0]}.{version[1]}"},
        }
    )
    return item


def event_entry(record_sk: str, def_name: str, time: int, claimed: bool) -> dict[str, Any]:
    """The index item of an ExternalEvent (attributes as stored, keys but ``pk``)."""
    return {
        "sk": {"S": INDEX_PREFIX + record_sk},
        "gsi1pk": {"S": event_partition(def_name)},
        "gsi1sk": {"S": _time(time)},
        TAG: {"S": claimed_tag(claimed)},
    }


def workflow_event_entry(record_sk: str, event: WorkflowEvent) -> dict[str, Any]:
    """The index item of a WorkflowEvent (written once: a WorkflowEvent never changes)."""
    return {
        "sk": {"S": INDEX_PREFIX + record_sk},
        "gsi1pk": {"S": workflow_event_partition(event.def_name)},
        "gsi1sk": {"S": _time(event.time)},
    }


def node_entry(node_run: NodeRun) -> dict[str, Any]:
    """The index item of an EXTERNAL_EVENT NodeRun (attributes as stored, keys but ``pk``)."""
    return {
        "sk": {"S": INDEX_PREFIX + node_run.sk},
        "gsi1pk": {"S": node_partition(node_run.event_def or "")},
        "gsi1sk": {"S": _time(node_run.arrival)},
        TAG: {"S": node_run.status},
    }


def claimed_tag(claimed: bool) -> str:
    return "CLAIMED" if claimed else "UNCLAIMED"


def index_entries(
    bp: Blueprint, state: WfRunState, records: list[Record], searched: list[NodeRun]
) -> dict[str, dict[str, Any]]:
    """The index items a transition's records change: sk -> the item, but its pk.

    A masked variable is never indexed: a search must not tell its value.
    """
    entries: dict[str, dict[str, Any]] = {}
    for record in records:
        obj = record.obj
        if isinstance(obj, ExternalEvent):
            entry = event_entry(record.sk, obj.def_name, obj.time, obj.claimed)
        elif isinstance(obj, WorkflowEvent):
            entry = workflow_event_entry(record.sk, obj)
        elif isinstance(obj, UserTaskRun):
            entries.update(user_task_index.entries(obj))
            continue
        elif isinstance(obj, VariableValue) and _searchable(bp, record.thread_spec_name, obj):
            version = (state.major_version, state.revision)
            var = (obj.name, obj.value)
            entry = variable_entry(record.sk, state.spec_name, version, state.start, var)
        else:
            continue
        entries[entry["sk"]["S"]] = entry
    for node_run in searched:
        entry = node_entry(node_run)
        entries[entry["sk"]["S"]] = entry
    return entries


def _searchable(bp: Blueprint, thread_spec: str, var: VariableValue) -> bool:
    thread = bp.spec.thread_specs.get(thread_spec)
    if thread is None or var.masked:
        return False
    return any(d.searchable and d.var_def.name == var.name for d in thread.variable_defs)


@dataclass(frozen=True, slots=True)
class EntryQuery:
    """One index partition, a time window and the filters on its entries."""

    partition: str
    earliest: int | None = None
    latest: int | None = None
    major_version: int | None = None
    revision: int | None = None
    # An entry's TAG must be this.
    tag: str | None = None


class RecordIndex:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def search(
        self, query: EntryQuery, limit: int, bookmark: str | None
    ) -> tuple[list[tuple[str, str]], str | None]:
        """(WfRun id, record key) of each entry, newest first, one page.

        ValueError for a bookmark this search did not return.
        """
        exclusive = decode_position(bookmark, query.partition) if bookmark else None
        low, high = window(query.earliest, query.latest)
        values_: dict[str, Any] = {
            ":p": {"S": query.partition},
            ":lo": {"S": low},
            ":hi": {"S": high},
        }
        filters = _filters(query, values_)
        found = newest_first(
            self._client, self._table, values_, " AND ".join(filters) or None, limit, exclusive
        )
        served = found[:limit]
        results = [(str(i["pk"]["S"]), str(i["sk"]["S"])[len(INDEX_PREFIX) :]) for i in served]
        return results, encode_position(served[-1]) if len(found) > limit else None


def _filters(query: EntryQuery, values_: dict[str, Any]) -> list[str]:
    filters: list[str] = []
    if query.major_version is not None and query.revision is not None:
        filters.append("ver = :v")
        values_[":v"] = {"S": f"{query.major_version}.{query.revision}"}
    elif query.major_version is not None:
        filters.append("begins_with(ver, :v)")
        values_[":v"] = {"S": f"{query.major_version}."}
    if query.tag is not None:
        filters.append(f"{TAG} = :t")
        values_[":t"] = {"S": query.tag}
    return filters
