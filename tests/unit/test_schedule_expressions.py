"""EventBridge Scheduler expressions: parsing cron()/rate()/at(), time zones, and next fire times.

Expected behaviour comes from the EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler",
and API.md "Schedules and triggers".
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentflow.schedule_expressions import (
    DaysOfMonth,
    DaysOfWeek,
    LastDayOfMonth,
    LastDayOfWeek,
    NearestWeekday,
    NthDayOfWeek,
    ScheduleExpression,
    ScheduleExpressionError,
    check_timezone,
    next_fire,
    parse_expression,
    validate_new,
)

# --- helpers ----------------------------------------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fires(text: str, timezone: str, after: datetime, count: int, **kwargs: datetime) -> list[datetime]:
    """The next `count` fire times, each found from the one before."""
    expression = parse_expression(text)
    found: list[datetime] = []
    moment = after
    for _ in range(count):
        fire = next_fire(expression, timezone, moment, **kwargs)
        assert fire is not None
        found.append(fire)
        moment = fire
    return found


def aws_day_of_week(day: date) -> int:
    """1 = SUN ... 7 = SAT, computed independently of the module."""
    return {"Sun": 1, "Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Sat": 7}[day.strftime("%a")]


# --- parsing: cron() ----------------------------------------------------------------------------------------


def test_a_weekday_cron_parses_into_its_fields() -> None:
    # Given / When
    expression = parse_expression("cron(0 8 ? * MON-FRI *)")

    # Then
    assert expression.kind == "cron"
    assert expression.text == "cron(0 8 ? * MON-FRI *)"
    assert expression.cron is not None
    assert expression.cron.minutes == {0}
    assert expression.cron.hours == {8}
    assert expression.cron.days == DaysOfWeek(frozenset({2, 3, 4, 5, 6}))
    assert expression.cron.months == set(range(1, 13))
    assert expression.cron.years == set(range(1970, 2200))


def test_cron_wildcards_expand_to_the_values_they_name() -> None:
    # Given: a list, a range, increments from a start and over a range, and month names
    expression = parse_expression("cron(1/10 9-11,14 1,15 JAN,jul-AUG ? 2025-2031/3)")

    # Then: "1/10 ... every tenth minute, starting from the first minute" (User Guide)
    assert expression.cron is not None
    assert expression.cron.minutes == {1, 11, 21, 31, 41, 51}
    assert expression.cron.hours == {9, 10, 11, 14}
    assert expression.cron.days == DaysOfMonth(frozenset({1, 15}))
    assert expression.cron.months == {1, 7, 8}
    assert expression.cron.years == {2025, 2028, 2031}


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("cron(0 0 L * ? *)", LastDayOfMonth()),
        ("cron(0 0 3W * ? *)", NearestWeekday(3)),
        ("cron(0 0 ? * 6L *)", LastDayOfWeek(6)),
        ("cron(0 0 ? * FRIL *)", LastDayOfWeek(6)),
        ("cron(0 0 ? * 3#2 *)", NthDayOfWeek(3, 2)),
        ("cron(0 0 ? * MON#1 *)", NthDayOfWeek(2, 1)),
        ("cron(0 0 ? * L *)", DaysOfWeek(frozenset({7}))),
        ("cron(0 0 ? * 1,7 *)", DaysOfWeek(frozenset({1, 7}))),
    ],
)
def test_the_day_wildcards_L_W_and_hash_parse(text: str, days: object) -> None:
    # Given / When
    expression = parse_expression(text)

    # Then
    assert expression.cron is not None
    assert expression.cron.days == days


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("cron(0 8 * * ?)", "cron() takes 6 fields"),
        ("cron(0 8 * * ? * *)", "cron() takes 6 fields"),
        ("cron(0 8 * * * *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 8 ? * ? *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(0 8 1 * MON *)", "exactly one of day-of-month and day-of-week must be '?'"),
        ("cron(60 8 * * ? *)", "minutes value 60 is out of range 0-59"),
        ("cron(0 24 * * ? *)", "hours value 24 is out of range 0-23"),
        ("cron(0 8 32 * ? *)", "day-of-month value 32 is out of range 1-31"),
        ("cron(0 8 0 * ? *)", "day-of-month value 0 is out of range 1-31"),
        ("cron(0 8 * 13 ? *)", "month value 13 is out of range 1-12"),
        ("cron(0 8 ? * 8 *)", "day-of-week value 8 is out of range 1-7"),
        ("cron(0 8 ? * 0 *)", "day-of-week value 0 is out of range 1-7"),
        ("cron(0 8 * * ? 1969)", "year value 1969 is out of range 1970-2199"),
        ("cron(0 8 * * ? 2200)", "year value 2200 is out of range 1970-2199"),
        ("cron(0 8 * FOO ? *)", "month value 'FOO' is not 1-12 or JAN-DEC"),
        ("cron(0 8 ? * MON-XYZ *)", "day-of-week value 'XYZ' is not 1-7 or SUN-SAT"),
        ("cron(0 8 ? * FRI-MON *)", "day-of-week range 'FRI-MON' runs backwards"),
        ("cron(*/0 8 * * ? *)", "minutes increment must be at least 1"),
        ("cron(0/x 8 * * ? *)", "minutes increment 'x' is not a number"),
        ("cron(0,,5 8 * * ? *)", "empty list item"),
        ("cron(? 8 * * ? *)", "'?' is not allowed in the minutes field"),
        ("cron(0 L * * ? *)", "'L' is not allowed in the hours field"),
        ("cron(0 8 * * ? 2025#1)", "'#' is not allowed in the year field"),
        ("cron(0 8 1#2 * ? *)", "'#' is only allowed in the day-of-week field"),
        ("cron(0 8 ? * MON/2 *)", "'/' is not allowed in the day-of-week field"),
        ("cron(0 8 L-2 * ? *)", "'L' must stand alone in the day-of-month field"),
        ("cron(0 8 1-5W * ? *)", "'W' follows a single day of the month"),
        ("cron(0 8 32W * ? *)", "day-of-month value 32 is out of range 1-31"),
        ("cron(0 8 ? * 1#1,2#2 *)", "a day-of-week with '#' must be a single expression"),
        ("cron(0 8 ? * 2#6 *)", "the week number after '#' must be 1-5"),
        ("cron(0 8 ? * 2#0 *)", "the week number after '#' must be 1-5"),
        ("cron(0 8 ? * 2L,3 *)", "'L' in day-of-week is a lone L or a day followed by L"),
    ],
)
def test_an_invalid_cron_is_refused_with_a_message_quoting_it(text: str, problem: str) -> None:
    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        parse_expression(text)

    # Then
    assert f'"{text}"' in str(refused.value)
    assert problem in str(refused.value)
    assert refused.value.subject == text


# --- parsing: rate() and at() -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(30 days)", timedelta(days=30)),
    ],
)
def test_a_rate_parses_into_its_period(text: str, period: timedelta) -> None:
    # When
    expression = parse_expression(text)

    # Then
    assert expression.kind == "rate"
    assert expression.period == period


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rate(5 minute)", "rate() unit must be plural for a value of 5"),
        ("rate(2 day)", "rate() unit must be plural for a value of 2"),
        ("rate(1 days)", "rate() unit must be singular for a value of 1"),
        ("rate(1 hours)", "rate() unit must be singular for a value of 1"),
        ("rate(0 minutes)", "rate() value must be at least 1"),
        ("rate(-1 minutes)", "rate() value '-1' is not a whole number"),
        ("rate(1.5 hours)", "rate() value '1.5' is not a whole number"),
        ("rate(1 week)", "rate() unit 'week' is not minute, minutes, hour, hours, day or days"),
        ("rate(5 Minutes)", "rate() unit 'Minutes' is not minute"),
        ("rate(5)", "rate() takes a value and a unit"),
        ("rate(5 minutes now)", "rate() takes a value and a unit"),
        ("rate(9999999999 days)", "is too large"),
    ],
)
def test_an_invalid_rate_is_refused_with_a_message_quoting_it(text: str, problem: str) -> None:
    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        parse_expression(text)

    # Then
    assert f'"{text}"' in str(refused.value)
    assert problem in str(refused.value)


def test_an_at_parses_into_a_wall_clock_time_without_a_zone() -> None:
    # When
    expression = parse_expression("at(2026-11-20T13:00:00)")

    # Then: the time zone comes from the schedule, not the expression
    assert expression.kind == "at"
    assert expression.at == datetime(2026, 11, 20, 13, 0, 0)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("at(2026-02-30T00:00:00)", "is not a real date and time"),
        ("at(2026-01-01T24:00:00)", "is not a real date and time"),
        ("at(2026-01-01T00:00)", "at() takes a date and time as yyyy-mm-ddThh:mm:ss"),
        ("at(2026-01-01 00:00:00)", "at() takes a date and time as yyyy-mm-ddThh:mm:ss"),
        ("at(2026-01-01T00:00:00Z)", "at() takes a date and time as yyyy-mm-ddThh:mm:ss"),
        ("at(2026-01-01T00:00:00+01:00)", "at() takes a date and time as yyyy-mm-ddThh:mm:ss"),
        ("at()", "at() takes a date and time as yyyy-mm-ddThh:mm:ss"),
    ],
)
def test_an_invalid_at_is_refused_with_a_message_quoting_it(text: str, problem: str) -> None:
    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        parse_expression(text)

    # Then
    assert f'"{text}"' in str(refused.value)
    assert problem in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "every 5 minutes",
        "cron",
        "CRON(0 8 * * ? *)",
        "Rate(5 minutes)",
        " rate(5 minutes)",
        "rate(5 minutes",
    ],
)
def test_text_that_is_no_kind_of_expression_is_refused(text: str) -> None:
    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        parse_expression(text)

    # Then
    assert f'"{text}"' in str(refused.value)


def test_an_expression_longer_than_eventbridge_allows_is_refused() -> None:
    # Given: CreateSchedule's ScheduleExpression is at most 256 characters
    text = "cron(" + ",".join(["0"] * 130) + " 8 * * ? *)"

    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        parse_expression(text)

    # Then
    assert "longer than 256 characters" in str(refused.value)


# --- time zones ---------------------------------------------------------------------------------------------


def test_the_system_zone_database_knows_europe_berlin() -> None:
    # When
    zone = check_timezone("Europe/Berlin")

    # Then
    assert zone == ZoneInfo("Europe/Berlin")
    assert datetime(2026, 7, 1, tzinfo=zone).utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "name",
    ["Mars/Olympus_Mons", "America", "europe/berlin", "", "../../etc/passwd", "/etc/localtime", "localtime"],
)
def test_an_unknown_timezone_is_refused_with_a_message_quoting_it(name: str) -> None:
    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        check_timezone(name)

    # Then
    assert f'unknown timezone "{name}"' in str(refused.value)


def test_next_fire_refuses_an_unknown_timezone() -> None:
    # Given
    expression = parse_expression("cron(0 8 * * ? *)")

    # When / Then
    with pytest.raises(ScheduleExpressionError, match='unknown timezone "Atlantis/Capital"'):
        next_fire(expression, "Atlantis/Capital", utc(2026, 1, 1))


# --- next fire: cron() and daylight saving time -------------------------------------------------------------


def test_a_weekday_8am_new_york_cron_stays_at_8am_across_the_march_change() -> None:
    # Given: New York springs forward on Sunday 9 March 2025 (EST -5 to EDT -4)
    # When
    found = fires("cron(0 8 ? * MON-FRI *)", "America/New_York", utc(2025, 3, 6), 3)

    # Then: 08:00 local on both sides, which is 13:00Z before and 12:00Z after; the weekend is skipped
    assert found == [utc(2025, 3, 6, 13), utc(2025, 3, 7, 13), utc(2025, 3, 10, 12)]


def test_a_weekday_8am_new_york_cron_stays_at_8am_across_the_november_change() -> None:
    # Given: New York falls back on Sunday 2 November 2025
    # When
    found = fires("cron(0 8 ? * MON-FRI *)", "America/New_York", utc(2025, 10, 30, 12, 30), 2)

    # Then
    assert found == [utc(2025, 10, 31, 12), utc(2025, 11, 3, 13)]


def test_a_time_the_spring_forward_skips_does_not_fire_that_day() -> None:
    # Given: on 30 March 2025 Berlin's clocks jump from 02:00 to 03:00, so 02:30 does not exist
    # When
    found = fires("cron(30 2 * * ? *)", "Europe/Berlin", utc(2025, 3, 29), 2)

    # Then: "your schedule invocation is skipped" (User Guide) - not moved to 03:00 or 03:30
    assert found == [utc(2025, 3, 29, 1, 30), utc(2025, 3, 31, 0, 30)]


def test_a_time_the_fall_back_repeats_fires_once_at_its_first_instance() -> None:
    # Given: on 26 October 2025 Berlin's clocks go back from 03:00 to 02:00, so 02:30 happens twice
    # When
    found = fires("cron(30 2 * * ? *)", "Europe/Berlin", utc(2025, 10, 25, 12), 2)

    # Then: "runs the schedule only once at 2:30 a.m. before the shift occurs" (User Guide): 02:30 CEST
    assert found == [utc(2025, 10, 26, 0, 30), utc(2025, 10, 27, 1, 30)]


def test_a_half_hourly_cron_does_not_repeat_the_hour_the_fall_back_repeats() -> None:
    # Given: New York repeats 01:00-01:59 on 2 November 2025
    # When
    found = fires("cron(0/30 * * * ? *)", "America/New_York", utc(2025, 11, 2, 5), 3)

    # Then: 01:30 EDT, then 02:00 EST; the second 01:00 and 01:30 do not fire
    assert found == [utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 7), utc(2025, 11, 2, 7, 30)]


def test_L_in_day_of_month_fires_on_the_last_day_of_each_month() -> None:
    # When
    found = fires("cron(0 12 L * ? *)", "UTC", utc(2024, 1, 31, 12), 3)

    # Then: including a leap February
    assert found == [utc(2024, 2, 29, 12), utc(2024, 3, 31, 12), utc(2024, 4, 30, 12)]


def test_nL_in_day_of_week_fires_on_the_last_such_weekday_of_the_month() -> None:
    # Given: the User Guide's example, 10:15 on the last Friday of each month in 2022-2023
    # When
    found = fires("cron(15 10 ? * 6L 2022-2023)", "UTC", utc(2023, 11, 1), 2)

    # Then: and nothing after 2023
    assert found == [utc(2023, 11, 24, 10, 15), utc(2023, 12, 29, 10, 15)]
    assert next_fire(parse_expression("cron(15 10 ? * 6L 2022-2023)"), "UTC", found[-1]) is None


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        # 15 June 2025 is a Sunday: the closest weekday is Monday the 16th
        ("cron(0 9 15W * ? *)", utc(2025, 6, 1), utc(2025, 6, 16, 9)),
        # 15 November 2025 is a Saturday: Friday the 14th
        ("cron(0 9 15W * ? *)", utc(2025, 11, 1), utc(2025, 11, 14, 9)),
        # 1 February 2025 is a Saturday: Friday would leave the month, so Monday the 3rd
        ("cron(0 9 1W * ? *)", utc(2025, 2, 1), utc(2025, 2, 3, 9)),
        # 31 August 2025 is a Sunday: Monday would leave the month, so Friday the 29th
        ("cron(0 9 31W * ? *)", utc(2025, 8, 1), utc(2025, 8, 29, 9)),
        # a weekday is its own closest weekday
        ("cron(0 9 3W * ? *)", utc(2025, 6, 1), utc(2025, 6, 3, 9)),
    ],
)
def test_W_fires_on_the_weekday_closest_to_the_day_within_the_month(
    text: str, after: datetime, expected: datetime
) -> None:
    # When
    fire = next_fire(parse_expression(text), "UTC", after)

    # Then
    assert fire == expected


def test_hash_fires_on_the_nth_weekday_of_the_month() -> None:
    # When: "3#2 would be the second Tuesday of the month" (User Guide)
    found = fires("cron(0 9 ? * 3#2 *)", "UTC", utc(2025, 1, 1), 2)

    # Then
    assert found == [utc(2025, 1, 14, 9), utc(2025, 2, 11, 9)]


def test_hash_skips_months_without_that_many_such_weekdays() -> None:
    # When: the fifth Monday
    found = fires("cron(0 9 ? * MON#5 *)", "UTC", utc(2025, 1, 1), 2)

    # Then: 2025 has five Mondays in March and June, none in January, February, April or May
    assert found == [utc(2025, 3, 31, 9), utc(2025, 6, 30, 9)]


def test_a_cron_whose_years_are_over_never_fires_again() -> None:
    # Given
    expression = parse_expression("cron(0 8 * * ? 2020-2024)")

    # When / Then
    assert next_fire(expression, "Europe/Berlin", utc(2025, 1, 1)) is None


def test_a_cron_naming_a_day_that_never_comes_never_fires() -> None:
    # Given: 30 February
    expression = parse_expression("cron(0 0 30 2 ? *)")

    # When / Then
    assert next_fire(expression, "UTC", utc(2026, 1, 1)) is None


def test_the_last_fire_is_in_2199() -> None:
    # Given
    expression = parse_expression("cron(59 23 31 12 ? *)")

    # When
    last = next_fire(expression, "Pacific/Kiritimati", utc(2199, 1, 1))

    # Then: 23:59 on 31 December 2199 at +14:00, and nothing later
    assert last == utc(2199, 12, 31, 9, 59)
    assert next_fire(expression, "Pacific/Kiritimati", last) is None


def test_the_next_fire_is_strictly_after_the_given_time() -> None:
    # Given
    expression = parse_expression("cron(0 8 * * ? *)")

    # When
    fire = next_fire(expression, "UTC", utc(2026, 1, 1, 8))

    # Then
    assert fire == utc(2026, 1, 2, 8)


def test_next_fire_needs_timezone_aware_datetimes() -> None:
    # Given
    expression = parse_expression("cron(0 8 * * ? *)")

    # When / Then
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(expression, "UTC", datetime(2026, 1, 1))


# --- next fire: rate() --------------------------------------------------------------------------------------


def test_rate_1_minute_fires_every_minute_from_the_anchor() -> None:
    # Given: created at 10:00:00
    anchor = utc(2026, 5, 4, 10)

    # When
    found = fires("rate(1 minute)", "UTC", anchor, 3, anchor=anchor)

    # Then: the first fire is one period after creation
    assert found == [utc(2026, 5, 4, 10, 1), utc(2026, 5, 4, 10, 2), utc(2026, 5, 4, 10, 3)]


def test_rate_5_minutes_fires_on_the_anchors_grid() -> None:
    # Given: enabled at 10:00:30
    expression = parse_expression("rate(5 minutes)")
    anchor = datetime(2026, 5, 4, 10, 0, 30, tzinfo=UTC)

    # When: asked at 10:07, at exactly a fire time, and before the anchor
    later = next_fire(expression, "UTC", utc(2026, 5, 4, 10, 7), anchor=anchor)
    on_a_fire = next_fire(expression, "UTC", datetime(2026, 5, 4, 10, 10, 30, tzinfo=UTC), anchor=anchor)
    before = next_fire(expression, "UTC", utc(2026, 5, 4, 9), anchor=anchor)

    # Then
    assert later == datetime(2026, 5, 4, 10, 10, 30, tzinfo=UTC)
    assert on_a_fire == datetime(2026, 5, 4, 10, 15, 30, tzinfo=UTC)
    assert before == datetime(2026, 5, 4, 10, 5, 30, tzinfo=UTC)


def test_a_rate_ignores_the_timezone() -> None:
    # Given
    expression = parse_expression("rate(5 minutes)")
    anchor = utc(2026, 3, 29, 0, 58)

    # When: across Berlin's spring-forward, in Berlin and in UTC
    in_berlin = next_fire(expression, "Europe/Berlin", utc(2026, 3, 29, 0, 59), anchor=anchor)
    in_utc = next_fire(expression, "UTC", utc(2026, 3, 29, 0, 59), anchor=anchor)

    # Then
    assert in_berlin == in_utc == utc(2026, 3, 29, 1, 3)


def test_rate_1_day_is_24_hours_even_when_daylight_saving_changes_the_day() -> None:
    # Given: created at 08:00 CET the day before Berlin springs forward
    anchor = utc(2025, 3, 29, 7)

    # When
    fire = next_fire(parse_expression("rate(1 day)"), "Europe/Berlin", anchor, anchor=anchor)

    # Then: "days represents a 24-hour duration on the clock" (User Guide) - 09:00 CEST, not 08:00
    assert fire == utc(2025, 3, 30, 7)


def test_a_rate_needs_its_anchor() -> None:
    # Given
    expression = parse_expression("rate(5 minutes)")

    # When / Then
    with pytest.raises(ValueError, match="needs the anchor"):
        next_fire(expression, "UTC", utc(2026, 1, 1))


# --- next fire and validation: at() -------------------------------------------------------------------------


def test_an_at_fires_once_at_its_wall_clock_time_in_the_schedules_timezone() -> None:
    # Given: the User Guide's example, 1 p.m. in Los Angeles (PST, UTC-8) on 20 November
    expression = parse_expression("at(2026-11-20T13:00:00)")

    # When
    fire = next_fire(expression, "America/Los_Angeles", utc(2026, 11, 1))

    # Then: and never again
    assert fire == utc(2026, 11, 20, 21)
    assert next_fire(expression, "America/Los_Angeles", fire) is None


def test_an_at_in_the_past_does_not_fire() -> None:
    # Given
    expression = parse_expression("at(2026-01-01T09:00:00)")

    # When / Then
    assert next_fire(expression, "Asia/Tokyo", utc(2026, 1, 1, 0, 1)) is None


def test_a_new_at_in_the_past_is_refused_with_a_message_quoting_it() -> None:
    # Given: 09:00 in Tokyo is 00:00Z, one minute before now
    expression = parse_expression("at(2026-01-01T09:00:00)")

    # When
    with pytest.raises(ScheduleExpressionError) as refused:
        validate_new(expression, "Asia/Tokyo", now=utc(2026, 1, 1, 0, 1))

    # Then
    assert '"at(2026-01-01T09:00:00)" is in the past' in str(refused.value)
    assert "2026-01-01T00:00:00Z" in str(refused.value)


def test_a_new_at_in_the_future_is_accepted() -> None:
    # Given: 09:00 in Tokyo is 00:00Z, one minute from now
    expression = parse_expression("at(2026-01-01T09:00:00)")

    # When / Then
    validate_new(expression, "Asia/Tokyo", now=utc(2025, 12, 31, 23, 59))


def test_a_new_at_on_a_time_daylight_saving_skips_is_refused() -> None:
    # Given: 02:30 does not exist in Berlin on 28 March 2027
    expression = parse_expression("at(2027-03-28T02:30:00)")

    # When / Then
    with pytest.raises(ScheduleExpressionError, match="does not exist in Europe/Berlin"):
        validate_new(expression, "Europe/Berlin", now=utc(2026, 1, 1))


@pytest.mark.parametrize("text", ["cron(0 8 * * ? 2020)", "rate(5 minutes)"])
def test_a_new_recurring_schedule_is_not_judged_by_its_fire_times(text: str) -> None:
    # When / Then: only at() has a "past"
    validate_new(parse_expression(text), "UTC", now=utc(2026, 1, 1))


def test_a_new_schedule_in_an_unknown_timezone_is_refused() -> None:
    # When / Then
    with pytest.raises(ScheduleExpressionError, match='unknown timezone "Moon/Tranquility"'):
        validate_new(parse_expression("rate(5 minutes)"), "Moon/Tranquility", now=utc(2026, 1, 1))


# --- properties ---------------------------------------------------------------------------------------------

# (text, the values it names) for one field; values are computed here, independently of the parser.
FieldDraw = tuple[str, frozenset[int]]


def field_parts(low: int, high: int, *, increments: bool = True) -> st.SearchStrategy[FieldDraw]:
    value = st.integers(low, high)
    step = st.integers(1, high - low + 2)
    parts: list[st.SearchStrategy[FieldDraw]] = [
        st.just(("*", frozenset(range(low, high + 1)))),
        value.map(lambda v: (str(v), frozenset({v}))),
        st.tuples(value, value)
        .map(sorted)
        .map(lambda r: (f"{r[0]}-{r[1]}", frozenset(range(r[0], r[1] + 1)))),
    ]
    if increments:
        parts += [
            st.tuples(value, step).map(lambda p: (f"{p[0]}/{p[1]}", frozenset(range(p[0], high + 1, p[1])))),
            step.map(lambda s: (f"*/{s}", frozenset(range(low, high + 1, s)))),
            st.tuples(value, value, step).map(
                lambda p: (
                    f"{min(p[0], p[1])}-{max(p[0], p[1])}/{p[2]}",
                    frozenset(range(min(p[0], p[1]), max(p[0], p[1]) + 1, p[2])),
                )
            ),
        ]
    return st.one_of(parts)


def fields(low: int, high: int, *, increments: bool = True) -> st.SearchStrategy[FieldDraw]:
    return st.lists(field_parts(low, high, increments=increments), min_size=1, max_size=3).map(
        lambda drawn: (
            ",".join(text for text, _ in drawn),
            frozenset().union(*(values for _, values in drawn)),
        )
    )


day_fields = st.one_of(
    fields(1, 31).map(lambda f: f"{f[0]} ?"),
    st.just("L ?"),
    st.integers(1, 31).map(lambda d: f"{d}W ?"),
    fields(1, 7, increments=False).map(lambda f: f"? {f[0]}"),
    st.sampled_from(["? MON-FRI", "? SAT,SUN", "? L"]),
    st.integers(1, 7).map(lambda d: f"? {d}L"),
    st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda p: f"? {p[0]}#{p[1]}"),
)
year_fields = st.one_of(st.just("*"), fields(2020, 2040))


@st.composite
def valid_crons(draw: st.DrawFn) -> str:
    minutes, hours, months = draw(fields(0, 59)), draw(fields(0, 23)), draw(fields(1, 12))
    day_of_month_and_week = draw(day_fields)
    day_of_month, day_of_week = day_of_month_and_week.split(" ")
    return f"cron({minutes[0]} {hours[0]} {day_of_month} {months[0]} {day_of_week} {draw(year_fields)[0]})"


ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
]


@cache
def transitions(zone_name: str) -> list[datetime]:
    """The instants in 2024-2026 when the zone's UTC offset changes (to the hour)."""
    zone = ZoneInfo(zone_name)
    found: list[datetime] = []
    moment = utc(2024, 1, 1)
    while moment < utc(2027, 1, 1):
        if moment.astimezone(zone).utcoffset() != (moment + timedelta(days=1)).astimezone(zone).utcoffset():
            for hour in range(1, 25):
                instant = moment + timedelta(hours=hour)
                before = (instant - timedelta(hours=1)).astimezone(zone).utcoffset()
                if instant.astimezone(zone).utcoffset() != before:
                    found.append(instant)
        moment += timedelta(days=1)
    return found or [utc(2025, 6, 1)]


