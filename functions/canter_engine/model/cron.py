"""UNIX cron expressions, as LittleHorse's ScheduleWf reads them (cron-utils' UNIX type).

Five fields, minute hour day-of-month month day-of-week, each ``*``, a
number or name, a range ``a-b``, a step ``*/n`` or ``a-b/n``, or a list of
those; day-of-week 0-7 with 0 and 7 both Sunday. As in cron, when both day
fields are restricted a day matches either. Times are UTC.

Two uses: :func:`next_fire` for the local stack's scheduler loop, and
:func:`to_eventbridge` for EventBridge Scheduler, whose ``cron(...)`` has a
year field, wants ``?`` in one of the day fields and counts weekdays 1-7
from Sunday. An expression EventBridge cannot express (both day fields
restricted) is refused with the reason, not approximated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 0, 7, DAYS),
)
_PART = re.compile(r"^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/([0-9]+))?$")
MAX_CHARS = 256
# How far ahead a next firing is looked for: every valid expression fires within
# a few years (29 February on a given weekday repeats within 28).
_HORIZON_DAYS = 366 * 28


class CronError(ValueError):
    """An expression that is not a valid UNIX cron expression; says what and where."""


@dataclass(frozen=True, slots=True)
class Cron:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0-6, Sunday 0
    any_day: bool
    any_weekday: bool

    def day_matches(self, at: datetime) -> bool:
        """Whether the day of ``at`` is one the expression fires on."""
        if at.month not in self.months:
            return False
        day_ok = at.day in self.days
        weekday_ok = (at.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return weekday_ok
        if self.any_weekday:
            return day_ok
        return day_ok or weekday_ok


def parse(text: str) -> Cron:
    """The expression, or :class:`CronError` naming the field that is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise CronError("cronExpression is required: five fields, e.g. '0 9 * * MON-FRI'")
    fields = text.split()
    if len(text) > MAX_CHARS:
        raise CronError(f"cronExpression is {len(text)} characters; at most {MAX_CHARS}")
    if len(fields) != 5:
        raise CronError(
            f"cronExpression {text!r} has {len(fields)} fields; a UNIX cron expression has 5: "
            "minute hour day-of-month month day-of-week (e.g. '*/15 * * * *')"
        )
    sets = [_field(raw, *spec, text) for raw, spec in zip(fields, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        text=" ".join(fields),
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=weekdays,
        any_day=fields[2] == "*",
        any_weekday=fields[4] == "*",
    )


def next_fire(cron: Cron, after_ms: int) -> int | None:
    """The first firing strictly after ``after_ms`` (epoch millis, UTC); None if none."""
    at = datetime.fromtimestamp(after_ms / 1000, UTC).replace(second=0, microsecond=0)
    at += timedelta(minutes=1)
    day = at.replace(hour=0, minute=0)
    for _ in range(_HORIZON_DAYS):
        if cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    candidate = day.replace(hour=hour, minute=minute)
                    if candidate >= at:
                        return int(candidate.timestamp() * 1000)
        day += timedelta(days=1)
    return None


def to_eventbridge(cron: Cron) -> str:
    """The EventBridge Scheduler ``cron(...)`` expression that fires at the same times."""
    minute, hour, day, month, _ = cron.text.split()
    if not cron.any_day and not cron.any_weekday:
        raise CronError(
            f"cronExpression {cron.text!r} restricts both day-of-month and day-of-week; "
            "EventBridge Scheduler fires on one or the other: restrict only one of them"
        )
    weekday = "?" if cron.any_weekday else ",".join(DAYS[d] for d in sorted(cron.weekdays))
    if cron.any_day and cron.any_weekday:
        weekday = "?"
    day = "?" if (cron.any_day and not cron.any_weekday) else day
    return f"cron({minute} {hour} {day} {month} {weekday} *)"


def from_eventbridge(expression: str) -> Cron:
    """Read back what :func:`to_eventbridge` wrote (the local stack plays EventBridge)."""
    inner = expression.strip()
    if not (inner.startswith("cron(") and inner.endswith(")")):
        raise CronError(f"{expression!r} is not an EventBridge cron(...) expression")
    fields = inner[5:-1].split()
    if len(fields) != 6:
        raise CronError(f"{expression!r} has {len(fields)} fields; EventBridge cron has 6")
    return parse(" ".join("*" if f == "?" else f for f in fields[:5]))


def _field(
    raw: str, name: str, low: int, high: int, names: tuple[str, ...], text: str
) -> frozenset[int]:
    found: set[int] = set()
    for part in raw.split(","):
        match = _PART.match(part)
        if match is None:
            raise CronError(f"cronExpression {text!r}: {name} {part!r} is not valid")
        span, step = match.group(1), match.group(2)
        if span == "*":
            start, stop = low, high
        elif "-" in span:
            first, last = span.split("-")
            start, stop = (
                _value(first, name, low, high, names, text),
                _value(last, name, low, high, names, text),
            )
            if start > stop:
                raise CronError(f"cronExpression {text!r}: {name} range {span!r} runs backwards")
        else:
            start = stop = _value(span, name, low, high, names, text)
            if step is not None:
                stop = high
        every = int(step) if step is not None else 1
        if every < 1:
            raise CronError(f"cronExpression {text!r}: {name} step {part!r} must be at least 1")
        found.update(range(start, stop + 1, every))
    return frozenset(found)


def _value(raw: str, name: str, low: int, high: int, names: tuple[str, ...], text: str) -> int:
    upper = raw.upper()
    if upper in names:
        return names.index(upper) + (1 if names is MONTHS else 0)
    if not raw.isdigit() or not low <= int(raw) <= high:
        allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
        raise CronError(f"cronExpression {text!r}: {name} {raw!r} is not in {allowed}")
    return int(raw)
