"""``canter events tail``: the WfRun status events ``canter dev`` published.

Locally the scheduler publishes status events to moto's EventBridge bus, and a
rule keeps them in a queue (canter/local/status_bus.py); this reads and
removes them, oldest first. Deployed, they are on the stage's EventBridge bus:
attach a rule to it instead.
"""

from __future__ import annotations

import json
import os
import time
from typing import Annotated, Any

import boto3
import typer
from botocore.exceptions import ClientError

from canter import discovery
from canter.cli.common import AsJson, fail, out, print_json

app = typer.Typer(help="WfRun status events (LittleHorse's output-topic records).")


@app.command("tail")
def tail(
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C")
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the first event when not following")
    ] = 1.0,
    aws_endpoint_url: Annotated[
        str | None,
        typer.Option(
            help="The local AWS endpoint; default: $AWS_ENDPOINT_URL, else the running "
            "canter dev's",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Print (and remove) the status events canter dev published, oldest first.

    Start the stack with the WfSpecs that publish: canter dev --status-events order,billing

    Example: canter events tail --follow
    """
    from canter.local.stack import LOCAL_REGION, LOCAL_STAGE
    from canter.local.status_bus import queue_name

    endpoint = aws_endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or _dev_endpoint()
    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=LOCAL_REGION,
        aws_access_key_id="canter-local",
        aws_secret_access_key="canter-local",
    )
    try:
        url = sqs.get_queue_url(QueueName=queue_name(LOCAL_STAGE))["QueueUrl"]
    except ClientError:
        raise fail(f"no status events queue at {endpoint}: is canter dev running there?") from None
    shown: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = batch.get("Messages", [])
        for message in messages:
            record = json.loads(message["Body"])["detail"]
            if as_json:
                shown.append(record)
            else:
                out.print(line(record), highlight=False)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not follow and not messages and time.monotonic() >= deadline:
            break
    if as_json:
        print_json(shown)


def line(record: dict[str, Any]) -> str:
    """``<timestamp> <WfSpec> <WfRun id> <status>``; an entity's record (the ``all``
    level): ``<timestamp> <kind> <WfRun id> <its id> <status>``."""
    if "wfRun" not in record:
        return _entity_line(record)
    wf_run = record.get("wfRun", {})
    spec = wf_run.get("wfSpecId", {})
    version = f"v{spec.get('majorVersion', 0)}.{spec.get('revision', 0)}"
    return (
        f"{record.get('timestamp', '')}  {spec.get('name', '')} {version}  "
        f"{wf_run.get('id', {}).get('id', '')}  {wf_run.get('status', 'STARTING')}"
    )


def _entity_line(record: dict[str, Any]) -> str:
    field = next((f for f in record if f != "timestamp"), "")
    entity = record.get(field, {})
    entity_id = entity.get("id", {})
    wf_run_id = _wf_run_id(entity_id)
    rest = {k: v for k, v in entity_id.items() if k != "wfRunId"}
    label = " ".join(
        str(v if not isinstance(v, dict) else next(iter(v.values()), "")) for v in rest.values()
    )
    status = entity.get("status", "")
    return f"{record.get('timestamp', '')}  {field}  {wf_run_id}  {label}  {status}".rstrip()


def _wf_run_id(entity_id: dict[str, Any]) -> str:
    """The WfRun id an entity's id holds (a Checkpoint's is under its TaskRun's id)."""
    found = entity_id.get("wfRunId") or entity_id.get("taskRun", {}).get("wfRunId") or {}
    return str(found.get("id", ""))


def _dev_endpoint() -> str:
    found = discovery.find_urls()
    if found is None:
        raise fail("no canter dev found: start one, or give --aws-endpoint-url")
    return found.aws_endpoint_url
