"""Size limits the API enforces at the edge, so nothing too large reaches the journal.

A request becomes one journal item (DynamoDB: 400 KB), and a task output
becomes a Variable item, part of the WfRun head, and an input of later
ScheduledTasks (SQS: 256 KiB per message). Refusing at the API gives the
caller a message that says what to do instead of a WfRun stuck behind a
write that can never succeed.
"""

from __future__ import annotations

# A request body, as JSON text.
MAX_REQUEST_BYTES = 256 * 1024

# One value produced by a task, or carried by an ExternalEvent, as encoded JSON.
MAX_VALUE_BYTES = 64 * 1024

HOW_TO_SHRINK = (
    "store large payloads elsewhere (for example in S3) and pass a reference such as the object key"
)
