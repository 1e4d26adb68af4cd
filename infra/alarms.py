"""Alarms for work that stopped flowing: anything in a failure queue, a lagging scheduler.

A message in a dead-letter queue is a poison record or a task nobody could
run; it waits there silently unless something says so. Iterator age is how
far the scheduler is behind the journal: every WfRun waits while it grows.
The alarms have no actions: subscribe a topic to them as fits your account.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

SCHEDULER_ITERATOR_AGE_THRESHOLD = Duration.minutes(1)
PERIOD = Duration.minutes(1)


class Alarms(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        failure_queues: list[sqs.Queue],
        scheduler: lambda_.Function,
    ) -> None:
        super().__init__(scope, construct_id)
        self.failure_queue_alarms = [
            cloudwatch.Alarm(
                self,
                f"{queue.node.id}NotEmpty",
                alarm_description=f"Messages are waiting in failure queue {queue.queue_name}",
                metric=queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for queue in failure_queues
        ]
        self.scheduler_iterator_age = cloudwatch.Alarm(
            self,
            "SchedulerIteratorAge",
            alarm_description="The scheduler is more than a minute behind the journal stream",
            metric=scheduler.metric(
                "IteratorAge", period=PERIOD, statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=SCHEDULER_ITERATOR_AGE_THRESHOLD.to_milliseconds(),
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

    @property
    def all(self) -> list[cloudwatch.Alarm]:
        return [*self.failure_queue_alarms, self.scheduler_iterator_age]
