"""Thread items: how a WfRun with more than one thread keeps each ThreadRun apart.

A WfRun with one thread keeps it in its head (store/state.py), as a chain of
tasks has always done. Once it has more, every ThreadRun is an item of its
own, ``thr#NNNNNN``, with the thread's variables, its TaskRuns in flight and
how far its NodeRuns are paged; the head keeps the WfRun-level state. An
event then rewrites the head and the threads it changed, not every thread:
the bytes an event writes do not grow with a fan-out's width.

Everything here is pure: encoding, decoding, and which threads an outcome
must write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from canter_engine.core.state import TaskRun, ThreadRun, WfRunState, node_sk
from canter_engine.model import values
from canter_engine.store import blob
from canter_engine.store.held import Writes, node_key

VAR_PREFIX = "var#"

THREAD_PREFIX = "thr#"
# A WfRun with more threads than this keeps them in items of their own.
INLINE_THREADS = 1


def _as_is(tree: Any) -> Any:
    return tree


def thread_sk(number: int) -> str:
    return f"{THREAD_PREFIX}{number:06d}"


def spills(state: WfRunState) -> bool:
    """Whether ``state``'s threads are items of their own (they stay so once they are)."""
    return len(state.threads) > INLINE_THREADS


def thread_body(
    state: WfRunState, number: int, paged: int, store: Callable[[Any], Any] = _as_is
) -> bytes:
    """Thread ``number``'s item body: the thread, its variables, its TaskRuns in
    flight and the greatest NodeRun position already paged (-1: none).

    ``store`` turns the body's tree into what an item may hold (the scheduler
    offloads long strings to the payload bucket, as it does the head's).
    """
    thread = state.threads[number]
    return blob.pack(
        store(
            {
                "t": thread.to_item(),
                "v": {k: values.encode(v) for k, v in state.variables.get(number, {}).items()},
                "k": [t.to_item() for t in tasks_of(state, thread)],
                "m": paged,
            }
        )
    )


def tasks_of(state: WfRunState, thread: ThreadRun) -> list[TaskRun]:
    """The TaskRuns in flight of a thread: at most its current node's.

    A thread waits at a TASK node until its TaskRun ends (even halted, it
    waits for the attempt in flight), and an ended TaskRun leaves the state
    with its NodeRun.
    """
    current = thread.current
    if current is None or current.task_guid is None:
        return []
    found = state.task_runs.get(current.task_guid)
    return [found] if found is not None and found.thread == thread.number else []


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """A stored thread item, decoded: its JSON parts for the head state, and its mark."""

    number: int
    thread: dict[str, Any]
    variables: dict[str, Any]
    tasks: list[dict[str, Any]]
    paged: int


def decode_thread(number: int, body: bytes) -> ThreadItem:
    value = blob.unpack(body)
    return ThreadItem(number, value["t"], value["v"], value["k"], int(value["m"]))


def assemble(head_state: dict[str, Any], threads: dict[int, ThreadItem]) -> dict[str, Any]:
    """The whole state's item from a spilled head's and its thread items.

    Thread items beyond the head's greatest thread number belong to a
    transition that did not commit (they are written before the head) and
    are left out.
    """
    greatest = int(head_state.get("gt", -1))
    kept = [threads[n] for n in sorted(threads) if n <= greatest]
    item = dict(head_state)
    item["th"] = [t.thread for t in kept]
    item["va"] = {str(t.number): t.variables for t in kept}
    item["tr"] = [task for t in kept for task in t.tasks]
    return item


class Spilled:
    """What a batch of events writes for a wide WfRun's threads, event by event.

    NodeRuns of a thread leave at once, as a page per event (keyed, like
    held pages, by the first position) or as a rewrite of the page that
    holds one changed again; Variables as items of their own. The head
    holds only the WfRun's other records. Each thread's mark (the greatest
    position paged) lives in its item, which the event rewrites anyway.
    Decided per event, so a batch redelivered differently writes the same.
    """

    def __init__(self, marks: dict[int, int] | None) -> None:
        self.marks = dict(marks or {})
        self.bodies: dict[int, bytes] = {}
        # What the current event replaced, to take it back (``rollback``).
        self._marks_before: dict[int, int | None] = {}
        self._bodies_before: dict[int, bytes | None] = {}

    def begin(self) -> None:
        """Start an event: what it changes can be taken back until the next one."""
        self._marks_before, self._bodies_before = {}, {}

    def rollback(self) -> None:
        """Take back the current event's changes (its record goes to the failure queue)."""
        for number, mark in self._marks_before.items():
            if mark is None:
                self.marks.pop(number, None)
            else:
                self.marks[number] = mark
        for number, body in self._bodies_before.items():
            if body is None:
                self.bodies.pop(number, None)
            else:
                self.bodies[number] = body
        self.begin()

    def written(self) -> dict[int, bytes]:
        """The thread bodies the current event wrote."""
        return {n: self.bodies[n] for n in self._bodies_before}

    def mark(self, number: int, position: int) -> None:
        self._marks_before.setdefault(number, self.marks.get(number))
        self.marks[number] = position

    def _body(self, number: int, body: bytes) -> None:
        self._bodies_before.setdefault(number, self.bodies.get(number))
        self.bodies[number] = body

    def apply(
        self,
        before: WfRunState | None,
        after: WfRunState,
        touched: frozenset[int],
        records: dict[str, dict[str, Any]],
        writes: Writes,
        store: Callable[[Any], Any] = _as_is,
    ) -> dict[str, dict[str, Any]]:
        """Take one event's thread records out into ``writes``; the other records are returned.

        ``before`` is None or a state whose threads the head held: every
        thread is then written. ``store`` prepares a thread body's tree for
        its item (see ``thread_body``).
        """
        dirty = set(after.threads) if before is None or not spills(before) else set()
        by_thread: dict[int, list[tuple[int, dict[str, Any]]]] = {}
        others: dict[str, dict[str, Any]] = {}
        for sk, attributes in records.items():
            key = node_key(sk)
            if key is not None:
                by_thread.setdefault(key[0], []).append((key[1], attributes))
            elif sk.startswith(VAR_PREFIX):
                writes.items[sk] = attributes
            else:
                others[sk] = attributes
        for number, nodes in by_thread.items():
            mark = self.marks.get(number, -1)
            fresh = sorted((n for n in nodes if n[0] > mark), key=lambda n: n[0])
            for position, attributes in nodes:
                if position <= mark:
                    writes.rewrite(node_sk(number, position), attributes)
            if fresh:
                writes.pages[node_sk(number, fresh[0][0])] = [a["node"] for _, a in fresh]
                self.mark(number, fresh[-1][0])
            dirty.add(number)
        for number in touched:
            if number not in dirty and _changed(before, after, number):
                dirty.add(number)
        for number in dirty:
            if number in after.threads:
                self._body(number, thread_body(after, number, self.marks.get(number, -1), store))
        return others


def _changed(before: WfRunState | None, after: WfRunState, number: int) -> bool:
    if before is None or number not in before.threads:
        return True
    old, new = before.threads[number], after.threads[number]
    return (
        old != new
        or before.variables.get(number) != after.variables.get(number)
        or tasks_of(before, old) != tasks_of(after, new)
    )
