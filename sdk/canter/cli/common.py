"""What every command shares: exit codes, the connection options, the consoles.

Exit codes are part of the CLI's contract (scripts branch on them), so they
live in one place and the root command group maps API errors onto them: no
command catches a :class:`CanterError` itself.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from canter.cli.hints import explain
from canter.client import CanterError, Client, NotFound, Unavailable
from canter.discovery import ENV_API_URL


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    NOT_FOUND = 3
    UNREACHABLE = 4


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 a request failed, or under --wait the WfRun ended ERROR or "
    "EXCEPTION (or did not end in time); 2 usage error (bad argument, bad variable value); "
    "3 not found; 4 the API cannot be reached."
)

out = Console(highlight=False, markup=False)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)

ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar=ENV_API_URL,
        show_default=False,
        help="Canter API URL; default: the running `canter dev` found through .canter/dev.json "
        "(or CANTER_STATE_DIR), else http://127.0.0.1:8787. A deployed API is called with "
        "SigV4 using your AWS credentials.",
    ),
]
AsJson = Annotated[
    bool, typer.Option("--json", help="Print the raw LittleHorse JSON instead of tables.")
]


def connect(api_url: str | None) -> Client:
    return Client(api_url)


def exit_code_for(error: CanterError) -> ExitCode:
    if isinstance(error, NotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, Unavailable):
        return ExitCode.UNREACHABLE
    return ExitCode.FAILED


def print_json(value: Any) -> None:
    """Raw JSON on stdout, unstyled, so ``| jq`` always works."""
    typer.echo(json.dumps(value, indent=2))


def fail(message: str, code: ExitCode = ExitCode.FAILED) -> typer.Exit:
    """Print one line to stderr; raise the returned exit to end the command."""
    err.print(f"canter: {message}", markup=False)
    return typer.Exit(int(code))


class CanterGroup(TyperGroup):
    """The root group: an API error from any command is one line and a meaningful exit code."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context: no public name
        try:
            return super().invoke(ctx)
        except CanterError as exc:
            raise fail(explain(exc, Client(_api_url(ctx))), exit_code_for(exc)) from None


def _api_url(ctx: Any) -> str | None:
    """The --api-url the failed command was given, if any (else env or default)."""
    args = [*getattr(ctx, "protected_args", []), *ctx.args]
    for index, arg in enumerate(args):
        if arg == "--api-url" and index + 1 < len(args):
            return str(args[index + 1])
        if arg.startswith("--api-url="):
            return str(arg.partition("=")[2])
    return None
