"""``canter deploy``: register what a module defines, in the order the API needs.

StructDefs first (nested ones before those naming them), then TaskDefs,
UserTaskDefs and ExternalEventDefs, because PutWfSpec
refuses a WfSpec naming one before it exists. Every Put is idempotent, so deploying
an unchanged module again changes nothing and prints the same versions.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from canter.builder import WorkflowDefinitionError
from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, out, print_json
from canter.cli.definitions import DefinitionConflict, collect
from canter.cli.local import load
from canter.client import Client, NotFound


def deploy(
    target: Annotated[
        str,
        typer.Argument(
            metavar="MODULE[:OBJECT]",
            help="A module (everything in it), or module:object naming a Workflow, a "
            "@canter.task function, a PutTaskDefRequest dict, a @canter.user_task class, a "
            "@canter.struct_def class, or a list of them",
        ),
    ],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """Register the StructDefs, TaskDefs, UserTaskDefs, ExternalEventDefs and WfSpecs a
    module defines.

    Example: canter deploy workflow   (imports ./workflow.py)
    """
    try:
        found = collect(load(target))
    except (DefinitionConflict, WorkflowDefinitionError) as exc:
        raise typer.BadParameter(f"{target!r}: {exc}", param_hint="MODULE[:OBJECT]") from None
    if not found:
        raise typer.BadParameter(
            f"{target!r} defines no @canter.task function, TaskDef request, "
            "@canter.user_task class or canter.Workflow",
            param_hint="MODULE[:OBJECT]",
        )
    client = connect(api_url)
    registered: dict[str, list[dict[str, Any]]] = {
        "structDefs": [client.put_struct_def(request) for request in found.ordered_struct_defs()],
        "taskDefs": [client.put_task_def(request) for request in found.task_defs.values()],
        "userTaskDefs": [
            client.put_user_task_def(request) for request in found.user_task_defs.values()
        ],
        "externalEventDefs": [
            client.put_external_event_def(name, **found.external_event_def_request(name))
            for name in found.external_event_defs
        ],
        "workflowEventDefs": [
            _workflow_event_def(client, name) for name in found.workflow_event_defs
        ],
        "wfSpecs": [client.put_wf_spec(request) for request in found.wf_specs.values()],
    }
    if as_json:
        print_json(registered)
        return
    table = Table("kind", "name", "version / signature")
    for struct_def in registered["structDefs"]:
        table.add_row(
            "StructDef", struct_def["id"]["name"], f"v{struct_def['id'].get('version', 0)}"
        )
    for task_def in registered["taskDefs"]:
        table.add_row("TaskDef", task_def["id"]["name"], render.task_def_signature(task_def))
    for user_task_def in registered["userTaskDefs"]:
        version = f"v{user_task_def.get('version', 0)}"
        table.add_row("UserTaskDef", user_task_def["name"], version)
    for event_def in registered["externalEventDefs"]:
        table.add_row("ExternalEventDef", event_def["id"]["name"], "")
    for event_def in registered["workflowEventDefs"]:
        table.add_row("WorkflowEventDef", event_def["id"]["name"], "")
    for spec in registered["wfSpecs"]:
        version = render.spec_version(spec["id"]).rpartition(" ")[2]
        table.add_row("WfSpec", spec["id"]["name"], version)
    out.print(table)


def _workflow_event_def(client: Client, name: str) -> dict[str, Any]:
    """The registered WorkflowEventDef, else one registered now without a content type."""
    try:
        return client.get_workflow_event_def(name)
    except NotFound:
        return client.put_workflow_event_def(name)
