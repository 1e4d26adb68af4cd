"""The user-task inbox: LittleHorse's UserTaskRun rpcs as pages and forms.

The inbox lists UserTaskRuns by user or group (``SearchUserTaskRun``); a
UserTaskRun's page shows its history and offers assign, complete (a form
built from the UserTaskDef's fields, each typed), cancel and comment. An API
without user tasks answers UNIMPLEMENTED, and the inbox says so instead of
failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from canter.client import CanterError, Unimplemented
from canter.dashboard import views
from canter.dashboard.forms import FormError, parse_value
from canter.dashboard.pages import PAGE_SIZE, USER_TASK_STATUSES, Answer, Page, Redirect, Request

ACTIONS = ("assign", "complete", "cancel", "comment")


def task_url(wf_run_id: str, guid: str) -> str:
    return f"/usertasks/{quote(wf_run_id, safe='')}/{quote(guid, safe='')}"


def _run_id(wf_run_id: str, guid: str) -> dict[str, Any]:
    return {"wfRunId": {"id": wf_run_id}, "userTaskGuid": guid}


def inbox(request: Request) -> Answer:
    q = request.query
    body = {
        "userId": q.get("user", "").strip() or None,
        "userGroup": q.get("group", "").strip() or None,
        "status": q.get("status") or None,
        "userTaskDefName": q.get("def", "").strip() or None,
        "limit": PAGE_SIZE,
        "bookmark": q.get("bookmark") or None,
    }
    context: dict[str, Any] = {
        "q": q,
        "statuses": USER_TASK_STATUSES,
        "rows": [],
        "next": None,
        "unavailable": False,
        "error": "",
    }
    client = request.client
    try:
        page = client.search("SearchUserTaskRun", {k: v for k, v in body.items() if v is not None})
    except Unimplemented:
        context["unavailable"] = True
        return Page("user_tasks.html", context)
    except CanterError as exc:
        context["error"] = str(exc)
        return Page("user_tasks.html", context)
    for task_id in page.get("results", []):
        try:
            run = client.call("GetUserTaskRun", task_id)
        except CanterError:
            continue
        context["rows"].append(_row(run))
    if page.get("bookmark"):
        criteria = {k: v for k, v in q.items() if k not in ("bookmark", "notice", "error")}
        context["next"] = "/usertasks?" + urlencode({**criteria, "bookmark": page["bookmark"]})
    return Page("user_tasks.html", context)


def _row(run: Mapping[str, Any]) -> dict[str, Any]:
    wf_run_id = run["id"]["wfRunId"]["id"]
    guid = run["id"]["userTaskGuid"]
    return {
        "url": task_url(wf_run_id, guid),
        "def": run.get("userTaskDefId", {}).get("name", ""),
        "wf_run": wf_run_id,
        "wf_run_url": f"/wfruns/{quote(wf_run_id, safe='')}",
        "user": run.get("userId", ""),
        "group": run.get("userGroup", ""),
        "status": run.get("status", "UNASSIGNED"),
        "scheduled": run.get("scheduledTime", ""),
        "notes": run.get("notes", ""),
    }


def user_task(request: Request) -> Answer:
    client = request.client
    wf_run_id, guid = request.params["wf_run_id"], request.params["guid"]
    run = client.call("GetUserTaskRun", _run_id(wf_run_id, guid))
    task_def = client.call("GetUserTaskDef", run["userTaskDefId"])
    return Page(
        "user_task.html",
        {
            "task": _row(run),
            "run": run,
            "def": task_def,
            "fields": form_fields(task_def, run.get("results", {})),
            "events": [_event_text(e) for e in run.get("events", [])],
            "action_url": task_url(wf_run_id, guid),
            "open": run.get("status", "UNASSIGNED") in ("UNASSIGNED", "ASSIGNED"),
        },
    )


def form_fields(
    task_def: Mapping[str, Any], saved: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The completion form: one input per UserTaskField, typed, prefilled with saved results."""
    fields = []
    for f in task_def.get("fields", []):
        kind = str(f.get("type", "STR"))
        previous = (saved or {}).get(f["name"])
        fields.append(
            {
                "name": f["name"],
                "input": f"field-{f['name']}",
                "label": f.get("displayName") or f["name"],
                "description": f.get("description", ""),
                "type": kind,
                "required": bool(f.get("required")),
                "widget": {"BOOL": "checkbox", "INT": "number", "DOUBLE": "number"}.get(
                    kind, "textarea" if kind.startswith("JSON") else "text"
                ),
                "value": _plain(previous),
            }
        )
    return fields


def _plain(value: Mapping[str, Any] | None) -> str:
    if not value:
        return ""
    ((kind, raw),) = value.items()
    return str(raw).lower() if kind == "bool" else str(raw)


