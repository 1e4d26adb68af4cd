"""``canter get``: one object by its id, as a table or tree, or as raw JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from canter.cli import render
from canter.cli.common import ApiUrl, AsJson, connect, err, out, print_json
from canter.cli.queue_hint import waiting_tasks

app = typer.Typer(help="Show one object (WfRun, NodeRun, TaskRun, Variable, WfSpec, TaskDef).")

WfRunId = Annotated[str, typer.Argument(help="The WfRun's id", show_default=False)]
Thread = Annotated[int, typer.Option("--thread", help="ThreadRun number")]


Threads = Annotated[
    int,
    typer.Option("--threads", min=1, help="Show at most this many threads (a fan-out has 10,000)"),
]
FromThread = Annotated[int, typer.Option("--from-thread", min=0, help="The first thread to show")]


@app.command("wfRun")
def wf_run(
    wf_run_id: WfRunId,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
    threads: Threads = 50,
    from_thread: FromThread = 0,
) -> None:
    """A WfRun: its status and a tree of its threads and their NodeRuns, a page
    of threads at a time (--threads, --from-thread).

    Example: canter get wfRun ord-1001
    """
    client = connect(api_url)
    found = client.get_wf_run(wf_run_id)
    if as_json:
        print_json(found)
        return
    every = found.get("threadRuns", [])
    shown = [
        t
        for i, t in enumerate(every)
        if from_thread <= int(t.get("number", i)) < from_thread + threads
    ]
    if len(shown) == len(every):
        nodes = client.list_node_runs(wf_run_id)
        task_runs = render.by_guid(client.list_task_runs(wf_run_id))
    else:
        # One thread's NodeRuns and TaskRuns at a time: the page read, not the WfRun.
        numbers = [int(t.get("number", 0)) for t in shown]
        nodes = [n for number in numbers for n in client.list_node_runs(wf_run_id, number)]
        guids = [
            n["task"]["taskRunId"]["taskGuid"] for n in nodes if "taskRunId" in n.get("task", {})
        ]
        task_runs = render.by_guid(client.get_task_run(wf_run_id, g) for g in guids)
    out.print(render.wf_run_view({**found, "threadRuns": shown}, nodes, task_runs))
    if len(shown) < len(every):
        after = from_thread + threads
        err.print(
            f"canter: threads {from_thread}-{after - 1} of {len(every)}; "
            f"the next ones: canter get wfRun {wf_run_id} --from-thread {after}"
        )
    paged = None if len(shown) == len(every) else list(task_runs.values())
    for line in waiting_tasks(client, wf_run_id, paged):
        err.print(f"canter: {line}")


@app.command("nodeRun")
def node_run(
    wf_run_id: WfRunId,
    thread: Annotated[int, typer.Argument(help="ThreadRun number (0: the entrypoint)")],
    position: Annotated[int, typer.Argument(help="Position of the NodeRun in its thread")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """One NodeRun, by WfRun id, thread number and position.

    Example: canter get nodeRun ord-1001 0 3
    """
    client = connect(api_url)
    found = client.get_node_run(wf_run_id, thread, position)
    if as_json:
        print_json(found)
        return
    task_run_id = found.get("task", {}).get("taskRunId")
    task_runs = [client.get_task_run(wf_run_id, task_run_id["taskGuid"])] if task_run_id else []
    out.print(render.node_runs_table([found], render.by_guid(task_runs)))
    arrived, ended = render.when(found.get("arrivalTime")), render.when(found.get("endTime"))
    out.print(f"arrived {arrived}, ended {ended}")


@app.command("taskRun")
def task_run(
    wf_run_id: WfRunId,
    task_guid: Annotated[str, typer.Argument(help="The TaskRun's guid (see get nodeRun)")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """A TaskRun: its inputs and every attempt with its result.

    Example: canter get taskRun ord-1001 0-1
    """
    found = connect(api_url).get_task_run(wf_run_id, task_guid)
    if as_json:
        print_json(found)
    else:
        out.print(render.task_run_view(found))


@app.command("variable")
def variable(
    wf_run_id: WfRunId,
    name: Annotated[str, typer.Argument(help="The variable's name")],
    thread: Thread = 0,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """One variable of a WfRun (masked variables stay masked).

    Example: canter get variable ord-1001 total
    """
    found = connect(api_url).call(
        "GetVariable", {"wfRunId": {"id": wf_run_id}, "threadRunNumber": thread, "name": name}
    )
    if as_json:
        print_json(found)
    else:
        out.print(render.variables_table([found]))


@app.command("wfSpec")
def wf_spec(
    name: Annotated[str, typer.Argument(help="The WfSpec's name")],
    major_version: Annotated[
        int | None, typer.Option("--major-version", help="Default: the latest")
    ] = None,
    revision: Annotated[
        int | None, typer.Option(help="Default: the latest of the major version")
    ] = None,
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """A WfSpec: its threads, variables and nodes.

    Example: canter get wfSpec order-fulfillment --major-version 0
    """
    client = connect(api_url)
    if revision is None:
        found = client.get_latest_wf_spec(name, major_version)
    else:
        found = client.get_wf_spec(name, major_version or 0, revision)
    if as_json:
        print_json(found)
    else:
        out.print(render.wf_spec_view(found))


@app.command("taskDef")
def task_def(
    name: Annotated[str, typer.Argument(help="The TaskDef's name")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """A TaskDef: its inputs, output type and task queue.

    Example: canter get taskDef reserve-item
    """
    client = connect(api_url)
    found = client.get_task_def(name)
    if as_json:
        print_json(found)
    else:
        out.print(render.task_def_view(found, client.get_task_def_queue(name)))


@app.command("externalEventDef")
def external_event_def(
    name: Annotated[str, typer.Argument(help="The ExternalEventDef's name")],
    as_json: AsJson = False,
    api_url: ApiUrl = None,
) -> None:
    """An ExternalEventDef.

    Example: canter get externalEventDef payment-received
    """
    found = connect(api_url).get_external_event_def(name)
    if as_json:
        print_json(found)
    else:
        out.print(
            render.key_values(
                f"ExternalEventDef {found.get('id', {}).get('name', '')}",
                [("created", found.get("createdAt", ""))],
            )
        )
