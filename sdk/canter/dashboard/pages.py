"""Each page: which rpcs it calls and what it hands its template.

A page function takes a :class:`Request` and returns a :class:`Page`
(a template and its context) or a :class:`Redirect`. Reads go through
:class:`canter.Client`, so against a deployed API every call is SigV4-signed
with the user's credentials exactly as the CLI's are. Actions (stop,
resume, delete, events, user tasks) answer a confirmation page first and
act only when the form comes back with ``confirmed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from canter.client import CanterError, Client
from canter.dashboard import views
from canter.dashboard.forms import TYPES, FormError, declared_type, event_def_type, parse_value

PAGE_SIZE = 20
WF_RUN_STATUSES = ("STARTING", "RUNNING", "HALTING", "HALTED", "COMPLETED", "ERROR", "EXCEPTION")
USER_TASK_STATUSES = ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED")


@dataclass(frozen=True)
class Request:
    client: Client
    params: Mapping[str, str]
    query: Mapping[str, str]
    form: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    template: str
    context: dict[str, Any]
    status: int = 200


@dataclass(frozen=True)
class Redirect:
    location: str


Answer = Page | Redirect
PageFunction = Callable[[Request], Answer]


def run_url(wf_run_id: str, **query: Any) -> str:
    tail = urlencode({k: v for k, v in query.items() if v not in (None, "")})
    return f"/wfruns/{quote(wf_run_id, safe='')}" + (f"?{tail}" if tail else "")


# --- WfRuns ------------------------------------------------------------------------


def wf_runs(request: Request) -> Answer:
    """Search WfRuns: by WfSpec, status, start window, or a searchable variable's value."""
    q = request.query
    client = request.client
    spec_name = q.get("wfSpec", "").strip()
    status = q.get("status", "")
    var_name = q.get("var", "").strip()
    context: dict[str, Any] = {
        "q": q,
        "statuses": WF_RUN_STATUSES,
        "spec_names": _spec_names(client),
        "rows": [],
        "next": None,
        "first": None,
        "error": "",
    }
    try:
        if var_name:
            ids, bookmark = _runs_by_variable(client, spec_name, var_name, q.get("value", ""), q)
        else:
            body = {
                "wfSpecName": spec_name or None,
                "status": status or None,
                "earliestStart": _rfc3339(q.get("from", ""), "from"),
                "latestStart": _rfc3339(q.get("to", ""), "to"),
                "limit": _page_size(q),
                "bookmark": q.get("bookmark") or None,
            }
            page = client.search("SearchWfRun", {k: v for k, v in body.items() if v is not None})
            ids = [r["id"] for r in page.get("results", [])]
            bookmark = page.get("bookmark")
    except (CanterError, FormError) as exc:
        context["error"] = str(exc)
        return Page("wf_runs.html", context, 400 if isinstance(exc, FormError) else 200)
    rows = []
    for wf_run_id in ids:
        try:
            wf_run = client.get_wf_run(wf_run_id)
        except CanterError:
            continue  # deleted between the search and now
        if var_name and status and wf_run.get("status", "STARTING") != status:
            continue
        rows.append(_run_row(wf_run))
    context["rows"] = rows
    criteria = {k: v for k, v in q.items() if k not in ("bookmark", "notice", "error")}
    if bookmark:
        context["next"] = "/wfruns?" + urlencode({**criteria, "bookmark": bookmark})
    if q.get("bookmark"):
        context["first"] = "/wfruns?" + urlencode(criteria)
    return Page("wf_runs.html", context)


def _runs_by_variable(
    client: Client, spec_name: str, var_name: str, text: str, q: Mapping[str, str]
) -> tuple[list[str], str | None]:
    if not spec_name:
        raise FormError("searching by a variable's value needs the WfSpec it belongs to")
    spec = client.get_latest_wf_spec(spec_name)
    var_type = _variable_type(spec, var_name)
    if var_type is None:
        raise FormError(f"WfSpec {spec_name!r} declares no variable {var_name!r}")
    value = parse_value(text, var_type, what=f"value of {var_name}")
    body: dict[str, Any] = {
        "wfSpecName": spec_name,
        "varName": var_name,
        "value": value,
        "limit": _page_size(q),
    }
    if q.get("bookmark"):
        body["bookmark"] = q["bookmark"]
    page = client.search("SearchVariable", body)
    ids = list(dict.fromkeys(r["wfRunId"]["id"] for r in page.get("results", [])))
    return ids, page.get("bookmark")


