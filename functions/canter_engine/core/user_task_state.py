"""A UserTaskRun as the core keeps it, and its LittleHorse JSON.

While its USER_TASK NodeRun waits, the UserTaskRun lives on that NodeRun (so
it moves with its thread's state); every change also writes it as a record
of its own (``usertask#<guid>``), which GetUserTaskRun, ListUserTaskRuns and
the search index read. Its guid is LittleHorse's: ``<thread>-<position>`` of
the NodeRun (UserTaskRunIdModel(NodeRunIdModel)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from canter_engine.model import values

TERMINAL = frozenset({"DONE", "CANCELLED"})
# The cancelled node's failure when the node names no exception (LHConstants).
USER_TASK_CANCELLED = "USER_TASK_CANCELLED"


def user_task_guid(thread: int, position: int) -> str:
    return f"{thread}-{position}"


def user_task_sk(guid: str) -> str:
    return f"usertask#{guid}"


@dataclass(slots=True)
class UserTaskRun:
    thread: int
    position: int
    def_name: str
    def_version: int
    status: str
    scheduled: int
    user_id: str | None = None
    user_group: str | None = None
    notes: str | None = None
    # Decoded values by field name (LittleHorse's results map).
    results: dict[str, Any] = field(default_factory=dict)
    # LittleHorse UserTaskEvent JSON, in order.
    events: list[dict[str, Any]] = field(default_factory=list)
    epoch: int = 0
    comments: int = 0
    # A cancellation's failure (name, message), applied when the thread runs:
    # LittleHorse's failureToThrowKenobi.
    failure: tuple[str, str] | None = None
    # Action timers not yet fired: (due, attempt); see core/user_tasks.py.
    timers: list[tuple[int, int]] = field(default_factory=list)
    # The WfSpec version of the WfRun.
    wf_spec: tuple[str, int, int] = ("", 0, 0)
    # Reminder TaskRuns whose attempt is in flight, by guid, as TaskRun items
    # (core/state.py's TaskRun.to_item; kept as items to keep imports one-way).
    reminders: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def guid(self) -> str:
        return user_task_guid(self.thread, self.position)

    @property
    def sk(self) -> str:
        return user_task_sk(self.guid)

    @property
    def terminated(self) -> bool:
        return self.status in TERMINAL

    def clone(self) -> UserTaskRun:
        return UserTaskRun(
            self.thread,
            self.position,
            self.def_name,
            self.def_version,
            self.status,
            self.scheduled,
            self.user_id,
            self.user_group,
            self.notes,
            dict(self.results),
            list(self.events),
            self.epoch,
            self.comments,
            self.failure,
            list(self.timers),
            self.wf_spec,
            dict(self.reminders),
        )

    def to_item(self) -> dict[str, Any]:
        return {
            "t": self.thread,
            "p": self.position,
            "d": self.def_name,
            "dv": self.def_version,
            "s": self.status,
            "sc": self.scheduled,
            "u": self.user_id,
            "g": self.user_group,
            "n": self.notes,
            "r": {k: values.encode(v) for k, v in self.results.items()},
            "ev": self.events,
            "ep": self.epoch,
            "c": self.comments,
            "f": list(self.failure) if self.failure else None,
            "tm": [list(t) for t in self.timers],
            "ws": list(self.wf_spec),
            "rm": self.reminders,
        }

    @staticmethod
    def from_item(item: dict[str, Any]) -> UserTaskRun:
        failure = item.get("f")
        spec = item.get("ws") or ["", 0, 0]
        return UserTaskRun(
            item["t"],
            item["p"],
            item["d"],
            item["dv"],
            item["s"],
            item["sc"],
            item.get("u"),
            item.get("g"),
            item.get("n"),
            {k: values.decode(v) for k, v in item.get("r", {}).items()},
            list(item.get("ev", [])),
            item.get("ep", 0),
            item.get("c", 0),
            (str(failure[0]), str(failure[1])) if failure else None,
            [(int(t[0]), int(t[1])) for t in item.get("tm", [])],
            (str(spec[0]), int(spec[1]), int(spec[2])),
            dict(item.get("rm", {})),
        )


def user_task_run_json(wf_run_id: str, utr: UserTaskRun) -> dict[str, Any]:
    """LittleHorse's ``UserTaskRun`` (fields at their proto3 default left out)."""
    body: dict[str, Any] = {
        "id": {"wfRunId": {"id": wf_run_id}, "userTaskGuid": utr.guid},
        "userTaskDefId": {"name": utr.def_name}
        | ({"version": utr.def_version} if utr.def_version else {}),
        "scheduledTime": values.format_timestamp(utr.scheduled),
        "nodeRunId": {"wfRunId": {"id": wf_run_id}, "threadRunNumber": utr.thread}
        | ({"position": utr.position} if utr.position else {}),
    }
    if utr.thread == 0:
        del body["nodeRunId"]["threadRunNumber"]
    if utr.status != "UNASSIGNED":
        body["status"] = utr.status
    if utr.user_id is not None:
        body["userId"] = utr.user_id
    if utr.user_group is not None:
        body["userGroup"] = utr.user_group
    if utr.notes is not None:
        body["notes"] = utr.notes
    if utr.results:
        body["results"] = {k: values.encode(v) for k, v in utr.results.items()}
    if utr.events:
        body["events"] = utr.events
    if utr.epoch:
        body["epoch"] = utr.epoch
    return body


def user_task_run_from_json(body: dict[str, Any]) -> UserTaskRun:
    """The UserTaskRun an API read of its record shows (what :mod:`core.user_tasks`'s
    pure checks need; timers and a pending failure live in the state only)."""
    node = body.get("nodeRunId", {})
    events = list(body.get("events", []))
    return UserTaskRun(
        thread=int(node.get("threadRunNumber", 0)),
        position=int(node.get("position", 0)),
        def_name=str(body["userTaskDefId"]["name"]),
        def_version=int(body["userTaskDefId"].get("version", 0)),
        status=str(body.get("status", "UNASSIGNED")),
        scheduled=values.parse_timestamp(str(body["scheduledTime"])),
        user_id=body.get("userId"),
        user_group=body.get("userGroup"),
        notes=body.get("notes"),
        results={k: values.decode(v) for k, v in body.get("results", {}).items()},
        events=events,
        epoch=int(body.get("epoch", 0)),
        comments=sum(1 for e in events if "commentAdded" in e),
    )
