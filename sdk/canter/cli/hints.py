"""Error messages for people at a terminal: the command to run, and the name they meant.

The API's messages name rpcs ("register it with PutWfSpec"), which is right for
an SDK caller; the CLI says which ``canter`` command does that, and for a
definition that does not exist looks up the closest registered name.
"""

from __future__ import annotations

import difflib
import re

from canter.client import CanterError, Client, NotFound

_RPC_COMMANDS = {
    "PutWfSpec": "canter deploy <module>",
    "PutTaskDef": "canter deploy <module>",
    "PutExternalEventDef": "canter deploy <module>",
    "PutWorkflowEventDef": "canter deploy <module>",
}
_MISSING = re.compile(
    r"\b(WfSpec|TaskDef|ExternalEventDef|WorkflowEventDef) '([^']+)'(?: v\S+)? does not exist"
)
_SEARCH_RPC = {
    "WfSpec": "SearchWfSpec",
    "TaskDef": "SearchTaskDef",
    "ExternalEventDef": "SearchExternalEventDef",
    "WorkflowEventDef": "SearchWorkflowEventDef",
}
_CANDIDATES = 1000


def explain(error: CanterError, client: Client) -> str:
    """The error's one line, with commands for rpcs and a "did you mean" if one is close."""
    message = str(error)
    for rpc, command in _RPC_COMMANDS.items():
        message = re.sub(rf"\b(?:with|run) {rpc}\b", f"with {command}", message)
        message = message.replace(f"({rpc})", f"({command})")
    if isinstance(error, NotFound) and (missing := _MISSING.search(message)):
        close = closest(client, missing.group(1), missing.group(2))
        if close:
            message += f"; did you mean {close!r}?"
    return message


def closest(client: Client, kind: str, name: str) -> str | None:
    """The registered name of ``kind`` closest to ``name``, if any is close."""
    try:
        page = client.search(_SEARCH_RPC[kind], {"limit": _CANDIDATES})
    except CanterError:
        return None
    names = sorted({str(found["name"]) for found in page.get("results", [])})
    matches = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return matches[0] if matches else None
