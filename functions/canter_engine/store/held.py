"""Records held in the WfRun head, and the pages they leave it in.

Every transition commits the head, and DynamoDB bills that write per started
kilobyte whether the kilobyte is full or not. A record written as an item of
its own costs a write unit more. So the scheduler keeps the records a
transition produces (ended NodeRuns, Variables, ExternalEvents) in the head,
compressed, for as long as they fit in the kilobyte the head is billed for
anyway. When the next record would cross it, everything held leaves at once:
ended NodeRuns as *pages* (one item per thread holding consecutive NodeRuns,
keyed by the first one's position), other records as items of their own.

A 10-task chain then writes its twelve NodeRuns without a single extra write
unit, and a 10,000-iteration loop writes one page per dozen NodeRuns.

Readers look in the head first, then in the items. A NodeRun at position
``p`` is in the page with the greatest first position at or below ``p``
(:func:`page_holds`). A NodeRun that changes after its page was written (a
failure handled later) is a *rewrite*: the page that holds it is rewritten.

Everything here is pure: which records stay, which pages to write. The
decisions depend only on the committed head and the journal records
applied, so a redelivered batch writes the very same pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from canter_engine.core.state import node_sk

# Attributes of a record item: name -> JSON value (core.records.Record.attributes).
Attributes = dict[str, Any]

NODE_PREFIX = "node#"
PAGE_ATTRIBUTE = "page"
# Raw JSON bytes per page before the next page starts; compressed, a page is
# far smaller, and a single NodeRun is at most 400,000 bytes (scheduler).
PAGE_JSON_BYTES = 256 * 1024


def node_key(sk: str) -> tuple[int, int] | None:
    """(thread, position) of a NodeRun's key, ``node#TTTTTT#PPPPPPPP``."""
    if not sk.startswith(NODE_PREFIX):
        return None
    thread, _, position = sk[len(NODE_PREFIX) :].partition("#")
    return int(thread), int(position)


@dataclass(frozen=True, slots=True)
class Held:
    """What the head holds besides the state: records, and how far each thread is paged."""

    records: dict[str, Attributes] = field(default_factory=dict)
    # thread -> the greatest NodeRun position already written to a page.
    paged: dict[int, int] = field(default_factory=dict)
    # Each record's JSON, encoded once while it is held, not once per event:
    # the scheduler re-encodes the head after every event (a memo, not state).
    texts: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def record_json(self, sk: str) -> str:
        text = self.texts.get(sk)
        if text is None:
            text = self.texts[sk] = _dumps(self.records[sk])
        return text

    def to_json(self) -> str:
        """The JSON of ``{"m": marks, "r": records}``, with keys sorted, as stored in the head."""
        records = ",".join(
            f"{json.dumps(sk)}:{self.record_json(sk)}" for sk in sorted(self.records)
        )
        return f'{{"m":{_dumps({str(t): p for t, p in self.paged.items()})},"r":{{{records}}}}}'

    @staticmethod
    def from_item(item: dict[str, Any] | None) -> Held:
        if not item:
            return Held()
        return Held(dict(item["r"]), {int(t): int(p) for t, p in item["m"].items()})

    def with_records(self, new: dict[str, Attributes]) -> tuple[Held, dict[str, Attributes]]:
        """This plus ``new`` (newer wins), and the NodeRuns among ``new`` already paged."""
        records = dict(self.records)
        texts = {sk: text for sk, text in self.texts.items() if sk not in new}
        rewrites: dict[str, Attributes] = {}
        for sk, attributes in new.items():
            key = node_key(sk)
            if key is not None and key[1] <= self.paged.get(key[0], -1):
                rewrites[sk] = attributes
            else:
                records[sk] = attributes
        return Held(records, self.paged, texts), rewrites

    def released(self) -> tuple[Held, Writes]:
        """Nothing held any more, and the writes that take everything held out."""
        writes = Writes()
        by_thread: dict[int, list[tuple[int, Attributes]]] = {}
        for sk, attributes in self.records.items():
            key = node_key(sk)
            if key is None:
                writes.items[sk] = attributes
            else:
                by_thread.setdefault(key[0], []).append((key[1], attributes))
        paged = dict(self.paged)
        for thread, nodes in by_thread.items():
            nodes.sort(key=lambda node: node[0])
            for page in _chunks(nodes):
                writes.pages[node_sk(thread, page[0][0])] = [attrs["node"] for _, attrs in page]
            paged[thread] = max(paged.get(thread, -1), nodes[-1][0])
        return Held({}, paged), writes


@dataclass(slots=True)
class Writes:
    """Items to write before the head commits: pages, single items, page rewrites."""

    # page sk -> the compact NodeRuns it holds, in position order.
    pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    items: dict[str, Attributes] = field(default_factory=dict)
    # NodeRuns whose page is already stored: the store rewrites that page.
    rewrites: dict[str, Attributes] = field(default_factory=dict)
    # Search index entries (store/record_index.py): sk -> the item as stored, but pk.
    index: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.pages or self.items or self.rewrites or self.index)

    def add(self, other: Writes) -> None:
        self.pages.update(other.pages)
        self.items.update(other.items)
        self.index.update(other.index)
        for sk, attributes in other.rewrites.items():
            self.rewrite(sk, attributes)

    def rewrite(self, sk: str, attributes: Attributes) -> None:
        """Patch a page this batch writes anyway; otherwise leave it to the store."""
        key = node_key(sk)
        assert key is not None
        for page_sk in sorted(self.pages, reverse=True):
            page_key = node_key(page_sk)
            assert page_key is not None
            same_thread_before = page_key[0] == key[0] and page_key[1] <= key[1]
            if same_thread_before and replace_in_page(self.pages[page_sk], attributes["node"]):
                return
        self.rewrites[sk] = attributes


def page_holds(page: list[dict[str, Any]], position: int) -> dict[str, Any] | None:
    """The compact NodeRun at ``position`` in a page, if the page holds it."""
    return next((node for node in page if node["n"]["p"] == position), None)


def replace_in_page(page: list[dict[str, Any]], node: dict[str, Any]) -> bool:
    """Put a newer copy of a NodeRun into the page that holds it; False if none does."""
    position = node["n"]["p"]
    for index, held in enumerate(page):
        if held["n"]["p"] == position:
            page[index] = node
            return True
    return False


def _chunks(nodes: list[tuple[int, Attributes]]) -> list[list[tuple[int, Attributes]]]:
    chunks: list[list[tuple[int, Attributes]]] = [[]]
    size = 0
    for node in nodes:
        node_bytes = len(_dumps(node[1]["node"]))
        if chunks[-1] and size + node_bytes > PAGE_JSON_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(node)
        size += node_bytes
    return chunks


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
