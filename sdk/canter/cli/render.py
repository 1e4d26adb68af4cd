"""LittleHorse JSON objects as rich tables and trees for people.

Everything here reads the API's proto3 JSON, where fields at their default
are absent (thread 0, position 0, major version 0): every lookup has a default.
Masked values arrive already replaced by the API; they are labelled, never
decoded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from canter.client import from_value

STATUS_STYLES = {
    "COMPLETED": "green",
    "TASK_SUCCESS": "green",
    "RUNNING": "cyan",
    "TASK_RUNNING": "cyan",
    "STARTING": "cyan",
    "TASK_SCHEDULED": "cyan",
    "HALTING": "yellow",
    "HALTED": "yellow",
    "ERROR": "red",
    "EXCEPTION": "magenta",
}

VALUE_TYPES = {
    "int": "INT",
    "double": "DOUBLE",
    "bool": "BOOL",
    "str": "STR",
    "bytes": "BYTES",
    "jsonObj": "JSON_OBJ",
    "jsonArr": "JSON_ARR",
    "wfRunId": "WF_RUN_ID",
    "utcTimestamp": "TIMESTAMP",
    "struct": "STRUCT",
    "array": "ARRAY",
}

NODE_KINDS = {
    "entrypoint": "ENTRYPOINT",
    "exit": "EXIT",
    "task": "TASK",
    "externalEvent": "EXTERNAL_EVENT",
    "startThread": "START_THREAD",
    "startMultipleThreads": "START_MULTIPLE_THREADS",
    "waitForThreads": "WAIT_FOR_THREADS",
    "nop": "NOP",
    "sleep": "SLEEP",
    "throwEvent": "THROW_EVENT",
    "waitForCondition": "WAIT_FOR_CONDITION",
    "runChildWf": "RUN_CHILD_WF",
    "waitForChildWf": "WAIT_FOR_CHILD_WF",
    "userTask": "USER_TASK",
}


def status(name: str | None) -> Text:
    shown = name or "STARTING"
    return Text(shown, style=STATUS_STYLES.get(shown, ""))


def value_text(raw: Mapping[str, Any] | None, *, masked: bool = False) -> str:
    """A VariableValue for a table cell: JSON for structures, the text itself for a STR."""
    if masked:
        return "***** (masked)"
    value = from_value(raw)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return json.dumps(value, default=str, separators=(", ", ": "))


def value_type(raw: Mapping[str, Any] | None) -> str:
    return VALUE_TYPES.get(next(iter(raw), ""), "") if raw else "-"


def when(timestamp: object) -> str:
    """An API timestamp to the second, for a table cell: ``2026-01-31 12:00:00``."""
    if not isinstance(timestamp, str) or not timestamp:
        return "-"
    return timestamp.replace("T", " ")[:19]


def spec_version(spec_id: Mapping[str, Any]) -> str:
    return (
        f"{spec_id.get('name', '')} v{spec_id.get('majorVersion', 0)}.{spec_id.get('revision', 0)}"
    )


def node_kind(node: Mapping[str, Any]) -> str:
    return next((kind for field, kind in NODE_KINDS.items() if field in node), "")


TaskRuns = Mapping[str, Mapping[str, Any]]


def by_guid(task_runs: Iterable[Mapping[str, Any]]) -> TaskRuns:
    """TaskRuns by their guid, for :func:`node_detail`."""
    return {str(t.get("id", {}).get("taskGuid", "")): t for t in task_runs}


def node_detail(node: Mapping[str, Any], task_runs: TaskRuns) -> str:
    """What a person wants next to a NodeRun: its output, or why it failed or waits.

    LittleHorse's NodeRun carries no output: a TASK node's is its TaskRun's
    last attempt's (``task_runs``, by guid); other nodes show none.
    """
    failures = node.get("failures") or []
    if failures:
        last = failures[-1]
        handled = " (handled)" if last.get("wasProperlyHandled") else ""
        return f"{last.get('failureName', '')}: {last.get('message', '')}{handled}"
    if node.get("errorMessage"):
        return str(node["errorMessage"])
    if "task" in node and "taskRunId" in node["task"]:
        guid = str(node["task"]["taskRunId"]["taskGuid"])
        attempts = task_runs.get(guid, {}).get("attempts") or [{}]
        if "output" in attempts[-1]:
            return f"-> {value_text(attempts[-1]['output'])}"
        return f"task {guid}"
    if "externalEvent" in node and node.get("status") == "RUNNING":
        return f"waits for {node['externalEvent']['externalEventDefId']['name']}"
    return ""


def node_position(node: Mapping[str, Any]) -> tuple[int, int]:
    ident = node.get("id", {})
    return int(ident.get("threadRunNumber", 0)), int(ident.get("position", 0))


def node_runs_table(nodes: Iterable[Mapping[str, Any]], task_runs: TaskRuns) -> Table:
    table = Table("thread", "pos", "node", "type", "status", "detail")
    for node in sorted(nodes, key=node_position):
        thread, position = node_position(node)
        table.add_row(
            str(thread),
            str(position),
            str(node.get("nodeName", "")),
            node_kind(node),
            status(node.get("status")),
            node_detail(node, task_runs),
        )
    return table


def variables_table(variables: Iterable[Mapping[str, Any]]) -> Table:
    table = Table("thread", "name", "type", "value")
    for var in sorted(
        variables, key=lambda v: (v["id"].get("threadRunNumber", 0), v["id"]["name"])
    ):
        raw = var.get("value")
        table.add_row(
            str(var["id"].get("threadRunNumber", 0)),
            str(var["id"]["name"]),
            value_type(raw),
            value_text(raw, masked=bool(var.get("masked"))),
        )
    return table


def wf_run_view(
    wf_run: Mapping[str, Any], nodes: Iterable[Mapping[str, Any]], task_runs: TaskRuns
) -> RenderableType:
    """A WfRun as a tree: its threads, each with its NodeRuns in order."""
    ident = wf_run.get("id", {})
    root = Tree(
        Text.assemble(
            ("WfRun ", "bold"),
            (str(ident.get("id", "")), "bold"),
            f"  {spec_version(wf_run.get('wfSpecId', {}))}  ",
            status(wf_run.get("status")),
        )
    )
    by_thread: dict[int, list[Mapping[str, Any]]] = {}
    for node in nodes:
        by_thread.setdefault(node_position(node)[0], []).append(node)
    for index, thread in enumerate(wf_run.get("threadRuns", [])):
        number = int(thread.get("number", index))
        label = Text.assemble(
            f"thread {number} {thread.get('threadSpecName', '')}  ", status(thread.get("status"))
        )
        if thread.get("errorMessage"):
            label.append(f"  {thread['errorMessage']}")
        branch = root.add(label)
        for node in sorted(by_thread.get(number, []), key=node_position):
            detail = node_detail(node, task_runs)
            branch.add(
                Text.assemble(
                    f"{node_position(node)[1]:>3} {node.get('nodeName', '')}  ",
                    status(node.get("status")),
                    f"  {detail}" if detail else "",
                )
            )
    times = f"started {when(wf_run.get('startTime'))}"
    if wf_run.get("endTime"):
        times += f", ended {when(wf_run['endTime'])}"
    return Group(root, Text(times, style="dim"))


def key_values(title: str, rows: Iterable[tuple[str, Any]]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in rows:
        table.add_row(key, value if isinstance(value, Text) else str(value))
    return table


def task_run_view(task_run: Mapping[str, Any]) -> RenderableType:
    ident = task_run.get("id", {})
    source = task_run.get("source", {}).get("taskNode", {}).get("nodeRunId", {})
    header = key_values(
        f"TaskRun {ident.get('wfRunId', {}).get('id', '')}/{ident.get('taskGuid', '')}",
        [
            ("TaskDef", task_run.get("taskDefId", {}).get("name", "")),
            ("status", status(task_run.get("status") or "TASK_SCHEDULED")),
            (
                "node",
                f"thread {source.get('threadRunNumber', 0)}, position {source.get('position', 0)}",
            ),
            ("attempts", f"{len(task_run.get('attempts', []))} of {task_run.get('totalAttempts')}"),
            ("timeout", f"{task_run.get('timeoutSeconds', '-')} s"),
            *(
                (
                    f"input {var.get('varName', '')}",
                    value_text(var.get("value"), masked=bool(var.get("masked"))),
                )
                for var in task_run.get("inputVariables", [])
            ),
        ],
    )
    attempts = Table("#", "status", "started", "ended", "result")
    for number, attempt in enumerate(task_run.get("attempts", [])):
        attempts.add_row(
            str(number),
            status(attempt.get("status") or "TASK_SCHEDULED"),
            when(attempt.get("startTime")),
            when(attempt.get("endTime")),
            _attempt_result(attempt),
        )
    return Group(header, attempts)


def _attempt_result(attempt: Mapping[str, Any]) -> str:
    if "error" in attempt:
        return f"{attempt['error'].get('type', '')}: {attempt['error'].get('message', '')}"
    if "exception" in attempt:
        exc = attempt["exception"]
        return f"{exc.get('name', '')}: {exc.get('message', '')}"
    if "output" in attempt:
        return f"-> {value_text(attempt['output'])}"
    return ""


def type_name(type_def: Mapping[str, Any]) -> str:
    struct = type_def.get("structDefId")
    if isinstance(struct, Mapping):
        name = f"Struct<{struct.get('name', '')},v{struct.get('version', 0)}>"
    else:
        name = str(type_def.get("primitiveType", "JSON_OBJ"))
    return f"{name} (masked)" if type_def.get("masked") else name


def task_def_signature(task_def: Mapping[str, Any]) -> str:
    inputs = ", ".join(
        f"{var['name']}: {type_name(var.get('typeDef', {}))}"
        for var in task_def.get("inputVars", [])
    )
    returned = task_def.get("returnType", {}).get("returnType")
    return f"({inputs}) -> {type_name(returned) if returned else 'None'}"


def task_def_view(task_def: Mapping[str, Any], queue: Mapping[str, Any]) -> Table:
    """A TaskDef with its task queue (Canter's ``GetTaskDefQueue`` answer)."""
    return key_values(
        f"TaskDef {task_def.get('id', {}).get('name', '')}",
        [
            ("signature", task_def_signature(task_def)),
            ("task queue", queue.get("taskQueue", "")),
            ("queue URL", queue.get("queueUrl", "")),
            ("created", task_def.get("createdAt", "")),
        ],
    )


def wf_spec_view(spec: Mapping[str, Any]) -> RenderableType:
    """A WfSpec: its entrypoint's variables (what ``canter run`` takes), then each thread."""
    root = Tree(Text(f"WfSpec {spec_version(spec.get('id', {}))}", style="bold"))
    entry = spec.get("entrypointThreadName", "entrypoint")
    for name, thread in spec.get("threadSpecs", {}).items():
        branch = root.add(Text(f"thread {name}" + (" (entrypoint)" if name == entry else "")))
        for var in thread.get("variableDefs", []):
            var_def = var.get("varDef", {})
            flags = [flag for flag in ("required", "searchable") if var.get(flag)]
            default = var_def.get("defaultValue")
            if default:
                flags.append(f"default {value_text(default)}")
            branch.add(
                f"var {var_def.get('name', '')}: {type_name(var_def.get('typeDef', {}))}"
                + (f"  [{', '.join(flags)}]" if flags else "")
            )
        for node_name in thread.get("nodes", {}):
            branch.add(Text(f"node {node_name}", style="dim"))
    return root


def external_events_table(events: Iterable[Mapping[str, Any]]) -> Table:
    table = Table("ExternalEventDef", "guid", "created", "claimed by", "content")
    for event in events:
        ident = event.get("id", {})
        claimed = (
            f"thread {event.get('threadRunNumber', 0)}, position {event.get('nodeRunPosition', 0)}"
            if event.get("claimed")
            else "-"
        )
        table.add_row(
            str(ident.get("externalEventDefId", {}).get("name", "")),
            str(ident.get("guid", "")),
            when(event.get("createdAt")),
            claimed,
            value_text(event.get("content")),
        )
    return table
