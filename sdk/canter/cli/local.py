"""``canter dev`` and ``canter worker``: the processes a developer keeps running."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from canter_engine.resources import ENV_STATUS_EVENTS, TASK_QUEUE_VISIBILITY_SECONDS

from canter import discovery
from canter.cli.common import ApiUrl
from canter.client import Client
from canter.dashboard import Dashboard
from canter.worker import Worker


def dev(
    port: Annotated[int, typer.Option(help="Port of the local API (0: any free port)")] = 8787,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    aws_port: Annotated[
        int | None,
        typer.Option(
            help="Port of the local AWS endpoint (moto) that workers poll; default: --port + 1 "
            "(any free port with --port 0)",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory of the local state and of the URLs other commands find; default: "
            f"$CANTER_STATE_DIR or {discovery.DEFAULT_STATE_DIR}/ in the working directory",
            show_default=False,
        ),
    ] = None,
    in_memory: Annotated[
        bool, typer.Option(help="Keep nothing: every start begins empty, as before 0.2")
    ] = False,
    lambda_tasks: Annotated[
        list[str] | None,
        typer.Option(
            help="module:attribute naming a canter.lambda_handler, or the task functions it "
            "takes, to run as Lambda would from their queues (repeatable)",
            show_default=False,
        ),
    ] = None,
    lambda_timeout: Annotated[
        int, typer.Option(help="The Lambda timeout (seconds) of --lambda-tasks functions")
    ] = TASK_QUEUE_VISIBILITY_SECONDS,
    dashboard_port: Annotated[
        int | None,
        typer.Option(
            help="Port of the dashboard, on 127.0.0.1; default: --port + 2, or any free "
            "port if that one is taken; -1: no dashboard",
            show_default=False,
        ),
    ] = None,
    status_events: Annotated[
        str | None,
        typer.Option(
            help="WfSpec names (comma-separated, or '*') whose WfRun status changes are "
            "published to the local EventBridge bus; name:all also publishes their TaskRun, "
            "Variable, ExternalEvent, WorkflowEvent and UserTaskRun changes; read them with "
            "canter events tail",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the whole stack locally: moto, the scheduler, timers and the HTTP API.

    State (definitions, WfRuns, queued tasks, timers, events) is kept in the
    state directory and survives Ctrl-C, SIGTERM and crashes; delete the
    directory to start afresh. Prints the API URL, an ``AWS_ENDPOINT_URL=``
    line for workers, the dashboard's ``dashboard:`` URL, then ``ready``.
    Ctrl-C stops everything.

    With --lambda-tasks, task functions run through canter.lambda_handler
    fed with Lambda-shaped SQS events, the code path deployed by
    canter.cdk.TaskFunction.

    Example: canter dev --port 8787 --lambda-tasks tasks:handler
    """
    from canter.local import LocalStack
    from canter.local.snapshot import StateRefused

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    directory = discovery.state_dir(state_dir)
    if status_events is not None:
        os.environ[ENV_STATUS_EVENTS] = status_events
    stack = LocalStack(
        host=host, port=port, aws_port=aws_port, state_dir=None if in_memory else directory
    )
    try:
        stack.start()
    except StateRefused as exc:
        stack.stop()
        typer.echo(f"canter dev: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        stack.stop()
        typer.echo(
            f"canter dev: cannot listen on {host}:{port} or its AWS endpoint port ({exc}); "
            "try --port 0, or another --port / --aws-port",
            err=True,
        )
        raise typer.Exit(1) from None
    for target in lambda_tasks or []:
        try:
            stack.add_lambda_tasks(load(target), timeout_seconds=lambda_timeout)
        except Exception as exc:
            stack.stop()
            typer.echo(f"canter dev: --lambda-tasks {target}: {exc}", err=True)
            raise typer.Exit(1) from None
    board = _start_dashboard(stack, port, dashboard_port)
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    urls = discovery.DevUrls(stack.api_url, stack.endpoint_url, os.getpid())
    discovery.write_urls(directory, urls)
    if in_memory:
        print("Canter state: in memory, lost when this stops")
    else:
        print(f"Canter state: {directory} ({'restored' if stack.restored else 'new'})")
    print(f"Canter API: {stack.api_url}")
    print(f"CANTER_API_URL={stack.api_url}")
    print(f"AWS_ENDPOINT_URL={stack.endpoint_url}")
    if board is not None:
        print(f"dashboard: {board.url}")
    print("ready", flush=True)
    try:
        stopped.wait()
    finally:
        discovery.remove_urls(directory)
        if board is not None:
            board.stop()
        stack.stop()
        print("stopped", flush=True)


def _start_dashboard(stack: Any, api_port: int, port: int | None) -> Dashboard | None:
    """The dashboard for the local API, on loopback (``port`` -1: none).

    Without --dashboard-port it takes the API's port + 2, or any free port
    when that one is taken: a busy default never stops the stack.
    """
    if port == -1:
        return None
    chosen = port if port is not None else (api_port + 2 if api_port else 0)
    try:
        return Dashboard(stack.api_url, "127.0.0.1", chosen).start()
    except OSError as exc:
        if port is None and chosen != 0:
            return Dashboard(stack.api_url, "127.0.0.1", 0).start()
        stack.stop()
        typer.echo(
            f"canter dev: cannot serve the dashboard on 127.0.0.1:{chosen} ({exc}); "
            "give another --dashboard-port, or -1 for none",
            err=True,
        )
        raise typer.Exit(1) from None


def worker(
    target: Annotated[
        str,
        typer.Argument(
            help="module:attribute naming a Worker, a dict of TaskDef name to function, "
            "or a list of task functions"
        ),
    ],
    api_url: ApiUrl = None,
    concurrency: Annotated[int, typer.Option(help="Tasks run at the same time")] = 4,
    register: Annotated[
        bool, typer.Option(help="Put the TaskDefs of @canter.task functions before polling")
    ] = False,
) -> None:
    """Run a task worker until Ctrl-C or SIGTERM.

    Example: canter worker tasks:TASKS --register
    """
    if ":" not in target:
        raise typer.BadParameter(f"{target!r}: expected module:attribute", param_hint="TARGET")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    loaded = load(target)
    runner = (
        loaded
        if isinstance(loaded, Worker)
        else Worker(
            Client(api_url),
            _tasks(loaded, target),
            concurrency=concurrency,
            register_task_defs=register,
        )
    )
    runner.run()


def load(target: str) -> Any:
    """``module:attribute`` (or ``module`` alone), importable from the current directory."""
    module_name, _, attribute = target.partition(":")
    if not module_name:
        raise typer.BadParameter(f"{target!r}: expected module:attribute", param_hint="TARGET")
    cwd = os.getcwd()  # absolute: a cached finder for "." keeps the directory it first saw
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute) if attribute else module
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"{target!r}: {exc}", param_hint="TARGET") from None


def _tasks(
    loaded: Any, target: str
) -> Mapping[str, Callable[..., Any]] | Iterable[Callable[..., Any]]:
    if isinstance(loaded, Mapping) or (
        isinstance(loaded, list | tuple) and all(callable(f) for f in loaded)
    ):
        return loaded
    raise typer.BadParameter(
        f"{target!r} is a {type(loaded).__name__}; expected a Worker, a dict of TaskDef name "
        "to function, or a list of functions",
        param_hint="TARGET",
    )
