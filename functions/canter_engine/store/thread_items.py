"""Thread items: how a WfRun with more than one thread keeps each ThreadRun apart.

A WfRun with few threads keeps them in its head (store/state.py), as a chain
of tasks has always done. Once it has more, every ThreadRun is an item of its
own, ``thr#NNNNNN``, with the thread's variables, its TaskRuns in flight and
how far its NodeRuns are paged; the head keeps the WfRun-level state. An
event then rewrites the head and the threads it changed, not every thread:
the bytes an event writes do not grow with a fan-out's width.

Everything here is pure: encoding, decoding, and which threads an outcome
must write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from canter_engine.core.cow_map import forked
from canter_engine.core.state import TaskRun, ThreadRun, WfRunState, node_sk
from canter_engine.model import values
from canter_engine.store import blob
from canter_engine.store.held import Writes, node_key

VAR_PREFIX = "var#"

THREAD_PREFIX = "thr#"
# Ended NodeRuns a thread's item keeps until the thread ends (``Spilled``).
HELD_BYTES = 320
# A WfRun with more threads than this keeps them in items of their own. Up
# to here a head with every thread is about 1.5 KB: an event rewrites it for
# two write units at most, less than the three (head, thread item, page) a
# report costs once threads are items. A fan-out of 20 stays as cheap as a
# chain's.
INLINE_THREADS = 32


def _as_is(tree: Any) -> Any:
    return tree


def thread_sk(number: int) -> str:
    return f"{THREAD_PREFIX}{number:06d}"


def spills(state: WfRunState) -> bool:
    """Whether ``state``'s threads are items of their own (they stay so once they are)."""
    return len(state.threads) > INLINE_THREADS


def thread_body(
    state: WfRunState,
    number: int,
    paged: int,
    store: Callable[[Any], Any] = _as_is,
    held: dict[str, Any] | None = None,
) -> bytes:
    """Thread ``number``'s item body: the thread, its variables, its TaskRuns in
    flight, the greatest NodeRun position already paged (-1: none) and the
    ended NodeRuns not paged yet (``held``, by key; see ``Spilled``).

    ``store`` turns the body's tree into what an item may hold (the scheduler
    offloads long strings to the payload bucket, as it does the head's).
    """
    thread = state.threads[number]
    body = {
        "t": thread.to_item(),
        "v": {k: values.encode(v) for k, v in state.variables.get(number, {}).items()},
        "k": [t.to_item() for t in tasks_of(state, thread)],
        "m": paged,
    }
    if held:
        body["h"] = held
    return blob.pack(store(body))


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
    # Ended NodeRuns not paged yet, by key (``Spilled``).
    held: dict[str, Any]


def decode_thread(number: int, body: bytes) -> ThreadItem:
    value = blob.unpack(body)
    return ThreadItem(
        number, value["t"], value["v"], value["k"], int(value["m"]), value.get("h") or {}
    )


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

    A thread's ended NodeRuns stay in its item (which every event that ends
    one rewrites anyway) while they take a few hundred bytes and the thread
    runs; then they leave as one page (keyed, like held pages, by the first
    position), and one that changes again after that as a rewrite of the
    page that holds it. A child of a fan-out thus writes its NodeRuns once,
    when it ends. Variables are items of their own; the head holds only the
    WfRun's other records. Each thread's mark (the greatest position paged)
    lives in its item too. Decided per event, so a batch redelivered
    differently writes the same.
    """

    def __init__(
        self,
        marks: Mapping[int, int] | None,
        held: Mapping[int, dict[str, Any]] | None = None,
    ) -> None:
        # Forks: the committed head's maps of 10,000 threads are shared, not copied.
        self.marks = forked(marks)
        self.held = forked(held)
        self.bodies: dict[int, bytes] = {}
        # What the current event replaced, to take it back (``rollback``).
        self._marks_before: dict[int, int | None] = {}
        self._held_before: dict[int, dict[str, Any] | None] = {}
        self._bodies_before: dict[int, bytes | None] = {}

    def begin(self) -> None:
        """Start an event: what it changes can be taken back until the next one."""
        self._marks_before, self._held_before, self._bodies_before = {}, {}, {}

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
        for number, held in self._held_before.items():
            if held is None:
                self.held.pop(number, None)
            else:
                self.held[number] = held
        self.begin()

    def written(self) -> dict[int, bytes]:
        """The thread bodies the current event wrote."""
        return {n: self.bodies[n] for n in self._bodies_before}

    def mark(self, number: int, position: int) -> None:
        self._marks_before.setdefault(number, self.marks.get(number))
        self.marks[number] = position

    def _hold(self, number: int, held: dict[str, Any]) -> None:
        # Only threads that hold something have an entry: the scheduler keeps
        # ``held`` as the committed head's without filtering 10,000 threads.
        self._held_before.setdefault(number, self.held.get(number))
        if held:
            self.held[number] = held
        else:
            self.held.pop(number, None)

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
            held = dict(self.held.get(number, {}))
            for position, attributes in nodes:
                if position <= mark:
                    writes.rewrite(node_sk(number, position), attributes)
                else:
                    held[node_sk(number, position)] = attributes
            thread = after.threads.get(number)
            if thread is not None and not thread.ended and _fits(held):
                # Kept in the thread's item, which this event rewrites anyway:
                # a child's first NodeRun costs no write of its own.
                self._hold(number, held)
            elif held:
                writes.pages[min(held)] = [held[sk]["node"] for sk in sorted(held)]
                last = node_key(max(held))
                assert last is not None
                self.mark(number, last[1])
                self._hold(number, {})
            dirty.add(number)
        for number in touched:
            if number not in dirty and _changed(before, after, number):
                dirty.add(number)
        for number in dirty:
            if number in after.threads:
                self._body(
                    number,
                    thread_body(
                        after, number, self.marks.get(number, -1), store, self.held.get(number)
                    ),
                )
        return others


def _fits(held: dict[str, Any]) -> bool:
    """Whether ended NodeRuns may stay in their thread's item: a few hundred
    bytes, so that the item with the body it replaces stays one write unit."""
    return len(json.dumps(held, separators=(",", ":"))) <= HELD_BYTES


def _changed(before: WfRunState | None, after: WfRunState, number: int) -> bool:
    if before is None or number not in before.threads:
        return True
    old, new = before.threads[number], after.threads[number]
    return (
        old != new
        or before.variables.get(number) != after.variables.get(number)
        or tasks_of(before, old) != tasks_of(after, new)
    )
