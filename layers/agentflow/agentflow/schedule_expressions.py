"""EventBridge Scheduler schedule expressions: parse cron(), rate() and at(), and find the next fire time.

Pure: no AWS and no I/O beyond the IANA zone database that ``zoneinfo`` reads. The grammar, the time zone
rules and the daylight saving behaviour follow the EventBridge Scheduler User Guide, "Schedule types in
EventBridge Scheduler" (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html), and
the length limits follow the CreateSchedule API reference (ScheduleExpression 1-256 characters,
ScheduleExpressionTimezone 1-50).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_EXPRESSION_LENGTH = 256
MAX_TIMEZONE_LENGTH = 50
FIRST_YEAR = 1970
LAST_YEAR = 2199

Kind = Literal["cron", "rate", "at"]

RATE_UNITS = {
    "minute": timedelta(minutes=1),
    "minutes": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "hours": timedelta(hours=1),
    # "days represents a 24-hour duration on the clock" (User Guide, Daylight savings time), not calendar days
    "day": timedelta(days=1),
    "days": timedelta(days=1),
}
# Nine digits of days still fit a timedelta; anything longer is not a schedule anyone means.
_MAX_RATE_DIGITS = 9

MONTH_NAMES = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
# Day-of-week 1-7 is SUN-SAT.
DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

_AT_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")
# Zone files that are not IANA zone names even though zoneinfo can open them.
_NOT_ZONE_NAMES = frozenset({"localtime", "posixrules"})
_NOT_ZONE_PREFIXES = ("posix/", "right/")


class ScheduleExpressionError(ValueError):
    """An expression or time zone that EventBridge Scheduler would refuse; the message quotes it."""

    def __init__(self, message: str, *, subject: str) -> None:
        super().__init__(message)
        self.message = message
        self.subject = subject


def _quoted(text: str) -> str:
    shown = text if len(text) <= MAX_EXPRESSION_LENGTH else text[:MAX_EXPRESSION_LENGTH] + "…"
    return f'"{shown}"'


def _invalid(text: str, problem: str) -> ScheduleExpressionError:
    return ScheduleExpressionError(f"invalid schedule expression {_quoted(text)}: {problem}", subject=text)


# --- the day fields ---------------------------------------------------------------------------------------


def _day_of_week(day: date) -> int:
    """EventBridge numbering: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


