"""cProfile across every thread of the bench process, summarised by where CPU goes.

cProfile profiles one thread; the local stack runs on many (moto's request
threads, the pumps, the gateway, the workers). ``threading.setprofile``
runs a hook first thing in every thread started afterwards, and the hook
gives that thread a profiler of its own, timed by that thread's CPU clock:
time spent blocked (sockets, locks, sleeps) costs nothing, so the figures
are CPU burnt, not waiting. The profiles are merged at the end.

Buckets are by the file a function lives in, on self time, so they add up
to the whole; a builtin or stdlib helper is charged to its caller's bucket.
The scheduler's thread (the stream pump, which invokes it) is also
summarised on its own.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

WAITING = "waiting (sockets, locks, sleep)"
OTHER = "other (stdlib, threads)"
MOTO = "moto (the fake AWS)"
OWN_CODE = ("/canter_engine/", "/sdk/canter/")  # what "top functions" lists

# (substring of the file or builtin's name, bucket), first match wins.
_BUCKETS = (
    ("method 'acquire' of '_thread.lock", WAITING),
    ("method 'acquire' of '_thread.RLock", WAITING),
    ("built-in method time.sleep", WAITING),
    ("method 'poll' of 'select.poll", WAITING),
    ("method 'select' of", WAITING),
    ("method 'recv", WAITING),
    ("method 'accept'", WAITING),
    ("method 'get' of '_queue.SimpleQueue", WAITING),
    ("method 'poll' of 'select.epoll", WAITING),
    ("method 'connect'", WAITING),
    ("selectors.py", WAITING),
    ("/moto/", MOTO),
    ("/werkzeug/", MOTO),
    ("/flask", MOTO),
    ("/canter_engine/core/", "engine core"),
    ("/canter_engine/model/", "engine model (pydantic specs, values)"),
    ("/canter_engine/store/", "store (building and parsing items)"),
    ("/canter_engine/handlers/", "handlers"),
    ("/aws_lambda_powertools/", "Powertools (handler decorators)"),
    ("/pydantic", "pydantic"),
    ("/botocore/", "botocore (serialize, sign, parse)"),
    ("/boto3/", "botocore (serialize, sign, parse)"),
    ("/urllib3/", "HTTP client and server"),
    ("http/client.py", "HTTP client and server"),
    ("http/server.py", "HTTP client and server"),
    ("socketserver.py", "HTTP client and server"),
    ("urllib/request.py", "HTTP client and server"),
    ("/json/", "JSON (de)serialization"),
    ("built-in method _json", "JSON (de)serialization"),
    ("method 'decode' of 'bytes", "JSON (de)serialization"),
    ("/canter/worker/", "SDK worker and client"),
    ("/canter/client.py", "SDK worker and client"),
    ("/canter/local/", "local stack pumps and gateway"),
    ("/xml/", "XML parsing (botocore, moto)"),
    ("built-in method pyexpat", "XML parsing (botocore, moto)"),
    ("/email/", "HTTP client and server"),
    ("/ssl.py", "HTTP client and server"),
    ("/logging/", "logging"),
    ("/hashlib", "hashing and signing"),
    ("built-in method _hashlib", "hashing and signing"),
    ("built-in method _hmac", "hashing and signing"),
)


SCHEDULER_THREAD = "canter-stream-pump"


@dataclass
class Profile:
    seconds_by_bucket: dict[str, float] = field(default_factory=dict)
    top_cumulative: list[tuple[str, float]] = field(default_factory=list)
    scheduler_by_bucket: dict[str, float] = field(default_factory=dict)


@contextmanager
def every_thread() -> Iterator[Profile]:
    """Profile the threads started inside the block (and this one); fill the result at exit."""
    profiles: list[tuple[str, cProfile.Profile]] = []
    lock = threading.Lock()

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        sys.setprofile(None)
        profiler = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append((threading.current_thread().name, profiler))
        profiler.enable()

    result = Profile()
    main = cProfile.Profile(time.thread_time)
    profiles.append((threading.current_thread().name, main))
    threading.setprofile(hook)
    main.enable()
    try:
        yield result
    finally:
        main.disable()
        threading.setprofile(None)
        with lock:
            everything = _merged([profiler for _, profiler in profiles])
            scheduler = _merged([p for name, p in profiles if name == SCHEDULER_THREAD])
        result.seconds_by_bucket, result.top_cumulative = _summarise(everything)
        result.scheduler_by_bucket, _ = _summarise(scheduler)


def _merged(profilers: list[cProfile.Profile]) -> pstats.Stats:
    stats = pstats.Stats(profilers[0])
    for profiler in profilers[1:]:
        stats.add(profiler)
    return stats


def bucket_of(file: str, name: str) -> str:
    label = name if file == "~" else file
    for needle, bucket in _BUCKETS:
        if needle in label:
            return bucket
    return OTHER


def _summarise(stats: pstats.Stats) -> tuple[dict[str, float], list[tuple[str, float]]]:
    by_bucket: dict[str, float] = defaultdict(float)
    cumulative: list[tuple[str, float]] = []
    raw: dict[Any, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (file, line, name), (_, _, self_time, cum_time, callers) in raw.items():
        bucket = bucket_of(file, name)
        if bucket == OTHER and callers:
            # A builtin or a stdlib helper (a socket write, a listdir) is charged to its caller.
            for (caller_file, _, caller_name), (_, _, from_caller, _) in callers.items():
                by_bucket[bucket_of(caller_file, caller_name)] += from_caller
        else:
            by_bucket[bucket] += self_time
        if any(part in file for part in OWN_CODE):
            cumulative.append((f"{_short(file)}:{line} {name}", cum_time))
    buckets = dict(sorted(by_bucket.items(), key=lambda kv: -kv[1]))
    return buckets, sorted(cumulative, key=lambda kv: -kv[1])[:15]


def _short(file: str) -> str:
    for marker in ("site-packages/", "/functions/", "/sdk/", "/lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file