def results_from_form(task_def: Mapping[str, Any], form: Mapping[str, str]) -> dict[str, Any]:
    """CompleteUserTaskRun's ``results``: each field's text typed by its UserTaskField."""
    results: dict[str, Any] = {}
    for f in task_def.get("fields", []):
        kind = str(f.get("type", "STR"))
        key = f"field-{f['name']}"
        label = f.get("displayName") or f["name"]
        if kind == "BOOL":
            results[f["name"]] = {"bool": form.get(key) in ("on", "true")}
            continue
        text = form.get(key, "")
        if not (text if kind == "STR" else text.strip()):
            if f.get("required"):
                raise FormError(f"{label} is required")
            continue
        results[f["name"]] = parse_value(text, kind, what=label)
    return results


def _event_text(event: Mapping[str, Any]) -> dict[str, str]:
    """One line of a UserTaskRun's history."""
    time = str(event.get("time", ""))
    if "assigned" in event:
        a = event["assigned"]
        to = a.get("newUserId") or a.get("newUserGroup") or "nobody"
        text = f"assigned to {to}"
    elif "commentAdded" in event:
        c = event["commentAdded"]
        text = f"{c.get('userId', '')} commented: {c.get('comment', '')}"
    elif "commentEdited" in event:
        c = event["commentEdited"]
        text = f"{c.get('userId', '')} edited a comment: {c.get('comment', '')}"
    elif "commentDeleted" in event:
        text = f"{event['commentDeleted'].get('userId', '')} deleted a comment"
    elif "cancelled" in event:
        text = f"cancelled {event['cancelled'].get('message', '')}".strip()
    elif "saved" in event:
        saved = event["saved"]
        values = ", ".join(
            f"{k} = {views.value_text(v)}" for k, v in saved.get("results", {}).items()
        )
        text = f"{saved.get('userId', '')} saved {values}"
    elif "completed" in event:
        text = "completed"
    elif "taskExecuted" in event:
        text = "ran a reminder task"
    else:
        text = ", ".join(k for k in event if k != "time")
    return {"time": time, "text": text}


def action(request: Request) -> Answer:
    """Assign, complete, cancel or comment, after a confirmation page."""
    client = request.client
    wf_run_id, guid = request.params["wf_run_id"], request.params["guid"]
    verb = request.params["action"]
    form = request.form
    back = task_url(wf_run_id, guid)
    if verb not in ACTIONS:
        return Page("error.html", {"code": "NOT_FOUND", "message": f"no action {verb!r}"}, 404)
    task_id = _run_id(wf_run_id, guid)
    body: dict[str, Any] = {"userTaskRunId": task_id}
    try:
        if verb == "assign":
            body |= {
                k: v
                for k, v in (
                    ("userId", form.get("user", "").strip()),
                    ("userGroup", form.get("group", "").strip()),
                )
                if v
            }
            if "userId" not in body and "userGroup" not in body:
                raise FormError("assign to a user, a group, or both")
            body["overrideClaim"] = form.get("override") in ("on", "true")
            summary = f"Assign user task {guid} to " + " / ".join(
                str(body[k]) for k in ("userId", "userGroup") if k in body
            )
        elif verb == "complete":
            run = client.call("GetUserTaskRun", task_id)
            task_def = client.call("GetUserTaskDef", run["userTaskDefId"])
            body["results"] = results_from_form(task_def, form)
            body["userId"] = form.get("user", "").strip() or run.get("userId", "")
            if not body["userId"]:
                raise FormError("say which user completes the task")
            shown = ", ".join(f"{k} = {views.value_text(v)}" for k, v in body["results"].items())
            summary = f"Complete user task {guid} as {body['userId']}: {shown or 'no results'}"
        elif verb == "cancel":
            summary = f"Cancel user task {guid} of WfRun {wf_run_id}"
        else:
            body["userId"] = form.get("user", "").strip()
            body["comment"] = form.get("comment", "").strip()
            if not body["userId"] or not body["comment"]:
                raise FormError("a comment needs a user and some text")
            summary = f"Comment on user task {guid} as {body['userId']}"
    except FormError as exc:
        return Redirect(f"{back}?" + urlencode({"error": str(exc)}))
    if not form.get("confirmed"):
        return Page(
            "confirm.html",
            {
                "summary": summary,
                "action": f"{back}/{verb}",
                "fields": {k: v for k, v in form.items() if k not in ("confirmed", "csrf")},
                "content": "",
                "back": back,
            },
        )
    rpc = {
        "assign": "AssignUserTaskRun",
        "complete": "CompleteUserTaskRun",
        "cancel": "CancelUserTaskRun",
        "comment": "PutUserTaskRunComment",
    }[verb]
    try:
        client.call(rpc, body)
    except CanterError as exc:
        return Redirect(f"{back}?" + urlencode({"error": str(exc)}))
    done = {"assign": "Assigned", "complete": "Completed", "cancel": "Cancelled"}.get(
        verb, "Commented on"
    )
    return Redirect(f"{back}?" + urlencode({"notice": f"{done} user task {guid}"}))
