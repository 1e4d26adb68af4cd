"""The heads this scheduler process committed last, so the next event of the
same WfRun need not read its head back.

A WfRun's journal records reach one shard and so, normally, this same
process: the head it committed is still the current one, and reading it
again would cost a strongly consistent read per transition. It can be stale
when a shard was handed to another process in between. The scheduler only
acts on a cached head in ways the commit's version condition guards
(handlers/transitions.py, ``Outcome.routine``), and drops the entry on any
failure.

Entries hold the state decoded: the core never changes a state it is given
(core/engine.py, ``apply``), so the next event starts from the very object
the last one produced, without decoding the head (and re-encoding what it
holds) again. Larger heads are kept as stored, compressed, to bound memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from canter_engine.handlers.transitions import Outcome
from canter_engine.store.state import Head, decode_head

MAX_ENTRIES = 1024
# A head up to this size (compressed) is kept decoded; most are about 1 KB.
MAX_DECODED_BYTES = 4 * 1024
# A head this large (a wide fan-out's, before its threads leave it) is read back instead of kept.
MAX_BODY_BYTES = 32 * 1024
# Wide WfRuns kept decoded: each can hold thousands of threads.
MAX_WIDE_ENTRIES = 8


@dataclass(frozen=True, slots=True)
class _Entry:
    body: bytes
    version: int
    applied_seq: int
    incarnation: str


class HeadCache:
    """Heads decoded (a wide WfRun's, store/thread_items.py, always: reading
    back its threads would cost a read per thread), or as stored."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, _Entry | Head] = OrderedDict()
        self._max_entries = max_entries

    def get(self, wf_run_id: str) -> Head | None:
        entry = self._entries.get(wf_run_id)
        if entry is None:
            return None
        self._entries.move_to_end(wf_run_id)
        if isinstance(entry, Head):
            return entry
        return decode_head(entry.body, entry.version, entry.applied_seq, entry.incarnation)

    def remember(self, wf_run_id: str, outcome: Outcome, version: int) -> None:
        """The head ``outcome`` committed at ``version``."""
        update, state = outcome.update, outcome.state
        assert update is not None and state is not None
        if outcome.marks is not None:
            head = Head(
                {},
                outcome.held,
                version,
                update.applied_seq,
                outcome.incarnation,
                outcome.marks,
                state,
                outcome.bodies,
                outcome.thread_held,
            )
            self.put(wf_run_id, head)
            wide = [k for k, v in self._entries.items() if isinstance(v, Head) and v.marks]
            for old in wide[: max(0, len(wide) - MAX_WIDE_ENTRIES)]:
                del self._entries[old]
        elif len(update.body) <= MAX_DECODED_BYTES:
            self.put(
                wf_run_id,
                Head(
                    {},
                    outcome.held,
                    version,
                    update.applied_seq,
                    outcome.incarnation,
                    decoded=state,
                ),
            )
        elif len(update.body) <= MAX_BODY_BYTES:
            self._keep(
                wf_run_id, _Entry(update.body, version, update.applied_seq, update.incarnation)
            )
        else:
            self.drop(wf_run_id)

    def put(self, wf_run_id: str, head: Head) -> None:
        """Keep ``head`` (one as loaded, say) as this WfRun's."""
        self._keep(wf_run_id, head)

    def _keep(self, wf_run_id: str, entry: _Entry | Head) -> None:
        self._entries[wf_run_id] = entry
        self._entries.move_to_end(wf_run_id)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def drop(self, wf_run_id: str) -> None:
        self._entries.pop(wf_run_id, None)

    def clear(self) -> None:
        self._entries.clear()


class SentMarks:
    """For each WfRun, the stream position up to which this process sent every effect.

    A stream batch in which one WfRun fails is delivered again from that
    WfRun's first record, with the records of the WfRuns after it. Their
    records are already applied; whether their effects went out only the
    process that sent them knows. A WfRun marked here at or past its
    committed position is not sent again; without a mark (another process,
    or a crash that lost this one's memory) the effects are re-derived and
    sent again, as at-least-once requires.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES * 8) -> None:
        self._marks: OrderedDict[str, int] = OrderedDict()
        self._max_entries = max_entries

    def put(self, wf_run_id: str, applied_seq: int) -> None:
        self._marks[wf_run_id] = applied_seq
        self._marks.move_to_end(wf_run_id)
        while len(self._marks) > self._max_entries:
            self._marks.popitem(last=False)

    def covers(self, wf_run_id: str, applied_seq: int) -> bool:
        """Every effect committed up to ``applied_seq`` was sent by this process."""
        return self._marks.get(wf_run_id, -2) >= applied_seq

    def drop(self, wf_run_id: str) -> None:
        self._marks.pop(wf_run_id, None)

    def clear(self) -> None:
        self._marks.clear()
