"""The local stack's state on disk: moto's backends and the stream position, together.

One file, ``state.bin``: a JSON header line (format, the moto version that
wrote it) and then a pickle of moto's DynamoDB, DynamoDB Streams, SQS and S3
(the payload bucket) backends with the stream pump's delivered position. Both are taken while no
request runs in moto (:meth:`MotoServer.exclusive`), so the journal, the
WfRun state, the queues and the position the scheduler has reached always
belong to one moment; a scheduler batch that was running then is delivered
again after a restart, which the scheduler applies exactly once (as after a
Lambda retry). The file is replaced atomically (write, fsync, rename), so a
crash mid-write leaves the previous snapshot.

Pickles are tied to the classes that wrote them: state from another format or
another moto version is refused with what to do, never misread.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FILE = "state.bin"
FORMAT = 1
BACKENDS = ("dynamodb", "dynamodbstreams", "sqs", "scheduler", "s3")

_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())


class StateRefused(Exception):
    """The state directory holds state this version cannot read."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    backends: dict[str, Any]
    stream_positions: dict[str, str]
    # Written by a stack that stopped (not one of its periodic snapshots).
    final: bool = False


def moto_version() -> str:
    import moto

    return str(moto.__version__)


def capture(stream_positions: dict[str, str], *, final: bool = False) -> bytes:
    """The current backends as bytes; call with moto's requests held back."""
    from moto.backends import get_backend

    buffer = io.BytesIO()
    header = {"format": FORMAT, "moto": moto_version()}
    buffer.write(json.dumps(header).encode() + b"\n")
    backends = {name: get_backend(name) for name in BACKENDS}  # type: ignore[call-overload]
    _Pickler(buffer).dump(
        {"backends": backends, "streamPositions": stream_positions, "final": final}
    )
    return buffer.getvalue()


def trim_delivered(stream_positions: dict[str, str]) -> None:
    """Drop stream records the scheduler has had; call with moto's requests held back.

    moto keeps every stream record for ever (DynamoDB keeps them 24 hours),
    so a long-lived local stack would save, and hold, its whole history
    twice. Sequence numbers go on from where they were.
    """
    from moto.backends import get_backend

    for regions in list(get_backend("dynamodb").values()):
        for backend in list(regions.values()):
            for table in list(backend.tables.values()):
                shard = getattr(table, "stream_shard", None)
                delivered = stream_positions.get(str(getattr(shard, "id", "")))
                if shard is None or delivered is None:
                    continue
                done = min(int(delivered) - shard.starting_sequence_number + 1, len(shard.items))
                if done > 0:
                    del shard.items[:done]
                    shard.starting_sequence_number += done


def write(directory: Path, data: bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / STATE_FILE
    temporary = target.with_suffix(".tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)


def read(directory: Path) -> Snapshot | None:
    """The saved state, ``None`` if there is none; :class:`StateRefused` if unreadable."""
    path = directory / STATE_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    line, _, payload = raw.partition(b"\n")
    try:
        header = json.loads(line)
        written = (int(header["format"]), str(header["moto"]))
    except (ValueError, KeyError, TypeError):
        raise StateRefused(_refusal(path, "was not written by `canter dev`")) from None
    if written != (FORMAT, moto_version()):
        raise StateRefused(
            _refusal(
                path,
                f"was written in state format {written[0]} with moto {written[1]}; this "
                f"version reads format {FORMAT} with moto {moto_version()}",
            )
        )
    data = pickle.loads(payload)
    return Snapshot(dict(data["backends"]), dict(data["streamPositions"]), bool(data["final"]))


def restore(snapshot: Snapshot) -> None:
    """Put the saved backends in place of moto's live ones (before anything uses them)."""
    from moto.backends import get_backend

    for name in BACKENDS:
        live = get_backend(name)  # type: ignore[call-overload]
        live.clear()
        # A snapshot from before ScheduleWf has no EventBridge Scheduler backend, and
        # one from before the payload bucket existed has no S3: they start empty.
        live.update(snapshot.backends.get(name, {}))


def release_taken_messages() -> int:
    """Make every message taken but not deleted visible again; returns how many.

    After a crash, the snapshot holds messages the dead process's timer pump
    had taken, and task messages whose report the crash may have lost with
    the journal's last second: waiting out their visibility timeouts (30 to
    60 s) would stall their WfRuns for nothing. A worker still running one
    of them reports it as usual; the second run's report is a duplicate the
    engine ignores (at-least-once, as on AWS).
    """
    from moto.backends import get_backend

    released = 0
    for regions in list(get_backend("sqs").values()):
        for backend in list(regions.values()):
            for queue in list(backend.queues.values()):
                for message in list(queue._messages):
                    if message.approximate_receive_count and message.visible_at:
                        message.visible_at = 0.0
                        released += 1
    return released


def _refusal(path: Path, why: str) -> str:
    return (
        f"the local state in {path} {why}. Start with another --state-dir, or --in-memory, "
        f"or delete {path.parent} to start afresh (its WfSpecs, TaskDefs and WfRuns are lost)"
    )


class _Pickler(pickle.Pickler):
    """Locks and conditions are saved as new, unheld ones: no thread runs in a snapshot."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, threading.Condition):
            return threading.Condition, ()
        if isinstance(obj, _LOCK):
            return threading.Lock, ()
        if isinstance(obj, _RLOCK):
            return threading.RLock, ()
        return NotImplemented
