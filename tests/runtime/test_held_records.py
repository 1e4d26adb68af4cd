"""Records held in the head until its billed kilobyte is full, then paged
(store/held.py): what a user reads is the same wherever a record sits."""

from __future__ import annotations

import pytest
from canter import Client, TaskException, WorkflowThread
from canter_engine.core.state import node_sk
from canter_engine.handlers import runtime
from canter_engine.store.held import PAGE_ATTRIBUTE, Held, Writes
from canter_engine.store.item_size import item_size
from canter_engine.store.state import HEAD_SK

from .support import Names, int_input, register, state_items, worker

pytestmark = pytest.mark.e2e


def positions(node_runs: list[dict]) -> list[tuple[int, int]]:
    return [(n["id"].get("threadRunNumber", 0), n["id"].get("position", 0)) for n in node_runs]


def test_a_ten_task_chain_writes_nothing_but_its_head(client: Client, names: Names) -> None:
    task = names("step")

    def body(t: WorkflowThread) -> None:
        for n in range(10):
            t.execute(task, n)

    register(client, names("wf"), body, {task: int_input()})
    with worker(client, {task: lambda n: n + 1}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    stored = state_items(wf_run_id)
    assert list(stored) == [HEAD_SK]
    assert item_size(stored[HEAD_SK]) <= 1024
    node_runs = client.list_node_runs(wf_run_id)
    assert positions(node_runs) == [(0, p) for p in range(12)]
    assert [n["status"] for n in node_runs] == ["COMPLETED"] * 12
    assert client.get_task_run(wf_run_id, "0-5")["attempts"][0]["output"] == {"int": "5"}
    assert client.get_node_run(wf_run_id, 0, 11)["nodeName"] == "11-exit-EXIT"


def test_a_long_loop_lists_every_node_run_once_in_order(client: Client, names: Names) -> None:
    def body(t: WorkflowThread) -> None:
        i = t.declare_int("i", 0)
        t.do_while(i.is_less_than(150), lambda b: b.mutate(i, "ADD", 1))

    register(client, names("wf"), body)
    wf_run_id = client.run_wf(names("wf"))["id"]["id"]
    assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    stored = state_items(wf_run_id)
    pages = [sk for sk, item in stored.items() if PAGE_ATTRIBUTE in item]
    assert pages, "150 iterations do not fit in one head"
    assert item_size(stored[HEAD_SK]) <= 1024
    listed: list[dict] = []
    request: dict = {"wfRunId": {"id": wf_run_id}, "limit": 7}
    while True:
        page = client.call("ListNodeRuns", request)
        assert len(page["results"]) <= 7
        listed.extend(page["results"])
        if "bookmark" not in page:
            break
        request["bookmark"] = page["bookmark"]
    count = len(listed)
    assert positions(listed) == [(0, p) for p in range(count)]
    assert count > 300
    for position in (0, 1, count // 2, count - 1):
        assert client.get_node_run(wf_run_id, 0, position) == listed[position]
    assert client.variables(wf_run_id)["i"] == 150


def test_a_failure_handled_after_its_node_run_left_the_head(client: Client, names: Names) -> None:
    task = names("refuse")

    def handler(h: WorkflowThread) -> None:
        k = h.declare_int("k", 0)
        h.do_while(k.is_less_than(100), lambda b: b.mutate(k, "ADD", 1))
        h.sleep_seconds(1)

    def body(t: WorkflowThread) -> None:
        t.handle_exception(t.execute(task, 1), handler)

    register(client, names("wf"), body, {task: int_input()})

    def refuse(n: int) -> int:
        raise TaskException("out-of-stock", "none left")

    with worker(client, {task: refuse}):
        wf_run_id = client.run_wf(names("wf"))["id"]["id"]
        assert client.wait_for_wf_run(wf_run_id, timeout=30)["status"] == "COMPLETED"
    head = runtime.current().state.load_head(wf_run_id)
    assert head is not None
    # The handler's hundred iterations pushed the failed NodeRun out into a
    # page; the handler ending then changed it there. (With two threads, each
    # is an item of its own, which keeps how far its NodeRuns are paged.)
    marks = head.held.paged if head.marks is None else head.marks
    assert node_sk(0, 1) not in head.held.records and marks[0] >= 1
    failed = client.get_node_run(wf_run_id, 0, 1)
    assert failed["status"] == "EXCEPTION", "a handled NodeRun keeps its failure status"
    assert failed["failures"][0]["failureName"] == "out-of-stock"
    assert failed["failures"][0]["wasProperlyHandled"] is True
    listed = client.list_node_runs(wf_run_id, 0)
    assert listed[1] == failed


def test_a_node_run_is_found_past_a_page_a_crashed_attempt_left(client: Client) -> None:
    store = runtime.current().state
    wf_run_id = "held-orphan-page"

    def node(position: int, status: str = "COMPLETED") -> dict:
        return {
            "n": {
                "a": 1,
                "k": "nop",
                "n": f"{position}-nop-NOP",
                "p": position,
                "s": status,
                "t": 0,
            },
            "sp": ["orphan", 0, 0],
            "ts": "entrypoint",
        }

    # Pages follow from the committed head and the journal, so a retry writes
    # the pages its crashed attempt wrote. Should one differ (say the code
    # changed in between), a page left behind must not hide a NodeRun.
    store.write(
        wf_run_id,
        Writes(
            pages={
                node_sk(0, 0): [node(p) for p in range(6)],
                node_sk(0, 3): [node(3), node(4)],
            }
        ),
    )
    for position in range(6):
        found = store.record(wf_run_id, node_sk(0, position), None)
        assert found is not None and found["id"].get("position", 0) == position
    assert store.record(wf_run_id, node_sk(0, 6), None) is None
    listed, bookmark = store.list_records(wf_run_id, "node#", None, 100, None)
    assert [n["id"].get("position", 0) for n in listed] == list(range(6)) and bookmark is None
    store.write(wf_run_id, Writes(rewrites={node_sk(0, 5): {"node": node(5, "ERROR")}}))
    assert store.record(wf_run_id, node_sk(0, 5), None)["status"] == "ERROR"


def test_held_records_leave_as_one_page_per_thread_and_items() -> None:
    nodes = {node_sk(t, p): {"node": {"n": {"p": p}}} for t in (0, 2) for p in (4, 5, 6)}
    held = Held({**nodes, "var#000000#x": {"json": {"value": 1}}}, {0: 3})
    released, writes = held.released()
    assert released == Held({}, {0: 6, 2: 6})
    assert sorted(writes.pages) == [node_sk(0, 4), node_sk(2, 4)]
    assert [n["n"]["p"] for n in writes.pages[node_sk(0, 4)]] == [4, 5, 6]
    assert list(writes.items) == ["var#000000#x"]


def test_a_change_to_a_paged_node_run_is_a_rewrite() -> None:
    held, rewrites = Held({}, {0: 6}).with_records(
        {node_sk(0, 5): {"node": {"n": {"p": 5, "s": "COMPLETED"}}}, node_sk(0, 7): {"node": {}}}
    )
    assert list(held.records) == [node_sk(0, 7)] and list(rewrites) == [node_sk(0, 5)]
    writes = Writes(pages={node_sk(0, 4): [{"n": {"p": 4}}, {"n": {"p": 5, "s": "ERROR"}}]})
    writes.rewrite(node_sk(0, 5), rewrites[node_sk(0, 5)])
    assert writes.pages[node_sk(0, 4)][1]["n"]["s"] == "COMPLETED" and not writes.rewrites
    writes.rewrite(node_sk(1, 0), {"node": {"n": {"p": 0}}})
    assert list(writes.rewrites) == [node_sk(1, 0)]
