"""The ``canter`` command tree: which command lives where."""

from __future__ import annotations

import typer

from canter.cli import (
    awaiting,
    bulk,
    control,
    correlated,
    events,
    get,
    listing,
    migrate,
    remove,
    schedule,
    search,
    user_tasks,
)
from canter.cli.common import EXIT_CODES_HELP, CanterGroup
from canter.cli.dashboard import dashboard
from canter.cli.deploy import deploy
from canter.cli.local import dev, worker
from canter.cli.rescue import rescue
from canter.cli.run import run

app = typer.Typer(
    cls=CanterGroup,
    help="Canter: LittleHorse-style workflows, serverless on AWS.\n\n"
    "Talks to the local stack (canter dev) unless --api-url or CANTER_API_URL names "
    "a deployed API.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command()(dev)
app.command()(deploy)
app.command()(run)
app.add_typer(get.app, name="get")
app.add_typer(listing.app, name="list")
app.add_typer(search.app, name="search")
app.add_typer(control.post_app, name="post")
app.command()(control.stop)
app.command()(control.resume)
app.command()(rescue)
app.add_typer(schedule.app, name="schedule")
app.add_typer(migrate.app, name="migrate")
app.add_typer(bulk.app, name="bulk")
app.add_typer(remove.app, name="delete")
app.add_typer(awaiting.app, name="await")
app.add_typer(correlated.app, name="correlated")
app.add_typer(events.app, name="events")
app.command()(worker)
app.add_typer(user_tasks.app, name="usertask")
app.command()(dashboard)
