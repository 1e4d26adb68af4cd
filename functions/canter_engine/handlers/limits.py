"""Size limits the API enforces at the edge, so nothing too large reaches the journal.

A value (a task output, an ExternalEvent's content, a variable) may take up
to ``MAX_VALUE_BYTES`` as encoded JSON: Lambda's 6 MB request and response
limit less room for the envelope. Values over a few kilobytes are stored in
the payload bucket and the journal, the WfRun's items and the SQS messages
carry a reference (store/payloads.py). A request body may hold one such
value and the rest of its message; over that, the caller gets a 413 naming
the limit and the field instead of a Lambda error.
"""

from __future__ import annotations

from canter_engine.model.values import MAX_VALUE_BYTES

__all__ = ["HOW_TO_SHRINK", "MAX_REQUEST_BYTES", "MAX_RESPONSE_BYTES", "MAX_VALUE_BYTES"]

# A request body, as JSON text: one value at its limit plus the message around it.
MAX_REQUEST_BYTES = MAX_VALUE_BYTES + 256 * 1024

# A response body: what a Lambda proxy answer can carry (6 MB) less API
# Gateway's envelope and the escaping of the body inside it.
MAX_RESPONSE_BYTES = 5 * 1024 * 1024 + 512 * 1024

HOW_TO_SHRINK = (
    "store large payloads elsewhere (for example in S3) and pass a reference such as the object key"
)