@st.composite
def moments_near_a_clock_change(draw: st.DrawFn) -> tuple[str, datetime]:
    zone = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(transitions(zone)))
    offset = draw(st.integers(-36 * 3600, 36 * 3600)) * 1_000_000 + draw(st.integers(0, 999_999))
    return zone, change + timedelta(microseconds=offset)


@settings(max_examples=200, deadline=None)
@given(fields(0, 59))
def test_any_field_names_exactly_the_values_its_wildcards_describe(minutes: FieldDraw) -> None:
    # Given
    text, values = minutes

    # When
    expression = parse_expression(f"cron({text} 0 * * ? *)")

    # Then
    assert expression.cron is not None
    assert expression.cron.minutes == values


@settings(max_examples=150, deadline=None)
@given(
    valid_crons(), st.sampled_from(ZONES), st.datetimes(datetime(2020, 1, 1), datetime(2035, 1, 1)), st.data()
)
def test_the_next_fire_is_a_later_matching_minute_with_no_match_in_between(
    text: str, zone_name: str, naive_after: datetime, data: st.DataObject
) -> None:
    # Given
    expression = parse_expression(text)
    assert expression.cron is not None
    cron = expression.cron
    after = naive_after.replace(tzinfo=UTC)

    # When
    fire = next_fire(expression, zone_name, after)

    # Then: strictly later, on a whole minute, in UTC, at the first instance of a wall-clock time that matches
    if fire is None:
        return
    assert fire > after
    assert fire.tzinfo is UTC
    assert (fire.second, fire.microsecond) == (0, 0)
    local = fire.astimezone(ZoneInfo(zone_name))
    assert local.fold == 0
    assert local.minute in cron.minutes
    assert local.hour in cron.hours
    assert local.month in cron.months
    assert local.year in cron.years
    assert local.day in cron.days.days_in(local.year, local.month)
    # ...and asking again from any moment in between finds the same fire, so nothing was skipped.
    assert next_fire(expression, zone_name, fire - timedelta(seconds=1)) == fire
    between = min(after + (fire - after) * data.draw(st.floats(0, 1)), fire - timedelta(microseconds=1))
    assert next_fire(expression, zone_name, between) == fire


