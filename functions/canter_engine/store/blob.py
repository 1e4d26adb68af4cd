"""Compressed JSON: how the WfRun head and NodeRun pages are stored.

DynamoDB bills every write per started kilobyte of the whole item, and the
head is written on every transition. Deflated with a preset dictionary of
the state's own keys, a head that is 480 bytes of JSON takes about 170, and
each ended NodeRun held beside it about 45 more; that is what lets a head
carry a dozen ended NodeRuns inside the kilobyte it is billed anyway
(:mod:`canter_engine.store.held`).

The first byte names the format, so that the dictionary can change without
making stored items unreadable: a new dictionary gets a new format byte, and
the old one stays readable.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

# Substrings the compact state and NodeRun items repeat (see core/state.py's
# to_item); deflate refers back into them, most useful last. Append-only
# under a format byte: changing it needs a new format.
_DICTIONARY_1 = (
    b'"TASK_FAILED","TASK_TIMEOUT","ERROR","EXCEPTION","HALTED","HALTING",'
    b'"external_event","exit","entrypoint","nop","sleep","wait_for_threads",'
    b'"start_thread","json_obj","json_arr","bool","double","str","int",'
    b'{"b":"gt":0,"id":"s":"RUNNING","sn":"th":[{"b":"c":{"a":"s":"TASK_SCHEDULED",'
    b'"n":0,"np":"v":1,"va":{"0":{}}}"node":{"n":{"a":"tk":{"a":[{"b":"e":'
    b'"s":"TASK_SUCCESS","st":"d":"g":"i":[["q":"sa":"ts":60}},'
    b'"s":"COMPLETED","t":0,"tg":"0-"k":"task","n":"-TASK","o":{"int":""p":'
    b'"sp":["ts":"entrypoint"}}'
)
_FORMAT_1 = 1
_WBITS = -15  # raw deflate: the format byte replaces zlib's header and checksum
# zlib's default (8) allocates past glibc's mmap threshold, and every
# compressor then costs about 40 us of fresh pages; 7 costs 5 us and
# compresses these small items to the same bytes.
_MEM_LEVEL = 7


def pack(value: Any) -> bytes:
    """JSON text of ``value``, deflated, behind a format byte."""
    return pack_json(json.dumps(value, separators=(",", ":"), sort_keys=True))


def pack_json(text: str) -> bytes:
    """JSON text already encoded, deflated, behind a format byte."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zdict=_DICTIONARY_1)
    return bytes([_FORMAT_1]) + compressor.compress(text.encode()) + compressor.flush()


def unpack(data: bytes) -> Any:
    if not data or data[0] != _FORMAT_1:
        raise ValueError(f"not a stored blob (format byte {data[:1]!r})")
    decompressor = zlib.decompressobj(_WBITS, zdict=_DICTIONARY_1)
    return json.loads(decompressor.decompress(data[1:]) + decompressor.flush())
