"""``canter usertask``: find, show, assign, complete, cancel and comment on UserTaskRuns.

A UserTaskRun is named by its WfRun id and its guid (``search`` and
``list`` show both). ``complete`` is typed against the UserTaskDef the run
belongs to: in a terminal with no ``field=value`` arguments it asks for each
field by its display name; otherwise the arguments are parsed as the fields'
types, and a missing required field or a bad value is a usage error before
anything reaches the API.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json
from canter.cli.values import BadValue, parse_value
from canter.client import Client, user_task_run_id

app = typer.Typer(help="Work for people: find, show, assign, complete, cancel UserTaskRuns.")


class Status(StrEnum):
    UNASSIGNED = "UNASSIGNED"
    ASSIGNED = "ASSIGNED"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


WfRunId = Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)]
Guid = Annotated[str, typer.Argument(help="The UserTaskRun's guid (see search)")]
UserId = Annotated[str | None, typer.Option("--user-id", help="The user")]
UserGroup = Annotated[str | None, typer.Option("--user-group", help="The group")]


@app.command("search")
def search(
    user_id: UserId = None,
    user_group: UserGroup = None,
    status: Annotated[Status | None, typer.Option(help="Only runs with this status")] = None,
    user_task_def: Annotated[
        str | None, typer.Option("--def", help="Only runs of this UserTaskDef")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Created at or after (RFC 3339, 2024-05-01T12:00:00Z)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Created at or before (RFC 3339)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many")] = 100,
    bookmark: Annotated[
        str | None, typer.Option(help="Continue where the previous page stopped")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """UserTaskRuns by user, group, status, UserTaskDef and time, newest first (one page).

    Example: canter usertask search --user-group finance --status UNASSIGNED
    """
    client = connect(api_url)
    page = client.search_user_task_run(
        status.value if status else None,
        user_task_def_name=user_task_def,
        user_id=user_id,
        user_group=user_group,
        earliest_start=since,
        latest_start=until,
        limit=limit,
        bookmark=bookmark,
    )
    if as_json:
        print_json(page)
        return
    runs = [
        client.get_user_task_run(str(found["wfRunId"]["id"]), str(found["userTaskGuid"]))
        for found in page.get("results", [])
    ]
    out.print(runs_table(runs))
    if page.get("bookmark"):
        typer.echo(f"more: --bookmark {page['bookmark']}")


@app.command("list")
def list_runs(wf_run_id: WfRunId, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """The UserTaskRuns of one WfRun.

    Example: canter usertask list expense-17
    """
    runs = connect(api_url).list_user_task_runs(wf_run_id)
    if as_json:
        print_json({"results": runs})
    else:
        out.print(runs_table(runs))


@app.command("get")
def get(wf_run_id: WfRunId, guid: Guid, as_json: AsJson = False, api_url: ApiUrl = None) -> None:
    """One UserTaskRun: who has it, its notes and results, and everything that happened to it.

    Example: canter usertask get expense-17 0a1b2c
    """
    found = connect(api_url).get_user_task_run(wf_run_id, guid)
    if as_json:
        print_json(found)
        return
    out.print(run_view(found))
    out.print(events_table(found.get("events", [])))


@app.command("assign")
def assign(
    wf_run_id: WfRunId,
    guid: Guid,
    user_id: UserId = None,
    user_group: UserGroup = None,
    override_claim: Annotated[
        bool, typer.Option("--override-claim", help="Take it even from the user who has it")
    ] = False,
    api_url: ApiUrl = None,
) -> None:
    """Assign a UserTaskRun to a user and/or a group.

    Example: canter usertask assign expense-17 0a1b2c --user-id anna
    """
    if user_id is None and user_group is None:
        raise typer.BadParameter("give --user-id, --user-group or both")
    connect(api_url).assign_user_task_run(
        wf_run_id, guid, user_id=user_id, user_group=user_group, override_claim=override_claim
    )
    who = " / ".join(part for part in (user_id, user_group) if part)
    out.print(f"UserTaskRun {wf_run_id}/{guid} assigned to {who}")


@app.command("complete")
def complete(
    wf_run_id: WfRunId,
    guid: Guid,
    fields: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[FIELD=VALUE]...",
            help="The results, typed by the UserTaskDef's fields; in a terminal, leave them "
            "out to be asked for each field",
            show_default=False,
        ),
    ] = None,
    user_id: Annotated[
        str | None, typer.Option("--user-id", help="Who completes it (default: its user)")
    ] = None,
    api_url: ApiUrl = None,
) -> None:
    """Complete a UserTaskRun with its results; the WfRun then moves on.

    Example: canter usertask complete expense-17 0a1b2c approved=true reason="within budget"
    """
    client = connect(api_url)
    run = client.get_user_task_run(wf_run_id, guid)
    definition = _definition_of(client, run)
    try:
        if not fields and sys.stdin.isatty():
            results = ask_for_results(definition)
        else:
            results = parse_results(fields or [], definition)
    except BadValue as exc:
        raise typer.BadParameter(str(exc), param_hint="FIELD=VALUE") from None
    request: dict[str, Any] = {
        "userTaskRunId": user_task_run_id(wf_run_id, guid),
        "results": results,
    }
    if user_id is not None:
        request["userId"] = user_id
    client.call("CompleteUserTaskRun", request)
    out.print(f"UserTaskRun {wf_run_id}/{guid} completed")


@app.command("cancel")
def cancel(wf_run_id: WfRunId, guid: Guid, api_url: ApiUrl = None) -> None:
    """Cancel a UserTaskRun: its node fails (with the node's cancellation EXCEPTION, if set).

    Example: canter usertask cancel expense-17 0a1b2c
    """
    connect(api_url).cancel_user_task_run(wf_run_id, guid)
    out.print(f"UserTaskRun {wf_run_id}/{guid} cancelled")


@app.command("comment")
def comment(
    wf_run_id: WfRunId,
    guid: Guid,
    text: Annotated[
        str | None, typer.Argument(help="The comment (not with --delete)", show_default=False)
    ] = None,
    user_id: Annotated[str, typer.Option("--user-id", help="Who comments")] = "",
    edit: Annotated[
        int | None, typer.Option(help="Replace the text of this comment id", show_default=False)
    ] = None,
    delete: Annotated[
        int | None, typer.Option(help="Delete this comment id", show_default=False)
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Comment on a UserTaskRun, or edit or delete a comment.

    Example: canter usertask comment expense-17 0a1b2c "receipt attached" --user-id anna
    """
    if not user_id:
        raise typer.BadParameter("a comment needs --user-id", param_hint="--user-id")
    if edit is not None and delete is not None:
        raise typer.BadParameter("give --edit or --delete, not both")
    if (text is None) != (delete is not None):
        raise typer.BadParameter("give the comment's text, or --delete without text")
    client = connect(api_url)
    if delete is not None:
        updated = client.delete_user_task_run_comment(wf_run_id, guid, delete, user_id=user_id)
    elif edit is not None:
        updated = client.edit_user_task_run_comment(
            wf_run_id, guid, edit, str(text), user_id=user_id
        )
    else:
        updated = client.put_user_task_run_comment(wf_run_id, guid, str(text), user_id=user_id)
    if as_json:
        print_json(updated)
        return
    events: list[dict[str, Any]] = updated.get("events", [])
    kind, detail = event_summary(events[-1] if events else {})
    out.print(f"UserTaskRun {wf_run_id}/{guid}: {kind} {detail}".rstrip())


@app.command("def")
def definition(
    name: Annotated[str, typer.Argument(help="The UserTaskDef's name")],
    version: Annotated[int | None, typer.Option(help="Default: the latest")] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """A UserTaskDef: the form's fields, their types and which are required.

    Example: canter usertask def expense-approval
    """
    client = connect(api_url)
    found = (
        client.get_latest_user_task_def(name)
        if version is None
        else client.get_user_task_def(name, version)
    )
    if as_json:
        print_json(found)
        return
    table = Table(
        "field", "type", "required", "display name", "description",
        title=f"UserTaskDef {found['name']} v{found.get('version', 0)}", title_justify="left",
    )  # fmt: skip
    for field in found.get("fields", []):
        table.add_row(
            str(field["name"]),
            str(field.get("type", "JSON_OBJ")),
            "yes" if field.get("required") else "no",
            str(field.get("displayName", "")),
            str(field.get("description", "")),
        )
    out.print(table)
    if found.get("description"):
        out.print(str(found["description"]))


@app.command("defs")
def definitions(
    prefix: Annotated[str | None, typer.Option(help="Only names starting with this")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many")] = 100,
    bookmark: Annotated[
        str | None, typer.Option(help="Continue where the previous page stopped")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """UserTaskDef versions by name prefix (one page).

    Example: canter usertask defs --prefix expense-
    """
    page = connect(api_url).search_user_task_def(prefix, limit=limit, bookmark=bookmark)
    if as_json:
        print_json(page)
        return
    table = Table("UserTaskDef", "version")
    for found in page.get("results", []):
        table.add_row(str(found["name"]), f"v{found.get('version', 0)}")
    out.print(table)
    if page.get("bookmark"):
        typer.echo(f"more: --bookmark {page['bookmark']}")


# --- typed results -----------------------------------------------------------------


def parse_results(
    assignments: Iterable[str], definition: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """``field=value`` strings as VariableValues of the fields' types; required ones present."""
    fields = _fields(definition)
    results: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name:
            raise BadValue(f"{assignment!r} is not field=value")
        if name not in fields:
            raise BadValue(
                f"UserTaskDef {definition['name']!r} has no field {name!r}; "
                f"its fields: {_describe_fields(fields.values())}"
            )
        results[name] = parse_value(name, fields[name].get("type", "JSON_OBJ"), text, "field")
    missing = [n for n, f in fields.items() if f.get("required") and n not in results]
    if missing:
        raise BadValue(
            f"UserTaskDef {definition['name']!r} requires {', '.join(map(repr, missing))}; "
            f"its fields: {_describe_fields(fields.values())}"
        )
    return results


def ask_for_results(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Ask for each field in turn; an empty answer skips an optional field."""
    results: dict[str, dict[str, Any]] = {}
    for name, field in _fields(definition).items():
        if field.get("description"):
            typer.echo(field["description"])
        var_type = field.get("type", "JSON_OBJ")
        label = f"{field.get('displayName') or name} ({var_type}"
        label += ", required)" if field.get("required") else ", Enter to skip)"
        while True:
            text = typer.prompt(label, default="", show_default=False)
            if not text and not field.get("required"):
                break
            if not text:
                typer.echo(f"{name} is required")
                continue
            try:
                results[name] = parse_value(name, var_type, text, "field")
                break
            except BadValue as exc:
                typer.echo(str(exc))
    return results


def _definition_of(client: Client, run: Mapping[str, Any]) -> dict[str, Any]:
    """The UserTaskDef version the run was created from."""
    def_id = run.get("userTaskDefId", {})
    return client.get_user_task_def(str(def_id["name"]), int(def_id.get("version", 0)))


def _fields(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(field["name"]): field for field in definition.get("fields", [])}


def _describe_fields(fields: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(
        f"{f['name']} ({f.get('type', 'JSON_OBJ')}{', required' if f.get('required') else ''})"
        for f in fields
    )


# --- rendering -----------------------------------------------------------------------


def runs_table(runs: Iterable[Mapping[str, Any]]) -> Table:
    table = Table("WfRun", "guid", "UserTaskDef", "status", "user", "group", "created")
    for run in runs:
        ident = run.get("id", {})
        table.add_row(
            str(ident.get("wfRunId", {}).get("id", "")),
            str(ident.get("userTaskGuid", "")),
            _def_version(run),
            render.status(run.get("status") or "UNASSIGNED"),
            str(run.get("userId", "")) or "-",
            str(run.get("userGroup", "")) or "-",
            render.when(run.get("scheduledTime")),
        )
    return table


def run_view(run: Mapping[str, Any]) -> Table:
    ident = run.get("id", {})
    node = run.get("nodeRunId", {})
    rows: list[tuple[str, Any]] = [
        ("UserTaskDef", _def_version(run)),
        ("status", render.status(run.get("status") or "UNASSIGNED")),
        ("user", run.get("userId") or "-"),
        ("group", run.get("userGroup") or "-"),
        ("notes", run.get("notes") or "-"),
        ("created", render.when(run.get("scheduledTime"))),
        ("node", f"thread {node.get('threadRunNumber', 0)}, position {node.get('position', 0)}"),
    ]
    rows += [
        (f"result {name}", render.value_text(value))
        for name, value in run.get("results", {}).items()
    ]
    title = f"UserTaskRun {ident.get('wfRunId', {}).get('id', '')}/{ident.get('userTaskGuid', '')}"
    return render.key_values(title, rows)


def events_table(events: Iterable[Mapping[str, Any]]) -> Table:
    table = Table("time", "event", "detail")
    for event in events:
        kind, detail = event_summary(event)
        table.add_row(render.when(event.get("time")), kind, detail)
    return table


def event_summary(event: Mapping[str, Any]) -> tuple[str, str]:
    """A ``UserTaskEvent`` as its kind and a one-line detail."""
    if "assigned" in event:
        moved = event["assigned"]
        old = _who(moved.get("oldUserId"), moved.get("oldUserGroup"))
        return "assigned", f"{old} -> {_who(moved.get('newUserId'), moved.get('newUserGroup'))}"
    if "taskExecuted" in event:
        task_run = event["taskExecuted"].get("taskRun", {})
        return "task executed", f"TaskRun {task_run.get('taskGuid', '')}"
    if "cancelled" in event:
        return "cancelled", str(event["cancelled"].get("message", ""))
    if "saved" in event:
        saved = event["saved"]
        names = ", ".join(saved.get("results", {}))
        return "saved", f"by {saved.get('userId', '')}: {names}"
    for key, kind in (("commentAdded", "comment"), ("commentEdited", "comment edited")):
        if key in event:
            said = event[key]
            return kind, f"#{said.get('userCommentId', 0)} {said.get('userId', '')}: " + str(
                said.get("comment", "")
            )
    if "commentDeleted" in event:
        gone = event["commentDeleted"]
        return "comment deleted", f"#{gone.get('userCommentId', 0)} by {gone.get('userId', '')}"
    if "completed" in event:
        return "completed", ""
    return "", ""


def _who(user_id: str | None, user_group: str | None) -> str:
    return " / ".join(part for part in (user_id, user_group) if part) or "nobody"


def _def_version(run: Mapping[str, Any]) -> str:
    def_id = run.get("userTaskDefId", {})
    return f"{def_id.get('name', '')} v{def_id.get('version', 0)}"