def brute_force_next_fire(
    minutes: frozenset[int], hours: frozenset[int], zone: ZoneInfo, after: datetime
) -> datetime:
    """The documented rule, checked one real minute at a time: the first minute after `after` whose wall-clock
    time in `zone` has a named hour and minute and is that time's first instance (a skipped time never shows;
    a repeated one only fires the first time, fold 0)."""
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while True:
        local = moment.astimezone(zone)
        if local.fold == 0 and local.minute in minutes and local.hour in hours:
            return moment
        moment += timedelta(minutes=1)


@settings(max_examples=150, deadline=None)
@given(fields(0, 59), fields(0, 23), moments_near_a_clock_change())
def test_a_daily_cron_near_a_clock_change_fires_when_the_minute_by_minute_rule_says(
    minutes: FieldDraw, hours: FieldDraw, zone_and_after: tuple[str, datetime]
) -> None:
    # Given: a cron for every day, and a moment within 36 hours of a daylight saving change
    zone_name, after = zone_and_after
    expression = parse_expression(f"cron({minutes[0]} {hours[0]} * * ? *)")

    # When
    fire = next_fire(expression, zone_name, after)

    # Then
    assert fire == brute_force_next_fire(minutes[1], hours[1], ZoneInfo(zone_name), after)


def is_weekday(day: date) -> bool:
    return aws_day_of_week(day) not in (1, 7)


