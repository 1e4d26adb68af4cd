"""ScheduledTasks too large for one SQS message, read back from the payload bucket.

The scheduler sends a ScheduledTask over SQS's 256 KiB limit as a reference
to the whole message: ``{"$canterRef": {"bucket", "key", "size", "sha256"}}``
(canter_engine/store/payloads.py). The worker and the Lambda task handler
read the ScheduledTask from the bucket before anything else looks at it, so
the task function sees its inputs as if they had come inline. The bytes are
checked against the reference's size and sha256.

A large task output needs nothing here: the worker sends it inline in its
report (up to the API's request limit) and the API stores it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

REF = "$canterRef"


class PayloadError(Exception):
    """A reference the worker cannot read back as the bytes it names."""


def scheduled_task_text(body: str, s3: Callable[[], Any]) -> str:
    """The ScheduledTask's JSON text: ``body`` itself, or what its reference names.

    ``s3`` makes the S3 client, only when a reference needs it.
    """
    if REF not in body[:32]:
        return body
    data = json.loads(body)
    ref = data.get(REF) if isinstance(data, dict) and len(data) == 1 else None
    if not isinstance(ref, dict):
        return body
    bucket, key, size, digest = (ref.get(k) for k in ("bucket", "key", "size", "sha256"))
    if not (isinstance(bucket, str) and isinstance(key, str) and isinstance(size, int)):
        raise PayloadError(f"message reference {ref!r} names no object")
    content = s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    if len(content) != size or hashlib.sha256(content).hexdigest() != digest:
        raise PayloadError(f"object {key!r} is not the ScheduledTask its message names")
    return str(content.decode())