def _page_size(q: Mapping[str, str]) -> int:
    """``limit`` from the query (1 to 100), else :data:`PAGE_SIZE`."""
    text = q.get("limit", "")
    return min(max(int(text), 1), 100) if text.isdigit() else PAGE_SIZE


def _variable_type(spec: Mapping[str, Any], name: str) -> str | None:
    for thread in spec.get("threadSpecs", {}).values():
        for var in thread.get("variableDefs", []):
            if var.get("varDef", {}).get("name") == name:
                return str(var["varDef"].get("typeDef", {}).get("primitiveType", "STR"))
    return None


def _run_row(wf_run: Mapping[str, Any]) -> dict[str, Any]:
    spec = wf_run.get("wfSpecId", {})
    return {
        "id": wf_run["id"]["id"],
        "url": run_url(wf_run["id"]["id"]),
        "spec": spec.get("name", ""),
        "version": f"{spec.get('majorVersion', 0)}.{spec.get('revision', 0)}",
        "status": wf_run.get("status", "STARTING"),
        "start": wf_run.get("startTime", ""),
        "end": wf_run.get("endTime", ""),
        "duration": views.duration_text(wf_run.get("startTime"), wf_run.get("endTime")),
    }


def _rfc3339(text: str, what: str) -> str | None:
    """A ``datetime-local`` field (taken as UTC) or an RFC 3339 timestamp."""
    text = text.strip()
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FormError(f"{what}: {text!r} is not a date and time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _spec_names(client: Client) -> list[str]:
    try:
        ids = client.search_all("SearchWfSpec", {})
    except CanterError:
        return []
    return sorted({i["name"] for i in ids})


# --- one WfRun ------------------------------------------------------------------------


def wf_run(request: Request) -> Answer:
    context = _wf_run_context(request)
    context["event_defs"] = _event_choices(request.client, context["spec"])
    context["types"] = TYPES
    return Page("wf_run.html", context)


def wf_run_live(request: Request) -> Answer:
    """The part of the WfRun page that changes while it runs (polled by live.js)."""
    return Page("wf_run_live.html", _wf_run_context(request))


def _wf_run_context(request: Request) -> dict[str, Any]:
    client = request.client
    wf_run_id = request.params["id"]
    run = client.get_wf_run(wf_run_id)
    spec_id = run.get("wfSpecId", {})
    spec = client.get_wf_spec(
        spec_id["name"], spec_id.get("majorVersion", 0), spec_id.get("revision", 0)
    )
    threads = views.thread_tree(run.get("threadRuns", []))
    try:
        selected = int(request.query.get("thread", "0"))
    except ValueError:
        selected = 0
    thread_run = next(
        (t for t in run.get("threadRuns", []) if int(t.get("number", 0)) == selected),
        run.get("threadRuns", [{}])[0],
    )
    selected = int(thread_run.get("number", 0))
    node_runs = client.list_node_runs(wf_run_id)
    task_runs = {t["id"]["taskGuid"]: t for t in client.list_task_runs(wf_run_id)}
    spec_name = str(thread_run.get("threadSpecName", spec.get("entrypointThreadName", "")))
    graph = views.thread_graph(spec_name, spec.get("threadSpecs", {}).get(spec_name, {}))
    graph = views.overlay(
        graph,
        [n for n in node_runs if views.thread_number(n) == selected],
        thread_run.get("currentNodePosition"),
    )
    return {
        "run": run,
        "id": wf_run_id,
        "spec": spec,
        "spec_url": _spec_url(spec_id),
        "status": run.get("status", "STARTING"),
        "final": views.is_final(run),
        "duration": views.duration_text(run.get("startTime"), run.get("endTime")),
        "threads": threads,
        "selected": selected,
        "graph": graph,
        "node_runs": [_node_row(n, task_runs) for n in node_runs],
        "variables": _variable_rows(client.list_variables(wf_run_id), spec),
        "events": [
            {**e, "text": views.value_text(e.get("content"))}
            for e in client.list_external_events(wf_run_id)
        ],
        "workflow_events": [
            {**e, "text": views.value_text(e.get("content"))}
            for e in client.list_workflow_events(wf_run_id)
        ],
        "run_url": run_url(wf_run_id),
        "live_url": run_url(wf_run_id) + "/live" + (f"?thread={selected}" if selected else ""),
    }


def _node_row(node_run: Mapping[str, Any], task_runs: Mapping[str, Any]) -> dict[str, Any]:
    kind = next((views.NODE_TYPES[k] for k in views.NODE_TYPES if k in node_run), "")
    task_guid = node_run.get("task", {}).get("taskRunId", {}).get("taskGuid")
    task_run = task_runs.get(task_guid) if task_guid else None
    attempts = []
    for number, attempt in enumerate((task_run or {}).get("attempts", [])):
        attempts.append(
            {
                "number": number,
                "status": attempt.get("status", ""),
                "schedule": attempt.get("scheduleTime", ""),
                "start": attempt.get("startTime", ""),
                "end": attempt.get("endTime", ""),
                "duration": views.duration_text(attempt.get("startTime"), attempt.get("endTime")),
                "worker": attempt.get("taskWorkerId", ""),
                "output": views.value_text(attempt["output"]) if "output" in attempt else "",
                "log": views.value_text(attempt["logOutput"]) if "logOutput" in attempt else "",
                "error": attempt.get("error", {}).get("message", ""),
                "exception": _exception_text(attempt.get("exception")),
            }
        )
    return {
        "thread": views.thread_number(node_run),
        "position": int(node_run.get("id", {}).get("position", 0)),
        "name": node_run.get("nodeName", ""),
        "kind": kind,
        "status": node_run.get("status", "STARTING"),
        "arrival": node_run.get("arrivalTime", ""),
        "end": node_run.get("endTime", ""),
        "duration": views.duration_text(node_run.get("arrivalTime"), node_run.get("endTime")),
        "failures": [
            {
                "name": f.get("failureName", ""),
                "message": f.get("message", ""),
                "content": views.value_text(f["content"]) if "content" in f else "",
            }
            for f in node_run.get("failures", [])
        ],
        "task_def": (task_run or {}).get("taskDefId", {}).get("name", ""),
        "inputs": [
            {"name": i.get("varName", ""), "value": views.value_text(i.get("value"))}
            for i in (task_run or {}).get("inputVariables", [])
        ],
        "attempts": attempts,
    }


def _exception_text(exception: Mapping[str, Any] | None) -> str:
    if not exception:
        return ""
    text = f"{exception.get('name', '')}: {exception.get('message', '')}"
    if "content" in exception:
        text += f" ({views.value_text(exception['content'])})"
    return text


def _variable_rows(variables: list[dict[str, Any]], spec: Mapping[str, Any]) -> list[Any]:
    masked = {
        var["varDef"]["name"]
        for thread in spec.get("threadSpecs", {}).values()
        for var in thread.get("variableDefs", [])
        if var.get("varDef", {}).get("typeDef", {}).get("masked")
    }
    rows = [
        {
            "thread": views.thread_number(v),
            "name": v["id"]["name"],
            "value": views.value_text(v.get("value")),
            "masked": v["id"]["name"] in masked or bool(v.get("masked")),
        }
        for v in variables
    ]
    return sorted(rows, key=lambda r: (r["thread"], r["name"]))


def _event_choices(client: Client, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ExternalEventDefs the WfSpec waits for or is interrupted by, with their types."""
    names: set[str] = set()
    for thread in spec.get("threadSpecs", {}).values():
        for node in thread.get("nodes", {}).values():
            if "externalEvent" in node:
                names.add(node["externalEvent"]["externalEventDefId"]["name"])
        for interrupt in thread.get("interruptDefs", []):
            names.add(interrupt["externalEventDefId"]["name"])
    choices = []
    for name in sorted(names):
        try:
            declared = event_def_type(client.get_external_event_def(name))
        except CanterError:
            declared = None
        choices.append({"name": name, "type": declared})
    return choices


def wf_run_action(request: Request) -> Answer:
    """Stop, resume, delete or post an event: a confirmation page first, then the rpc."""
    client = request.client
    wf_run_id = request.params["id"]
    action = request.params["action"]
    form = request.form
    thread = form.get("thread", "")
    thread_number = int(thread) if thread.isdigit() else None
    of_thread = f", thread {thread_number}" if thread_number else ""
    skip = form.get("skip") in ("on", "true")
    summary = {
        "stop": f"Stop WfRun {wf_run_id}{of_thread}",
        "resume": f"Resume WfRun {wf_run_id}{of_thread}",
        "delete": f"Delete WfRun {wf_run_id} and everything it recorded",
        "event": f"Post ExternalEvent {form.get('event', '')!r} to WfRun {wf_run_id}",
        "rescue": f"Rescue WfRun {wf_run_id}, thread {thread_number or 0}: "
        + ("skip its failed node" if skip else "run its failed node again"),
    }.get(action)
    if summary is None:
        return _not_found(f"no action {action!r} on a WfRun")
    content: dict[str, Any] = {}
    if action == "event":
        try:
            content = parse_value(
                form.get("content", ""), form.get("type", "STR"), what="event content"
            )
        except FormError as exc:
            return Redirect(run_url(wf_run_id, error=str(exc)))
    if not form.get("confirmed"):
        return Page(
            "confirm.html",
            {
                "summary": summary,
                "action": f"{run_url(wf_run_id)}/{action}",
                "fields": {k: v for k, v in form.items() if k not in ("confirmed", "csrf")},
                "content": views.value_text(content) if action == "event" else "",
                "back": run_url(wf_run_id),
            },
        )
    try:
        if action == "stop":
            client.stop_wf_run(wf_run_id, thread_number)
        elif action == "resume":
            client.resume_wf_run(wf_run_id, thread_number)
        elif action == "delete":
            client.delete_wf_run(wf_run_id)
            return Redirect("/wfruns?" + urlencode({"notice": f"Deleted WfRun {wf_run_id}"}))
        elif action == "rescue":
            client.call(
                "RescueThreadRun",
                {
                    "wfRunId": {"id": wf_run_id},
                    "threadRunNumber": thread_number or 0,
                    "skipCurrentNode": skip,
                },
            )
        else:
            body: dict[str, Any] = {
                "wfRunId": {"id": wf_run_id},
                "externalEventDefId": {"name": form.get("event", "")},
                "content": content,
            }
            if form.get("guid"):
                body["guid"] = form["guid"]
            client.call("PutExternalEvent", body)
    except CanterError as exc:
        return Redirect(run_url(wf_run_id, error=str(exc)))
    done = {
        "stop": "Stopped",
        "resume": "Resumed",
        "event": "Posted the event to",
        "rescue": "Rescued",
    }[action]
    return Redirect(run_url(wf_run_id, notice=f"{done} WfRun {wf_run_id}"))


# --- WfSpecs ----------------------------------------------------------------------


def _spec_url(spec_id: Mapping[str, Any]) -> str:
    version = f"{spec_id.get('majorVersion', 0)}.{spec_id.get('revision', 0)}"
    return f"/wfspecs/{quote(str(spec_id.get('name', '')), safe='')}?version={version}"


def wf_specs(request: Request) -> Answer:
    prefix = request.query.get("prefix", "").strip()
    ids = request.client.search_all("SearchWfSpec", {"prefix": prefix} if prefix else {})
    grouped: dict[str, list[dict[str, Any]]] = {}
    for spec_id in ids:
        grouped.setdefault(spec_id["name"], []).append(
            {
                "label": f"{spec_id.get('majorVersion', 0)}.{spec_id.get('revision', 0)}",
                "url": _spec_url(spec_id),
            }
        )
    rows = [{"name": n, "versions": v} for n, v in sorted(grouped.items())]
    return Page("wf_specs.html", {"rows": rows, "prefix": prefix})


def wf_spec(request: Request) -> Answer:
    client = request.client
    name = request.params["name"]
    version = request.query.get("version", "")
    major, _, revision = version.partition(".")
    if major.isdigit() and revision.isdigit():
        spec = client.get_wf_spec(name, int(major), int(revision))
    else:
        spec = client.get_latest_wf_spec(name)
    versions = [
        {
            "label": f"{i.get('majorVersion', 0)}.{i.get('revision', 0)}",
            "url": _spec_url(i),
        }
        for i in client.search_all("SearchWfSpec", {"name": name})
    ]
    spec_id = spec["id"]
    return Page(
        "wf_spec.html",
        {
            "inputs": run_inputs(spec),
            "spec": spec,
            "name": name,
            "version": f"{spec_id.get('majorVersion', 0)}.{spec_id.get('revision', 0)}",
            "versions": versions,
            "graphs": views.wf_spec_graphs(spec),
            "runs_url": "/wfruns?" + urlencode({"wfSpec": name}),
        },
    )


def run_inputs(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The RunWf form: one typed field per variable of the entrypoint thread."""
    entry = spec.get("threadSpecs", {}).get(spec.get("entrypointThreadName", "entrypoint"), {})
    inputs = []
    for var in entry.get("variableDefs", []):
        var_def = var.get("varDef", {})
        name = str(var_def.get("name", ""))
        inputs.append(
            {
                "name": name,
                "input": f"var-{name}",
                "type": str(var_def.get("typeDef", {}).get("primitiveType", "STR")),
                "required": bool(var.get("required")),
                "default": views.value_text(var_def.get("defaultValue"))
                if "defaultValue" in var_def
                else "",
            }
        )
    return inputs


def run_variables(spec: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """RunWf's ``variables``: each filled field typed as its variable is declared."""
    variables: dict[str, Any] = {}
    for field_ in run_inputs(spec):
        text = form.get(field_["input"], "")
        if not text.strip():
            if field_["required"]:
                raise FormError(f"{field_['name']} is required")
            continue
        variables[field_["name"]] = parse_value(text, field_["type"], what=field_["name"])
    return variables


def wf_spec_run(request: Request) -> Answer:
    """Run a WfSpec version with the variables of the form, after confirmation."""
    client = request.client
    name = request.params["name"]
    form = request.form
    version = form.get("version", "")
    major, _, revision = version.partition(".")
    back = f"/wfspecs/{quote(name, safe='')}?version={version}"
    try:
        spec = client.get_wf_spec(name, int(major or 0), int(revision or 0))
        variables = run_variables(spec, form)
    except (FormError, ValueError) as exc:
        return Redirect(f"{back}&" + urlencode({"error": str(exc)}))
    if not form.get("confirmed"):
        shown = ", ".join(f"{k} = {views.value_text(v)}" for k, v in variables.items())
        return Page(
            "confirm.html",
            {
                "summary": f"Run WfSpec {name} {version} with {shown or 'no variables'}",
                "action": f"/wfspecs/{quote(name, safe='')}/run",
                "fields": {k: v for k, v in form.items() if k not in ("confirmed", "csrf")},
                "content": "",
                "back": back,
            },
        )
    body: dict[str, Any] = {
        "wfSpecName": name,
        "majorVersion": int(major or 0),
        "revision": int(revision or 0),
        "variables": variables,
    }
    if form.get("id", "").strip():
        body["id"] = form["id"].strip()
    try:
        started = client.call("RunWf", body)
    except CanterError as exc:
        return Redirect(f"{back}&" + urlencode({"error": str(exc)}))
    wf_run_id = started["id"]["id"]
    return Redirect(run_url(wf_run_id, notice=f"Started WfRun {wf_run_id}"))


# --- TaskDefs and ExternalEventDefs ---------------------------------------------------------


def task_defs(request: Request) -> Answer:
    prefix = request.query.get("prefix", "").strip()
    ids = request.client.search_all("SearchTaskDef", {"prefix": prefix} if prefix else {})
    return Page("task_defs.html", {"names": sorted(i["name"] for i in ids), "prefix": prefix})


def task_def(request: Request) -> Answer:
    client = request.client
    name = request.params["name"]
    found = client.get_task_def(name)
    used_by = client.search_all("SearchWfSpec", {"taskDefName": name})
    return Page(
        "task_def.html",
        {
            "def": found,
            "name": name,
            "inputs": [
                {
                    "name": v.get("name", ""),
                    "type": v.get("typeDef", {}).get("primitiveType", "STR"),
                    "masked": bool(v.get("typeDef", {}).get("masked")),
                }
                for v in found.get("inputVars", [])
            ],
            "returns": declared_type(found.get("returnType")) or "any",
            "used_by": [{"label": _id_label(i), "url": _spec_url(i)} for i in used_by],
        },
    )


def event_defs(request: Request) -> Answer:
    prefix = request.query.get("prefix", "").strip()
    ids = request.client.search_all("SearchExternalEventDef", {"prefix": prefix} if prefix else {})
    return Page("event_defs.html", {"names": sorted(i["name"] for i in ids), "prefix": prefix})


def event_def(request: Request) -> Answer:
    client = request.client
    name = request.params["name"]
    found = client.get_external_event_def(name)
    recent = client.search_external_event(name, limit=PAGE_SIZE).get("results", [])
    return Page(
        "event_def.html",
        {
            "def": found,
            "name": name,
            "type": event_def_type(found) or "any",
            "recent": [
                {
                    "wf_run": e["wfRunId"]["id"],
                    "url": run_url(e["wfRunId"]["id"]),
                    "guid": e.get("guid", ""),
                }
                for e in recent
            ],
        },
    )


def definition_delete(request: Request) -> Answer:
    """Delete a WfSpec version, TaskDef or ExternalEventDef, after confirmation."""
    kind = request.params["kind"]
    name = request.params["name"]
    form = request.form
    back = {
        "wfspecs": f"/wfspecs/{quote(name, safe='')}",
        "taskdefs": f"/taskdefs/{quote(name, safe='')}",
        "eventdefs": f"/eventdefs/{quote(name, safe='')}",
    }.get(kind)
    if back is None:
        return _not_found(f"no definitions called {kind!r}")
    version = form.get("version", "0.0")
    label = {"wfspecs": f"WfSpec {name} {version}", "taskdefs": f"TaskDef {name}"}.get(
        kind, f"ExternalEventDef {name}"
    )
    if not form.get("confirmed"):
        return Page(
            "confirm.html",
            {
                "summary": f"Delete {label}",
                "action": f"{back}/delete",
                "fields": {"version": version} if kind == "wfspecs" else {},
                "content": "",
                "back": back,
            },
        )
    try:
        if kind == "wfspecs":
            major, _, revision = version.partition(".")
            request.client.delete_wf_spec(name, int(major or 0), int(revision or 0))
        elif kind == "taskdefs":
            request.client.delete_task_def(name)
        else:
            request.client.delete_external_event_def(name)
    except (CanterError, ValueError) as exc:
        return Redirect(f"{back}?" + urlencode({"error": str(exc)}))
    return Redirect(f"/{kind}?" + urlencode({"notice": f"Deleted {label}"}))


def _id_label(spec_id: Mapping[str, Any]) -> str:
    return f"{spec_id['name']} {spec_id.get('majorVersion', 0)}.{spec_id.get('revision', 0)}"


def _not_found(message: str) -> Page:
    return Page("error.html", {"code": "NOT_FOUND", "message": message}, 404)
