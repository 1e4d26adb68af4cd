"""Task tokens: proof that a report comes from the worker that took the attempt.

Every ScheduledTask the scheduler sends carries a token (the SQS message
attribute ``canter.taskToken``); ``ReportTask`` is refused without it. A
token is ``<incarnation>.<mac>``: the incarnation names which run of a WfRun
id the attempt belongs to (a WfRun deleted and run again under the same id
is another incarnation), and the mac is HMAC-SHA256 under the deployment's
secret of the WfRun id, incarnation, TaskRun guid and attempt number.

The API checks a token with no read: nothing a client can see (ids, guids,
attempt numbers, other tokens) lets it compute the mac of another attempt
without the secret. The incarnation travels in clear because it is not a
secret; it only keeps a report of one incarnation from landing on a journal
key, or applying to a state, of another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

# The HTTP header of ReportTask (one token) and ReportTasks (one per report,
# comma-separated, in the order of ``reports``).
HEADER = "Canter-Task-Token"
# Incarnations are what the API generates at RunWf: short, url-safe.
_INCARNATION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAC_CHARS = 43  # 32 bytes, url-safe base64 without padding


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a token is bound to."""

    wf_run_id: str
    incarnation: str
    task_guid: str
    attempt_number: int


def issue(secret: bytes, attempt: Attempt) -> str:
    return f"{attempt.incarnation}.{_mac(secret, attempt)}"


def incarnation_of(token: str) -> str | None:
    """The incarnation a well-formed token names; ``None`` for anything else."""
    incarnation, dot, mac = token.partition(".")
    if not dot or len(mac) != _MAC_CHARS or not _INCARNATION.match(incarnation):
        return None
    return incarnation


def verify(secret: bytes, token: str, wf_run_id: str, task_guid: str, attempt_number: int) -> str:
    """The token's incarnation if it was issued for this attempt; raises :class:`BadToken`."""
    incarnation = incarnation_of(token)
    if incarnation is None:
        raise BadToken("is not a task token (expected the canter.taskToken of the message)")
    expected = _mac(secret, Attempt(wf_run_id, incarnation, task_guid, attempt_number))
    if not hmac.compare_digest(expected, token.partition(".")[2]):
        raise BadToken(
            f"was not issued for attempt {attempt_number} of TaskRun {task_guid!r} of "
            f"WfRun {wf_run_id!r}"
        )
    return incarnation


class BadToken(Exception):
    """A token that does not prove the report's attempt was dispatched."""


def _mac(secret: bytes, attempt: Attempt) -> str:
    # NUL cannot occur in ids, guids or incarnations, so fields cannot run together.
    message = "\x00".join(
        (attempt.wf_run_id, attempt.incarnation, attempt.task_guid, str(attempt.attempt_number))
    )
    digest = hmac.new(secret, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