DAY_RULES: dict[str, Callable[[str, date, int], bool]] = {
    # Each rule says from first principles whether `day` (of a month with `last` days) matches.
    "L": lambda _, day, last: day.day == last,
    "W": lambda spec, day, last: (
        int(spec) <= last
        and is_weekday(day)
        and all(
            abs(day.day - int(spec)) < abs(other - int(spec))
            for other in range(1, last + 1)
            if other != day.day and is_weekday(day.replace(day=other))
        )
    ),
    "nL": lambda spec, day, last: aws_day_of_week(day) == int(spec) and day.day + 7 > last,
    "#": lambda spec, day, _: (
        aws_day_of_week(day) == int(spec.split("#")[0]) and (day.day - 1) // 7 + 1 == int(spec.split("#")[1])
    ),
}


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1970, 2199),
    st.integers(1, 12),
    st.one_of(
        st.just(("L", "L", "day-of-month")),
        # W is subtle at the month's edges, so those days are drawn often.
        st.one_of(st.sampled_from([1, 2, 29, 30, 31]), st.integers(1, 31)).map(
            lambda d: ("W", str(d), "day-of-month")
        ),
        st.integers(1, 7).map(lambda d: ("nL", str(d), "day-of-week")),
        st.tuples(st.integers(1, 7), st.integers(1, 5)).map(lambda p: ("#", f"{p[0]}#{p[1]}", "day-of-week")),
    ),
)
def test_L_W_and_hash_pick_the_days_their_definitions_describe(
    year: int, month: int, rule: tuple[str, str, str]
) -> None:
    # Given
    kind, spec, field = rule
    day_text = {"L": "L", "W": f"{spec}W", "nL": f"{spec}L", "#": spec}[kind]
    text = f"cron(0 0 {day_text} * ? *)" if field == "day-of-month" else f"cron(0 0 ? * {day_text} *)"
    expression = parse_expression(text)
    assert expression.cron is not None
    last = calendar.monthrange(year, month)[1]

    # When
    chosen = expression.cron.days.days_in(year, month)

    # Then
    expected = [d for d in range(1, last + 1) if DAY_RULES[kind](spec, date(year, month, d), last)]
    assert chosen == expected


def test_a_parsed_expression_is_a_value() -> None:
    # Given / When
    first, second = parse_expression("cron(0 8 ? * MON-FRI *)"), parse_expression("cron(0 8 ? * MON-FRI *)")

    # Then: equal, hashable and frozen, so it can be cached and compared
    assert first == second
    assert hash(first) == hash(second)
    assert isinstance(first, ScheduleExpression)
    with pytest.raises(AttributeError):
        first.text = "rate(5 minutes)"  # type: ignore[misc]
