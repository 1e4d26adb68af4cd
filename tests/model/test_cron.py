"""Cron expressions of ScheduleWf: UNIX cron as LittleHorse reads it, and EventBridge's form."""

from datetime import UTC, datetime

import pytest
from canter_engine.model.cron import CronError, from_eventbridge, next_fire, parse, to_eventbridge


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("expression", "after", "fires"),
    [
        ("* * * * *", "2026-12-06T03:00:30", "2026-12-06T03:01:00"),
        ("*/15 * * * *", "2026-12-06T03:00:00", "2026-12-06T03:15:00"),
        ("0 9 * * MON-FRI", "2026-12-05T10:00:00", "2026-12-07T09:00:00"),
        ("0 9 * * 1-5", "2026-12-05T10:00:00", "2026-12-07T09:00:00"),
        ("30 2 1 * *", "2026-12-06T00:00:00", "2027-01-01T02:30:00"),
        ("0 0 29 FEB *", "2026-03-01T00:00:00", "2028-02-29T00:00:00"),
        ("0 12 * * 0", "2026-12-06T12:00:00", "2026-12-13T12:00:00"),
        ("0 12 * * 7", "2026-12-06T11:00:00", "2026-12-06T12:00:00"),
        ("5,10 1-2 * * *", "2026-12-06T01:07:00", "2026-12-06T01:10:00"),
        ("0 0 1 * MON", "2026-12-01T00:00:00", "2026-12-07T00:00:00"),
    ],
)
def test_next_fire(expression: str, after: str, fires: str) -> None:
    assert next_fire(parse(expression), ms(after)) == ms(fires)


@pytest.mark.parametrize(
    ("expression", "complaint"),
    [
        ("", "cronExpression is required"),
        ("* * * *", "has 4 fields"),
        ("0 0 * * * *", "has 6 fields"),
        ("60 * * * *", "minute '60' is not in 0-59"),
        ("* 24 * * *", "hour '24' is not in 0-23"),
        ("* * 0 * *", "day-of-month '0' is not in 1-31"),
        ("* * * 13 *", "month '13' is not in 1-12 or JAN-DEC"),
        ("* * * * FUN", "day-of-week 'FUN' is not in 0-7 or SUN-SAT"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "must be at least 1"),
        ("@daily", "has 1 fields"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, complaint: str) -> None:
    with pytest.raises(CronError, match=complaint):
        parse(expression)


def test_a_date_that_never_comes_has_no_next_firing() -> None:
    assert next_fire(parse("0 0 31 FEB *"), ms("2026-01-01T00:00:00")) is None


@pytest.mark.parametrize(
    ("expression", "eventbridge"),
    [
        ("*/15 * * * *", "cron(*/15 * * * ? *)"),
        ("0 9 * * 1-5", "cron(0 9 ? * MON,TUE,WED,THU,FRI *)"),
        ("0 12 * * 0,7", "cron(0 12 ? * SUN *)"),
        ("30 2 1 * *", "cron(30 2 1 * ? *)"),
    ],
)
def test_eventbridge_form_fires_at_the_same_times(expression: str, eventbridge: str) -> None:
    cron = parse(expression)
    assert to_eventbridge(cron) == eventbridge
    back = from_eventbridge(eventbridge)
    start = ms("2026-12-06T00:00:00")
    assert next_fire(back, start) == next_fire(cron, start)


def test_both_day_fields_cannot_be_expressed_in_eventbridge() -> None:
    with pytest.raises(CronError, match="restrict only one of them"):
        to_eventbridge(parse("0 0 1 * MON"))
