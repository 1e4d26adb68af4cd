"""``canter delete``: a WfRun (``canter delete ID`` as before) or a definition."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from canter.cli.common import ApiUrl, connect, out


class _DeleteGroup(TyperGroup):
    """``canter delete ID`` keeps meaning ``canter delete wfRun ID``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["wfRun", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DeleteGroup,
    help="Delete a WfRun or a definition.\n\nExample: canter delete ord-1001 (a WfRun), "
    "canter delete taskDef ship-order",
    no_args_is_help=True,
)

Name = Annotated[str, typer.Argument(help="The definition's name", show_default=False)]


@app.command("wfRun")
def wf_run(
    wf_run_id: Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)],
    api_url: ApiUrl = None,
) -> None:
    """Delete a WfRun and everything under it (gone from reads within about a second).

    Example: canter delete wfRun ord-1001 (or just canter delete ord-1001)
    """
    connect(api_url).delete_wf_run(wf_run_id)
    out.print(f"WfRun {wf_run_id}: delete requested")


@app.command("wfSpec")
def wf_spec(
    name: Name,
    major_version: Annotated[int, typer.Argument(help="Major version")] = 0,
    revision: Annotated[int, typer.Argument(help="Revision")] = 0,
    api_url: ApiUrl = None,
) -> None:
    """Delete one WfSpec version (refused while its WfRuns run).

    Example: canter delete wfSpec order-fulfillment 1 0
    """
    connect(api_url).delete_wf_spec(name, major_version, revision)
    out.print(f"WfSpec {name} v{major_version}.{revision}: deleted")


@app.command("taskDef")
def task_def(name: Name, api_url: ApiUrl = None) -> None:
    """Delete a TaskDef (WfSpecs already registered keep their copy of it).

    Example: canter delete taskDef ship-order
    """
    connect(api_url).delete_task_def(name)
    out.print(f"TaskDef {name}: deleted")


@app.command("externalEventDef")
def external_event_def(name: Name, api_url: ApiUrl = None) -> None:
    """Delete an ExternalEventDef.

    Example: canter delete externalEventDef payment-received
    """
    connect(api_url).delete_external_event_def(name)
    out.print(f"ExternalEventDef {name}: deleted")


@app.command("workflowEventDef")
def workflow_event_def(name: Name, api_url: ApiUrl = None) -> None:
    """Delete a WorkflowEventDef.

    Example: canter delete workflowEventDef order-shipped
    """
    connect(api_url).delete_workflow_event_def(name)
    out.print(f"WorkflowEventDef {name}: deleted")
