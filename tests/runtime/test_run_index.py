"""SearchWfRun's index: WfRuns of many WfSpecs and statuses, newest first, each once.

Entries are written as the scheduler writes heads (the index attributes on
an item of the state table); several WfRuns share a start millisecond, as a
burst of RunWf does.
"""

from __future__ import annotations

from typing import Any

from canter.local import LocalStack
from canter_engine.handlers import runtime
from canter_engine.store.run_index import Listing, RunIndex, RunQuery

# (WfRun id, WfSpec, status, start ms)
RUNS = [
    (f"ri-{n:02d}", spec, status, 1_700_000_000_000 + n // 3)
    for n, (spec, status) in enumerate(
        [("ri-a", "COMPLETED"), ("ri-b", "RUNNING"), ("ri-a", "ERROR")] * 8
    )
]


def _index(stack: LocalStack) -> RunIndex:
    state = runtime.current().state
    client: Any = state._client
    for wf_run_id, spec, status, start in RUNS:
        item = {"pk": {"S": wf_run_id}, "sk": {"S": "wfrun"}}
        item.update(Listing(start, 0, 0, None).attributes(wf_run_id, spec, status))
        client.put_item(TableName=state._table, Item=item)
    return state.run_index()


def _query(specs: tuple[str, ...], status: str | None = None) -> RunQuery:
    return RunQuery(specs, status, None, None, None, None, None)


def _all_pages(index: RunIndex, query: RunQuery, limit: int) -> list[str]:
    found, bookmark = index.search(query, limit, None)
    while bookmark is not None:
        more, bookmark = index.search(query, limit, bookmark)
        found += more
    return found


def _newest_first(runs: list[tuple[str, str, str, int]]) -> list[str]:
    return [r[0] for r in sorted(runs, key=lambda r: (r[3], r[0]), reverse=True)]


def test_pages_of_every_wf_spec_and_status_serve_each_run_once_newest_first(
    stack: LocalStack,
) -> None:
    index = _index(stack)
    for limit in (1, 2, 5, 100):
        assert _all_pages(index, _query(("ri-a", "ri-b")), limit) == _newest_first(RUNS)


def test_a_search_by_wf_spec_and_status_reads_only_that_range(stack: LocalStack) -> None:
    index = _index(stack)
    expected = _newest_first([r for r in RUNS if r[1] == "ri-a" and r[2] == "ERROR"])
    assert _all_pages(index, _query(("ri-a",), "ERROR"), 3) == expected
    assert _all_pages(index, _query(("ri-b",), "ERROR"), 3) == []


def test_the_bookmark_stays_small_however_many_ranges_are_merged(stack: LocalStack) -> None:
    index = _index(stack)
    specs = ("ri-a", "ri-b", *(f"ri-none-{n}" for n in range(40)))
    ids, bookmark = index.search(_query(specs), 4, None)
    assert ids == _newest_first(RUNS)[:4]
    assert bookmark is not None and len(bookmark) < 100
