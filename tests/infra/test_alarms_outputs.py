"""An alarm on every place failed work lands and on scheduler lag; outputs to connect to."""

from __future__ import annotations

from typing import Any

from canter_engine import resources as r


def _alarms(dev: Any) -> list[dict[str, Any]]:
    return [a["Properties"] for a in dev.resources("AWS::CloudWatch::Alarm").values()]


def test_every_dead_letter_queue_has_an_alarm(
    dev: Any, declared_task_queues: tuple[str, ...]
) -> None:
    queues = dev.stack.queues
    failure_queues = [
        queues.timers.dead_letter,
        queues.scheduler_failures.queue,
        *(queues.task_queues[n].dead_letter for n in declared_task_queues),
    ]
    watched = {
        a["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in _alarms(dev)
        if a["MetricName"] == "ApproximateNumberOfMessagesVisible"
    }
    assert watched == {dev.logical_id(q) for q in failure_queues}
    for alarm in _alarms(dev):
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible":
            assert alarm["Namespace"] == "AWS/SQS"
            assert alarm["Threshold"] == 0
            assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
            assert alarm["EvaluationPeriods"] == 1
            assert alarm["TreatMissingData"] == "notBreaching"


def test_scheduler_iterator_age_alarm(dev: Any) -> None:
    (alarm,) = [a for a in _alarms(dev) if a["MetricName"] == "IteratorAge"]
    assert alarm["Namespace"] == "AWS/Lambda"
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": dev.logical_id(dev.stack.engine.scheduler)}}
    ]
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 60_000
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_alarm_count(dev: Any, declared_task_queues: tuple[str, ...]) -> None:
    # What an idle deployment pays for: one alarm per failure queue plus iterator age.
    assert len(_alarms(dev)) == len(declared_task_queues) + 3


def test_outputs(dev: Any, declared_task_queues: tuple[str, ...]) -> None:
    outputs = dev.template.to_json()["Outputs"]
    api_id = dev.logical_id(dev.stack.api.http_api)
    assert outputs["ApiUrl"]["Value"] == {
        "Fn::Join": [
            "",
            [
                "https://",
                {"Ref": api_id},
                ".execute-api.",
                {"Ref": "AWS::Region"},
                ".",
                {"Ref": "AWS::URLSuffix"},
                "/",
            ],
        ]
    }
    assert "CANTER_API_URL" in outputs["ApiUrl"]["Description"]
    for role, policy in dev.stack.client_policies.items():
        output = {"worker": "TaskWorker"}.get(role, role.title())
        assert outputs[f"{output}PolicyArn"]["Value"] == {"Ref": dev.logical_id(policy)}
    for table in r.TABLES:
        assert outputs[f"{table.logical_id}TableName"]["Value"] == {
            "Ref": dev.logical_id(dev.stack.storage.tables[table.logical_id])
        }
    for name in declared_task_queues:
        deployed = dev.stack.queues.task_queues[name]
        prefix = r.task_queue(name).logical_id
        assert outputs[f"{prefix}QueueUrl"]["Value"] == {"Ref": dev.logical_id(deployed.queue)}
        assert outputs[f"{prefix}DeadLetterQueueUrl"]["Value"] == {
            "Ref": dev.logical_id(deployed.dead_letter)
        }