@dataclass(frozen=True)
class DaysOfMonth:
    """Day-of-month values (``1,15``, ``1-10``, ``*``, ``1/7``)."""

    values: frozenset[int]

    def days_in(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        return sorted(day for day in self.values if day <= last)


@dataclass(frozen=True)
class LastDayOfMonth:
    """Day-of-month ``L``."""

    def days_in(self, year: int, month: int) -> list[int]:
        return [calendar.monthrange(year, month)[1]]


@dataclass(frozen=True)
class NearestWeekday:
    """Day-of-month ``NW``: the weekday (Monday-Friday) closest to day N, never leaving the month."""

    day: int

    def days_in(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        if self.day > last:
            return []
        weekday = date(year, month, self.day).weekday()
        if weekday == calendar.SATURDAY:
            return [self.day - 1 if self.day > 1 else self.day + 2]
        if weekday == calendar.SUNDAY:
            return [self.day + 1 if self.day < last else self.day - 2]
        return [self.day]


@dataclass(frozen=True)
class DaysOfWeek:
    """Day-of-week values, 1-7 = SUN-SAT (``MON-FRI``, ``1,7``, ``*``); a lone ``L`` is Saturday."""

    values: frozenset[int]

    def days_in(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        return [day for day in range(1, last + 1) if _day_of_week(date(year, month, day)) in self.values]


@dataclass(frozen=True)
class LastDayOfWeek:
    """Day-of-week ``6L``: the last Friday (say) of the month."""

    day_of_week: int

    def days_in(self, year: int, month: int) -> list[int]:
        last = calendar.monthrange(year, month)[1]
        shift = (_day_of_week(date(year, month, last)) - self.day_of_week) % 7
        return [last - shift]


@dataclass(frozen=True)
class NthDayOfWeek:
    """Day-of-week ``3#2``: the second Tuesday (say) of the month; months without a fifth one are skipped."""

    day_of_week: int
    nth: int

    def days_in(self, year: int, month: int) -> list[int]:
        first = 1 + (self.day_of_week - _day_of_week(date(year, month, 1))) % 7
        day = first + 7 * (self.nth - 1)
        return [day] if day <= calendar.monthrange(year, month)[1] else []


DaySpec = DaysOfMonth | LastDayOfMonth | NearestWeekday | DaysOfWeek | LastDayOfWeek | NthDayOfWeek


@dataclass(frozen=True)
class CronSchedule:
    """The parsed fields of a cron() expression; ``days`` is whichever of day-of-month/day-of-week is set."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: DaySpec
    months: frozenset[int]
    years: frozenset[int]


@dataclass(frozen=True)
class ScheduleExpression:
    """A parsed expression. ``cron`` is set for cron(), ``period`` for rate(), ``at`` (a wall-clock time in
    the schedule's time zone, without tzinfo) for at()."""

    kind: Kind
    text: str
    cron: CronSchedule | None = None
    period: timedelta | None = None
    at: datetime | None = None


# --- parsing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


_MINUTES = _Field("minutes", 0, 59, {})
_HOURS = _Field("hours", 0, 23, {})
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {})
_MONTH = _Field("month", 1, 12, MONTH_NAMES)
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, DAY_NAMES)
_YEAR = _Field("year", FIRST_YEAR, LAST_YEAR, {})


class _FieldError(Exception):
    """A problem inside one cron field; parse_expression adds the expression to the message."""


def _number(token: str, what: str) -> int:
    if not token or not (token.isascii() and token.isdigit()):
        raise _FieldError(f"{what} {token!r} is not a number")
    return int(token)


def _value(field: _Field, token: str) -> int:
    named = field.names.get(token.upper())
    if named is not None:
        return named
    if not (token.isascii() and token.isdigit()):
        allowed = f"{field.low}-{field.high}"
        if field.names:
            first, *_, last = field.names
            allowed += f" or {first}-{last}"
        raise _FieldError(f"{field.name} value {token!r} is not {allowed}")
    value = int(token)
    if not field.low <= value <= field.high:
        raise _FieldError(f"{field.name} value {value} is out of range {field.low}-{field.high}")
    return value


def _part(field: _Field, part: str) -> range:
    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        step = _number(step_text, f"{field.name} increment")
        if step < 1:
            raise _FieldError(f"{field.name} increment must be at least 1, got {step}")
    if base == "*":
        return range(field.low, field.high + 1, step)
    start_text, dash, end_text = base.partition("-")
    start = _value(field, start_text)
    if dash:
        end = _value(field, end_text)
        if end < start:
            raise _FieldError(f"{field.name} range {base!r} runs backwards")
        return range(start, end + 1, step)
    # "1/10" is every tenth value from 1 to the end of the field (User Guide, cron wildcards).
    return range(start, field.high + 1 if slash else start + 1, step)


def _values(field: _Field, text: str) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise _FieldError(f"{field.name} field {text!r} has an empty list item")
        values.update(_part(field, part))
    return frozenset(values)


def _plain_values(field: _Field, text: str) -> frozenset[int]:
    """A field without the day-only wildcards ? L W # (month names hold an L: JUL)."""
    for symbol in "?#" if field.names else "?#LW":
        if symbol in text.upper():
            raise _FieldError(f"{symbol!r} is not allowed in the {field.name} field")
    return _values(field, text)


def _day_of_month(text: str) -> DaySpec | None:
    upper = text.upper()
    if text == "?":
        return None
    if upper == "L":
        return LastDayOfMonth()
    if "L" in upper:
        raise _FieldError(f"'L' must stand alone in the day-of-month field, got {text!r}")
    if upper.endswith("W"):
        day = upper[:-1]
        if not (day.isascii() and day.isdigit()):
            raise _FieldError(f"'W' follows a single day of the month (as in 3W), got {text!r}")
        return NearestWeekday(_value(_DAY_OF_MONTH, day))
    if "W" in upper:
        raise _FieldError(f"'W' follows a single day of the month (as in 3W), got {text!r}")
    if "#" in text:
        raise _FieldError("'#' is only allowed in the day-of-week field")
    return DaysOfMonth(_values(_DAY_OF_MONTH, text))


def _day_of_week_field(text: str) -> DaySpec | None:
    upper = text.upper()
    if text == "?":
        return None
    if "#" in text:
        if "," in text:
            raise _FieldError(f"a day-of-week with '#' must be a single expression, got {text!r}")
        day_text, _, nth_text = text.partition("#")
        nth = _number(nth_text, "the week number after '#'")
        if not 1 <= nth <= 5:
            raise _FieldError(f"the week number after '#' must be 1-5, got {nth}")
        return NthDayOfWeek(_value(_DAY_OF_WEEK, day_text), nth)
    if upper == "L":
        # A lone L is "the last day of the week", Saturday.
        return DaysOfWeek(frozenset({7}))
    if upper.endswith("L") and "L" not in upper[:-1]:
        return LastDayOfWeek(_value(_DAY_OF_WEEK, text[:-1]))
    if "L" in upper:
        raise _FieldError(f"'L' in day-of-week is a lone L or a day followed by L (as in 6L), got {text!r}")
    if "/" in text:
        # The User Guide's table lists , - * ? L # for day-of-week: no increments.
        raise _FieldError("'/' is not allowed in the day-of-week field")
    return DaysOfWeek(_values(_DAY_OF_WEEK, text))


def _parse_cron(text: str, inner: str) -> ScheduleExpression:
    fields = inner.split()
    if len(fields) != 6:
        raise _invalid(
            text,
            f"cron() takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}",
        )
    minutes, hours, day_of_month, month, day_of_week, year = fields
    try:
        by_month = _day_of_month(day_of_month)
        by_week = _day_of_week_field(day_of_week)
        days: DaySpec
        if by_month is not None and by_week is None:
            days = by_month
        elif by_week is not None and by_month is None:
            days = by_week
        else:
            raise _FieldError(
                "exactly one of day-of-month and day-of-week must be '?' "
                f"(got {day_of_month!r} and {day_of_week!r})"
            )
        schedule = CronSchedule(
            minutes=_plain_values(_MINUTES, minutes),
            hours=_plain_values(_HOURS, hours),
            days=days,
            months=_plain_values(_MONTH, month),
            years=_plain_values(_YEAR, year),
        )
    except _FieldError as error:
        raise _invalid(text, str(error)) from None
    return ScheduleExpression(kind="cron", text=text, cron=schedule)


def _parse_rate(text: str, inner: str) -> ScheduleExpression:
    parts = inner.split()
    if len(parts) != 2:
        raise _invalid(text, "rate() takes a value and a unit, as in rate(5 minutes)")
    value_text, unit = parts
    if not (value_text.isascii() and value_text.isdigit()):
        raise _invalid(text, f"rate() value {value_text!r} is not a whole number")
    if len(value_text.lstrip("0")) > _MAX_RATE_DIGITS:
        raise _invalid(text, f"rate() value {value_text} is too large")
    value = int(value_text)
    if value < 1:
        raise _invalid(text, "rate() value must be at least 1")
    if unit not in RATE_UNITS:
        raise _invalid(text, f"rate() unit {unit!r} is not minute, minutes, hour, hours, day or days")
    # "If the value is equal to 1, then the unit must be singular. If the value is greater than 1,
    # the unit must be plural." (EventBridge rate expressions reference)
    if value != 1 and not unit.endswith("s"):
        raise _invalid(text, f"rate() unit must be plural for a value of {value} ({unit}s, not {unit})")
    if value == 1 and unit.endswith("s"):
        raise _invalid(text, f"rate() unit must be singular for a value of 1 ({unit[:-1]}, not {unit})")
    return ScheduleExpression(kind="rate", text=text, period=value * RATE_UNITS[unit])


def _parse_at(text: str, inner: str) -> ScheduleExpression:
    if not _AT_FORMAT.fullmatch(inner):
        raise _invalid(text, "at() takes a date and time as yyyy-mm-ddThh:mm:ss")
    try:
        moment = datetime.strptime(inner, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise _invalid(text, f"at() time {inner} is not a real date and time") from None
    return ScheduleExpression(kind="at", text=text, at=moment)


def parse_expression(text: str) -> ScheduleExpression:
    """Parse an EventBridge Scheduler expression: ``cron(...)``, ``rate(...)`` or ``at(...)``.

    Raises ScheduleExpressionError, quoting ``text``, for anything EventBridge Scheduler would refuse.
    """
    if not text:
        raise _invalid(text, "it is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise _invalid(text, f"it is longer than {MAX_EXPRESSION_LENGTH} characters")
    kind, bracket, rest = text.partition("(")
    if not bracket or not rest.endswith(")") or kind not in ("cron", "rate", "at"):
        raise _invalid(text, "expected cron(...), rate(...) or at(...)")
    inner = rest[:-1]
    if "(" in inner or ")" in inner:
        raise _invalid(text, "unbalanced parentheses")
    if kind == "cron":
        return _parse_cron(text, inner)
    if kind == "rate":
        return _parse_rate(text, inner)
    return _parse_at(text, inner)


def check_timezone(name: str) -> ZoneInfo:
    """The IANA time zone called ``name``; ScheduleExpressionError, quoting it, when there is none."""
    problem = None
    if not name:
        problem = "it is empty"
    elif len(name) > MAX_TIMEZONE_LENGTH:
        problem = f"it is longer than {MAX_TIMEZONE_LENGTH} characters"
    elif name in _NOT_ZONE_NAMES or name.startswith(_NOT_ZONE_PREFIXES):
        problem = "not an IANA time zone name"
    else:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # Not found, a path outside the database, a directory, or a file that is not a zone.
            problem = "not an IANA time zone name (for example UTC, Europe/Berlin, America/New_York)"
    raise ScheduleExpressionError(f"unknown timezone {_quoted(name)}: {problem}", subject=name)


# --- next fire time -----------------------------------------------------------------------------------------


def _wall_clock_to_utc(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant a wall-clock time in ``zone`` names, under EventBridge Scheduler's daylight saving rule.

    User Guide, "Daylight savings time on EventBridge Scheduler": "When time shifts forward in the Spring, if
    a cron expression falls on a non-existent date and time, your schedule invocation is skipped. When time
    shifts backwards in the Fall, your schedule runs only once and does not repeat its invocation", and for
    cron(30 2 * * ? *) it "runs the schedule only once at 2:30 a.m. before the shift occurs". So a time in
    the spring-forward gap is None (skipped, not moved to 3:00), and a repeated time is its first instance
    (fold=0, the daylight-time one).
    """
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _next_cron(cron: CronSchedule, zone: ZoneInfo, after: datetime) -> datetime | None:
    if after >= datetime(LAST_YEAR + 1, 1, 2, tzinfo=UTC):
        return None
    floor = max(after, datetime(FIRST_YEAR - 1, 12, 30, tzinfo=UTC))
    # Wall-clock times that fire (first instances, never the repeated ones) rise with real time, so every fire
    # after `floor` shows a wall-clock time later than floor's: earlier days, hours and minutes need no look.
    floor_wall = floor.astimezone(zone).replace(tzinfo=None)
    first_day, first_hour = floor_wall.date(), floor_wall.hour
    hours, minutes = sorted(cron.hours), sorted(cron.minutes)
    for year in sorted(year for year in cron.years if year >= first_day.year):
        for month in sorted(cron.months):
            if (year, month) < (first_day.year, first_day.month):
                continue
            for day in cron.days.days_in(year, month):
                on_first_day = date(year, month, day) == first_day
                if not on_first_day and date(year, month, day) < first_day:
                    continue
                for hour in hours:
                    if on_first_day and hour < first_hour:
                        continue
                    for minute in minutes:
                        wall = datetime(year, month, day, hour, minute)
                        if wall <= floor_wall:
                            continue
                        fire = _wall_clock_to_utc(wall, zone)
                        if fire is not None and fire > after:
                            return fire
    return None


def _next_rate(period: timedelta, anchor: datetime, after: datetime) -> datetime | None:
    # The first fire is one period after the anchor (API.md: "A rate() schedule first fires one period after
    # it is created or enabled"); from then on every period, in elapsed time, whatever the time zone.
    periods = max(1, (after - anchor) // period + 1)
    try:
        return (anchor + periods * period).astimezone(UTC)
    except OverflowError:
        return None


def _require_aware(name: str, moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


def next_fire(
    expr: ScheduleExpression, timezone: str, after: datetime, *, anchor: datetime | None = None
) -> datetime | None:
    """The first time ``expr`` fires strictly after ``after``, in UTC; None when it never fires again.

    cron() and at() are read as wall-clock times in ``timezone`` (with EventBridge Scheduler's daylight
    saving rule: a skipped time does not fire, a repeated time fires once); cron() has no fires after 2199.
    rate() fires at ``anchor`` + k * period for k >= 1 (``anchor`` is when the schedule was created or last
    enabled) and ignores the time zone. Datetimes in must be timezone-aware.
    """
    _require_aware("after", after)
    zone = check_timezone(timezone)
    if expr.cron is not None:
        return _next_cron(expr.cron, zone, after)
    if expr.period is not None:
        if anchor is None:
            raise ValueError(f"next_fire for {expr.text!r} needs the anchor (creation or enable time)")
        _require_aware("anchor", anchor)
        return _next_rate(expr.period, anchor, after)
    if expr.at is None:
        raise ValueError(f"{expr.text!r} is neither a rate nor a time")
    try:
        fire = _wall_clock_to_utc(expr.at, zone)
    except OverflowError:  # within hours of year 1 or 9999: nothing representable fires
        return None
    return fire if fire is not None and fire > after else None


def validate_new(expr: ScheduleExpression, timezone: str, now: datetime) -> None:
    """Refuse what a new or changed schedule may not be: an unknown time zone, or an at() that is not in
    the future (including a wall-clock time that daylight saving skips in that zone, which would never
    fire). Raises ScheduleExpressionError."""
    _require_aware("now", now)
    zone = check_timezone(timezone)
    if expr.at is None:
        return
    try:
        fire = _wall_clock_to_utc(expr.at, zone)
    except OverflowError:
        raise ScheduleExpressionError(
            f"at() schedule {_quoted(expr.text)} is out of range in {timezone}", subject=expr.text
        ) from None
    if fire is None:
        raise ScheduleExpressionError(
            f"at() schedule {_quoted(expr.text)} never fires: {expr.at.isoformat()} does not exist in "
            f"{timezone} (the clocks skip it for daylight saving time)",
            subject=expr.text,
        )
    if fire <= now:
        raise ScheduleExpressionError(
            f"at() schedule {_quoted(expr.text)} is in the past: {expr.at.isoformat()} in {timezone} is "
            f"{fire.isoformat().replace('+00:00', 'Z')}, not after now "
            f"({now.astimezone(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')})",
            subject=expr.text,
        )
