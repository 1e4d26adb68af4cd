"""SearchUserTaskRun's index: entries over the record index's GSI (``byStatusTime``).

LittleHorse indexes a UserTaskRun under every combination of its status,
UserTaskDef, user id and user group (UserTaskRunModel.getIndexConfigurations).
Here the status is each entry's ``tag`` (a filter), and the other three make
the partition: one entry per combination of UserTaskDef, user and group the
run has (eight, fewer when it has no user or group), so a search by any of
them reads one partition. The sort key is the run's scheduled time, so
results come newest first and a time window is a key range.

Entries are items of the WfRun's own partition (``idx#usertask#<guid>#<combo>``),
written with the UserTaskRun's record whenever it changes: a run that loses
its user keeps the entry of that combination without index attributes, so it
leaves the index. DeleteWfRun removes them with everything else of the WfRun.
"""

from __future__ import annotations

import json
from typing import Any

from canter_engine.core.user_task_state import UserTaskRun, user_task_sk

INDEX_PREFIX = "idx#"
# The criteria besides status, in the order a combination names them.
CRITERIA = ("def", "user", "group")
COMBINATIONS: tuple[tuple[str, ...], ...] = (
    (),
    ("def",),
    ("user",),
    ("group",),
    ("def", "user"),
    ("def", "group"),
    ("user", "group"),
    ("def", "user", "group"),
)
_TIME_DIGITS = 13


def partition(criteria: dict[str, str]) -> str:
    """The index partition of one combination of criteria (name -> value).

    Values are JSON-quoted, so no value can run into the next one.
    """
    named = [[name, criteria[name]] for name in CRITERIA if name in criteria]
    return "ut#" + json.dumps(named, separators=(",", ":"))


def entries(utr: UserTaskRun) -> dict[str, dict[str, Any]]:
    """The index items of a UserTaskRun: sk -> the item (attributes as stored, but ``pk``)."""
    known = {"def": utr.def_name, "user": utr.user_id, "group": utr.user_group}
    found: dict[str, dict[str, Any]] = {}
    for combination in COMBINATIONS:
        sk = f"{INDEX_PREFIX}{user_task_sk(utr.guid)}#{'+'.join(combination) or 'all'}"
        item: dict[str, Any] = {"sk": {"S": sk}}
        values = {name: known[name] for name in combination}
        if all(v is not None for v in values.values()):
            item.update(
                {
                    "gsi1pk": {"S": partition({k: v for k, v in values.items() if v is not None})},
                    "gsi1sk": {"S": f"{utr.scheduled:0{_TIME_DIGITS}d}"},
                    "tag": {"S": utr.status},
                }
            )
        found[sk] = item
    return found


def guid_of(record_sk: str) -> str:
    """The UserTaskRun guid of an entry's record key (``usertask#<guid>#<combo>``)."""
    return record_sk.removeprefix("usertask#").partition("#")[0]
