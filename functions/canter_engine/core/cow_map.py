"""A dict whose copies share storage until written: the per-thread maps of a
WfRun with 10,000 threads.

Applying an event must leave the state it was given as it was (the core is
pure: the scheduler keeps the old state for status events, for comparing
what changed and for taking a transition back), yet an event touches a
handful of threads. Copying a plain dict of 10,000 threads per event cost
more than the event's own work (about 80 us per map, most of it touching
every value's reference count). A CowMap keeps its entries in buckets of
consecutive thread numbers; a copy copies the list of buckets, and a write
copies the one bucket it lands in the first time.

Iteration order is deterministic: buckets in the order they were first
filled, entries in a bucket in insertion order. For keys inserted in
increasing order (thread numbers) that is plain ascending order; a state
decoded from its item iterates exactly as the one that was stored.
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    ValuesView,
)
from typing import Any, TypeVar, overload

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

# Entries per bucket: a copy of a 10,000-thread map copies 157 bucket references.
BUCKET_BITS = 6
# A WfRun's maps of up to this many entries stay plain dicts: copying them
# costs less than a CowMap's Python-level reads do on every access (the
# pure core's 3-task chain: 28 us per transition with dicts, 35 with CowMaps).
SMALL = 1 << BUCKET_BITS


def by_number(key: int) -> int:
    return key >> BUCKET_BITS


def by_thread_prefix(key: str) -> int:
    """TaskRun guids are ``<thread>-<position>``: a thread's TaskRuns share its bucket."""
    prefix = key.partition("-")[0]
    return int(prefix) >> BUCKET_BITS if prefix.isdigit() else -1


class CowMap(MutableMapping[K, V]):
    __slots__ = ("_bucket_of", "_buckets", "_len", "_owned")

    def __init__(self, bucket_of: Callable[[K], int], items: Iterable[tuple[K, V]] = ()) -> None:
        self._bucket_of = bucket_of
        self._buckets: dict[int, dict[K, V]] = {}
        # Buckets this map may write in place: the ones it copied or created
        # since its last ``fork``; any other may be shared with another map.
        self._owned: set[int] = set()
        self._len = 0
        for key, value in items:
            self[key] = value

    def fork(self) -> CowMap[K, V]:
        """An equal map; writes to either are not seen by the other."""
        twin: CowMap[K, V] = CowMap.__new__(CowMap)
        twin._bucket_of = self._bucket_of
        twin._buckets = dict(self._buckets)
        twin._owned = set()
        twin._len = self._len
        self._owned = set()
        return twin

    def _writable(self, bucket: int) -> dict[K, V]:
        entries = self._buckets.get(bucket)
        if entries is None:
            entries = self._buckets[bucket] = {}
        elif bucket not in self._owned:
            entries = self._buckets[bucket] = dict(entries)
        self._owned.add(bucket)
        return entries

    def __getitem__(self, key: K) -> V:
        entries = self._buckets.get(self._bucket_of(key))
        if entries is None:
            raise KeyError(key)
        return entries[key]

    @overload
    def get(self, key: K, /) -> V | None: ...
    @overload
    def get(self, key: K, /, default: V | T) -> V | T: ...
    def get(self, key: K, /, default: V | T | None = None) -> V | T | None:
        entries = self._buckets.get(self._bucket_of(key))
        if entries is None:
            return default
        return entries.get(key, default)

    def __contains__(self, key: object) -> bool:
        try:
            entries = self._buckets.get(self._bucket_of(key))  # type: ignore[arg-type]
        except (AttributeError, TypeError):
            return False
        return entries is not None and key in entries

    def __setitem__(self, key: K, value: V) -> None:
        entries = self._writable(self._bucket_of(key))
        if key not in entries:
            self._len += 1
        entries[key] = value

    def __delitem__(self, key: K) -> None:
        bucket = self._bucket_of(key)
        if key not in self._buckets.get(bucket, {}):
            raise KeyError(key)
        entries = self._writable(bucket)
        del entries[key]
        self._len -= 1
        if not entries:
            # Gone, so that a bucket filled again comes last, as it would in
            # a map decoded from this one's items.
            del self._buckets[bucket]
            self._owned.discard(bucket)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[K]:
        for entries in self._buckets.values():
            yield from entries

    def values(self) -> ValuesView[V]:
        return _Values(self)

    def items(self) -> ItemsView[K, V]:
        return _Items(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(
            key in other and other[key] == value for key, value in self.items()
        )

    def __repr__(self) -> str:
        return f"CowMap({dict(self.items())!r})"


class _Values(ValuesView[V]):
    """Iterates the buckets' own dicts (the mixin's view would look up every key)."""

    _mapping: CowMap[Any, V]

    def __iter__(self) -> Iterator[V]:
        for entries in self._mapping._buckets.values():
            yield from entries.values()


class _Items(ItemsView[K, V]):
    _mapping: CowMap[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        for entries in self._mapping._buckets.values():
            yield from entries.items()


def thread_map(items: Mapping[int, V] | Iterable[tuple[int, V]] = ()) -> CowMap[int, V]:
    """A map keyed by thread number."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return CowMap(by_number, pairs)


def forked(items: Mapping[int, V] | None) -> CowMap[int, V]:
    """A map keyed by thread number equal to ``items``: a fork, if it is a CowMap."""
    if isinstance(items, CowMap):
        return items.fork()
    return thread_map(items or {})


def copied_threads(items: MutableMapping[int, V]) -> MutableMapping[int, V]:
    """A copy of a map keyed by thread number that its writes leave ``items`` as it was."""
    return _copied(items, by_number)


def copied_tasks(items: MutableMapping[str, V]) -> MutableMapping[str, V]:
    """A copy of a map keyed by TaskRun guid that its writes leave ``items`` as it was."""
    return _copied(items, by_thread_prefix)


def _copied(items: MutableMapping[K, V], bucket_of: Callable[[K], int]) -> MutableMapping[K, V]:
    if isinstance(items, CowMap):
        return items.fork()
    if len(items) > SMALL:
        # Grown past a bucket: from now on copies share storage.
        return CowMap(bucket_of, items.items())
    return dict(items)
