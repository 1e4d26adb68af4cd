"""Large values in S3, a small reference in their place everywhere else.

DynamoDB items stop at 400 KB and SQS messages at 256 KiB, while a value may
take up to ``values.MAX_VALUE_BYTES`` (5 MiB: Lambda's 6 MB request and
response limit, less room for the envelope). Wherever a JSON tree is stored (a journal
record, the WfRun head, its NodeRuns, TaskRuns, Variables and events) any
string longer than :data:`INLINE_BYTES` is put in the payload bucket and
replaced by ``{"$canterRef": {"bucket", "key", "size", "sha256"}}``; every
reader puts the string back before the tree is used. A value is a string in
every stored tree (``values.encode``: a JSON_OBJ is its JSON text), so the
core, the API and the records never see a reference.

Keys are ``runs/<wfRunId>/<incarnation>/<sha256>``: derived from the run and
the content, so a retried write puts the same bytes under the same key (no
orphans), a value passed through three tasks and held by its variable, the
tasks' inputs and outputs is stored once, and a key a committed item names is
never overwritten with other bytes. Everything of a run is under its prefix,
so DeleteWfRun removes it with one listing; a record for whichever run holds
the id (a child's end told to its parent) uses ``-`` for the incarnation.
Since a deleted run's keys are never used again, a key this process put
before is known to be there; ``-`` keys are put every time.

A reference is trusted only if the system made it: a reader checks that its
bucket is this deployment's, that its key is under the WfRun's prefix and
that the bytes it finds have its size and sha256, and the API refuses any
request that holds the marker (:func:`holds_reference`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

REF = "$canterRef"
# Strings longer than this (UTF-8 bytes) leave the item for the bucket. S3
# bills a PUT like four DynamoDB write units and a GET like a twelfth of a
# read unit, and the head is rewritten on every transition: a value of a few
# kilobytes already costs less in the bucket.
INLINE_BYTES = 16 * 1024
# The largest value: Lambda's 6 MB request/response limit less the envelope
# (API Gateway's event, the rest of the message, JSON escaping).
MAX_VALUE_BYTES = 5 * 1024 * 1024
# An item whose strings take more than this together (many values each under
# INLINE_BYTES: a RunWf with forty 15 KB variables) would pass DynamoDB's
# 400 KB item limit: then every string over SPILL_BYTES leaves it too.
ITEM_BUDGET_BYTES = 128 * 1024
SPILL_BYTES = 1024
# Values kept in memory after a PUT or GET, so a warm scheduler that reads a
# head on every transition fetches each value once.
CACHE_BYTES = 64 * 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadReference(ValueError):
    """A reference the system did not make, or whose bytes are not what it names."""


@dataclass(frozen=True, slots=True)
class Ref:
    bucket: str
    key: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            REF: {"bucket": self.bucket, "key": self.key, "size": self.size, "sha256": self.sha256}
        }


ANY_INCARNATION = "-"


def run_prefix(wf_run_id: str, incarnation: str | None = None) -> str:
    """The prefix of a WfRun id's objects, or of one run's (``incarnation``)."""
    if incarnation is None:
        return f"runs/{wf_run_id}/"
    return f"runs/{wf_run_id}/{incarnation or ANY_INCARNATION}/"


def ref_of(bucket: str, wf_run_id: str, incarnation: str | None, data: bytes) -> Ref:
    """The reference ``data`` gets in a run: a pure function of all three."""
    digest = hashlib.sha256(data).hexdigest()
    prefix = run_prefix(wf_run_id, incarnation or ANY_INCARNATION)
    return Ref(bucket, f"{prefix}{digest}", len(data), digest)


def parse_ref(node: Any) -> Ref | None:
    """The reference ``node`` is, if it is one (``None`` for any other JSON)."""
    if not (isinstance(node, dict) and len(node) == 1 and REF in node):
        return None
    body = node[REF]
    if not isinstance(body, dict):
        raise BadReference(f"{REF} must be an object")
    bucket, key, size, digest = (body.get(k) for k in ("bucket", "key", "size", "sha256"))
    if not (
        isinstance(bucket, str)
        and isinstance(key, str)
        and isinstance(size, int)
        and isinstance(digest, str)
        and _SHA256.match(digest)
        and key.startswith("runs/")
        and key.endswith("/" + digest)
    ):
        raise BadReference(f"{REF} is not a reference this deployment made")
    return Ref(bucket, key, size, digest)


def holds_reference(tree: Any) -> bool:
    """Whether a request tree holds the marker anywhere as an object key.

    Inside a JSON_OBJ value the marker is text, not a key, and stays the
    user's data; as a key it could only be an attempt to name stored bytes.
    """
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if REF in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def offload(
    tree: Any,
    bucket: str,
    wf_run_id: str,
    incarnation: str | None,
    uploads: dict[str, bytes],
    inline_bytes: int = INLINE_BYTES,
) -> Any:
    """``tree`` with every string over ``inline_bytes`` replaced by its reference;
    the bytes to put go into ``uploads`` by key. Pure: the same tree gives the
    same result."""
    if isinstance(tree, str):
        if len(tree) <= inline_bytes // 4:
            return tree
        data = tree.encode()
        if len(data) <= inline_bytes:
            return tree
        ref = ref_of(bucket, wf_run_id, incarnation, data)
        uploads[ref.key] = data
        return ref.to_json()
    if isinstance(tree, dict):
        return {
            k: offload(v, bucket, wf_run_id, incarnation, uploads, inline_bytes)
            for k, v in tree.items()
        }
    if isinstance(tree, list):
        return [offload(v, bucket, wf_run_id, incarnation, uploads, inline_bytes) for v in tree]
    return tree


def stored(
    tree: Any, bucket: str, wf_run_id: str, incarnation: str | None, uploads: dict[str, bytes]
) -> Any:
    """``tree`` as an item may hold it: itself (no copy) when it has no long
    string and its strings fit the item budget, else with them offloaded.

    Most trees (a WfRun head, a NodeRun) are a few hundred bytes of JSON:
    encoding them, in C, tells that at once, where walking them in Python
    would cost more than the encoding.
    """
    if len(json.dumps(tree, separators=(",", ":"))) <= INLINE_BYTES:
        return tree
    longest, total = _string_sizes(tree)
    if total > ITEM_BUDGET_BYTES:
        return offload(tree, bucket, wf_run_id, incarnation, uploads, SPILL_BYTES)
    if longest > INLINE_BYTES // 4:
        return offload(tree, bucket, wf_run_id, incarnation, uploads)
    return tree


def _string_sizes(tree: Any) -> tuple[int, int]:
    """The longest string's length and all strings' lengths together (characters)."""
    longest = total = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            total += len(node)
            longest = max(longest, len(node))
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return longest, total


def _has_refs(tree: Any) -> bool:
    """Whether ``tree`` holds a reference: its JSON, encoded in C, names the marker."""
    return f'"{REF}"' in json.dumps(tree, separators=(",", ":"))


class PayloadStore:
    """The payload bucket, with the values this process put or got kept in memory."""

    def __init__(self, client: Any, bucket: str, cache_bytes: int = CACHE_BYTES) -> None:
        self._client = client
        self.bucket = bucket
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cached_bytes = 0
        self._cache_limit = cache_bytes
        self._lock = threading.Lock()
        # The last tree resolve() returned: the scheduler resolves the head a
        # load already resolved, and must not pay for it twice.
        self._clean: Any = None

    def offload(self, tree: Any, wf_run_id: str, incarnation: str | None) -> Any:
        """``tree`` with long strings put in the bucket now (before it is journalled)."""
        uploads: dict[str, bytes] = {}
        result = stored(tree, self.bucket, wf_run_id, incarnation, uploads)
        self.upload(uploads)
        return result

    def upload(self, uploads: dict[str, bytes]) -> None:
        """Put each object not known to be there; idempotent, as keys name their content."""
        for key, data in uploads.items():
            if f"/{ANY_INCARNATION}/" not in key and self._cached(key) is not None:
                continue
            self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
            self._remember(key, data)

    def message_body(self, text: str, wf_run_id: str, incarnation: str, limit: int) -> str:
        """An SQS message body: ``text`` if it fits ``limit``, else a reference to it.

        The reference is the whole body's (a ScheduledTask stays LittleHorse's
        message, in the bucket): the worker reads it back before anything else.
        """
        data = text.encode()
        if len(data) <= limit:
            return text
        ref = ref_of(self.bucket, wf_run_id, incarnation, data)
        self.upload({ref.key: data})
        return json.dumps(ref.to_json(), separators=(",", ":"))

    def resolve(self, tree: Any, wf_run_id: str | None) -> Any:
        """``tree`` with every reference replaced by its string.

        ``wf_run_id`` None (an answer that may span WfRuns) accepts a key
        under any WfRun; the size and sha256 are checked either way.
        """
        if tree is self._clean:
            return tree
        resolved = self._resolve(tree, wf_run_id) if _has_refs(tree) else tree
        self._clean = resolved
        return resolved

    def _resolve(self, tree: Any, wf_run_id: str | None) -> Any:
        if isinstance(tree, dict):
            ref = parse_ref(tree)
            if ref is not None:
                return self.fetch(ref, wf_run_id).decode()
            return {k: self._resolve(v, wf_run_id) for k, v in tree.items()}
        if isinstance(tree, list):
            return [self._resolve(v, wf_run_id) for v in tree]
        return tree

    def fetch(self, ref: Ref, wf_run_id: str | None) -> bytes:
        if ref.bucket != self.bucket:
            raise BadReference(f"reference to bucket {ref.bucket!r}, not {self.bucket!r}")
        if wf_run_id is not None and not ref.key.startswith(run_prefix(wf_run_id)):
            raise BadReference(f"reference {ref.key!r} is not under WfRun {wf_run_id!r}")
        data = self._cached(ref.key)
        if data is None:
            try:
                data = self._client.get_object(Bucket=self.bucket, Key=ref.key)["Body"].read()
            except ClientError as exc:
                if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                    raise BadReference(f"no stored value at {ref.key!r}") from None
                raise
            assert isinstance(data, bytes)
            if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256:
                raise BadReference(f"stored value at {ref.key!r} is not the one referenced")
            self._remember(ref.key, data)
        return data

    def delete_wf_run(self, wf_run_id: str, incarnation: str) -> int:
        """Remove the objects of one run of a WfRun id (DeleteWfRun); how many there were.

        Another run's objects stay: a child replaced for its parent's new
        run already has its run record's values stored when the old run is
        deleted.
        """
        removed = 0
        paginator = self._client.get_paginator("list_objects_v2")
        for prefix in {run_prefix(wf_run_id, incarnation), run_prefix(wf_run_id, "")}:
            removed += self._delete_under(paginator, prefix)
        return removed

    def _delete_under(self, paginator: Any, prefix: str) -> int:
        removed = 0
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
                removed += len(keys)
                with self._lock:
                    for key in keys:
                        data = self._cache.pop(key["Key"], None)
                        self._cached_bytes -= len(data) if data is not None else 0
        return removed

    def _cached(self, key: str) -> bytes | None:
        with self._lock:
            data = self._cache.get(key)
            if data is not None:
                self._cache.move_to_end(key)
            return data

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self._cache_limit:
            return
        with self._lock:
            if key in self._cache:
                return
            self._cache[key] = data
            self._cached_bytes += len(data)
            while self._cached_bytes > self._cache_limit:
                _, dropped = self._cache.popitem(last=False)
                self._cached_bytes -= len(dropped)
