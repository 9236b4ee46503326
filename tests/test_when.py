"""Time words to ranges of glimmer days, with today pinned to Friday 27 November 2026."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice_glimmers.core.clock import glimmer_day, parse_moment
from voice_glimmers.core.days import DateRange
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.understand.when import resolve_when

FRIDAY = date(2026, 11, 27)


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today", "2026-11-27", "2026-11-27"),
        ("tonight", "2026-11-27", "2026-11-27"),
        ("this morning", "2026-11-27", "2026-11-27"),
        ("this afternoon", "2026-11-27", "2026-11-27"),
        ("this evening", "2026-11-27", "2026-11-27"),
        ("yesterday", "2026-11-26", "2026-11-26"),
        ("last night", "2026-11-26", "2026-11-26"),
        ("the day before yesterday", "2026-11-25", "2026-11-25"),
        ("two days ago", "2026-11-25", "2026-11-25"),
        ("3 days ago", "2026-11-24", "2026-11-24"),
        ("twenty one days ago", "2026-11-06", "2026-11-06"),
        ("a day ago", "2026-11-26", "2026-11-26"),
        ("a couple of days ago", "2026-11-25", "2026-11-25"),
        ("monday", "2026-11-23", "2026-11-23"),
        ("on monday", "2026-11-23", "2026-11-23"),
        ("last monday", "2026-11-23", "2026-11-23"),
        ("on saturday", "2026-11-21", "2026-11-21"),
        ("friday", "2026-11-27", "2026-11-27"),  # the most recent one is today
        ("last friday", "2026-11-20", "2026-11-20"),  # "last" is before today: a week ago
        ("this friday", "2026-11-27", "2026-11-27"),
        ("last tuesday", "2026-11-24", "2026-11-24"),
        ("this tuesday", "2026-11-24", "2026-11-24"),
        ("on last sunday", "2026-11-22", "2026-11-22"),
        ("this past saturday", "2026-11-21", "2026-11-21"),
        ("previous thursday", "2026-11-26", "2026-11-26"),
        ("this sunday", "2026-11-22", "2026-11-22"),  # the coming one has not happened
        ("since last tuesday", "2026-11-24", "2026-11-27"),
        ("glimmers from last monday", "2026-11-23", "2026-11-23"),
        ("this weekend", "2026-11-21", "2026-11-22"),  # on a weekday: the one just gone
        ("last weekend", "2026-11-21", "2026-11-22"),
        ("over the weekend", "2026-11-21", "2026-11-22"),
        ("glimmers of last week", "2026-11-16", "2026-11-22"),
        ("this week", "2026-11-23", "2026-11-27"),
        ("since monday", "2026-11-23", "2026-11-27"),
        ("since november the first", "2026-11-01", "2026-11-27"),
        ("last week", "2026-11-16", "2026-11-22"),
        ("the past week", "2026-11-21", "2026-11-27"),
        ("this month", "2026-11-01", "2026-11-27"),
        ("last month", "2026-10-01", "2026-10-31"),
        ("this year", "2026-01-01", "2026-11-27"),
        ("last year", "2025-01-01", "2025-12-31"),
        ("the last seven days", "2026-11-21", "2026-11-27"),
        ("the past 3 days", "2026-11-25", "2026-11-27"),
        ("the last two weeks", "2026-11-14", "2026-11-27"),
        ("the last few days", "2026-11-25", "2026-11-27"),
        ("november twentieth", "2026-11-20", "2026-11-20"),
        ("november 20", "2026-11-20", "2026-11-20"),
        ("november the twenty first", "2026-11-21", "2026-11-21"),
        ("the third of march", "2026-03-03", "2026-03-03"),
        ("march 3rd", "2026-03-03", "2026-03-03"),
        ("on the twenty seventh of november", "2026-11-27", "2026-11-27"),
        ("november thirtieth", "2025-11-30", "2025-11-30"),  # later than today: last year
        ("december first", "2025-12-01", "2025-12-01"),
        ("all", "0001-01-01", "2026-11-27"),
        ("everything", "0001-01-01", "2026-11-27"),
        ("what was my best glimmer ever", "0001-01-01", "2026-11-27"),
        ("what were my glimmers last week", "2026-11-16", "2026-11-22"),
        ("um how many glimmers did i have uh yesterday", "2026-11-26", "2026-11-26"),
        ("all my glimmers from yesterday", "2026-11-26", "2026-11-26"),  # specific beats "all"
        ("What were my glimmers on Monday?", "2026-11-23", "2026-11-23"),
        ("how many glimmers in total", "0001-01-01", "2026-11-27"),
        ("how many have i got altogether", "0001-01-01", "2026-11-27"),
        ("what did i add in october", "2026-10-01", "2026-10-31"),
        ("during november", "2026-11-01", "2026-11-27"),  # this month: up to today
        ("in december", "2025-12-01", "2025-12-31"),  # not begun this year: last year's
        ("since september", "2026-09-01", "2026-11-27"),
        ("on the twentieth", "2026-11-20", "2026-11-20"),
        ("on the thirtieth", "2026-10-30", "2026-10-30"),  # not yet this month
        ("since the first", "2026-11-01", "2026-11-27"),
        ("last weeks glimmers", "2026-11-16", "2026-11-22"),
        ("earlier this week", "2026-11-23", "2026-11-27"),
        ("what did i save earlier today", "2026-11-27", "2026-11-27"),
    ],
)
def test_resolves(text, start, end):
    found = resolve_when(text, FRIDAY)
    assert found is not None and (found.start, found.end) == (d(start), d(end))


@pytest.mark.parametrize(
    ("text", "start", "end", "part"),
    [
        ("a week ago", "2026-11-20", "2026-11-20", None),
        ("two weeks ago", "2026-11-13", "2026-11-13", None),
        ("recently", "2026-11-21", "2026-11-27", None),
        ("what did i save lately", "2026-11-21", "2026-11-27", None),
        ("since i started", "0001-01-01", "2026-11-27", None),
        ("list november", "2026-11-01", "2026-11-27", None),
        ("nov 20", "2026-11-20", "2026-11-20", None),
        ("what did i save this morning", "2026-11-27", "2026-11-27", "morning"),
        ("yesterday afternoon", "2026-11-26", "2026-11-26", "afternoon"),
        ("last night", "2026-11-26", "2026-11-26", "night"),
        ("tonight", "2026-11-27", "2026-11-27", "evening"),
        ("on monday evening", "2026-11-23", "2026-11-23", "evening"),
        ("this week", "2026-11-23", "2026-11-27", None),
    ],
)
def test_new_time_words_and_parts_of_a_day(text, start, end, part):
    assert resolve_when(text, FRIDAY) == DateRange(d(start), d(end), part)


@pytest.mark.parametrize(
    ("part", "hour", "holds"),
    [("morning", 9, True), ("morning", 13, False), ("afternoon", 13, True),
     ("evening", 20, True), ("evening", 1, False), ("night", 23, True), ("night", 1, True),
     ("night", 10, False)],
)
def test_a_part_of_a_day_holds_the_moments_of_its_hours(part, hour, holds):
    moment = datetime(2026, 11, 28 if hour < 4 else 27, hour, 30, tzinfo=timezone.utc)
    day = glimmer_day(moment, 4)  # 01:30 on Saturday: still Friday's night
    assert day == FRIDAY
    assert DateRange(FRIDAY, FRIDAY, part).holds(moment, day) is holds
    assert DateRange(FRIDAY, FRIDAY).holds(moment, day)


def test_a_day_that_starts_later_keeps_its_early_hours_in_the_night_before():
    moment = datetime(2026, 11, 28, 5, 0, tzinfo=timezone.utc)  # day_start_hour 6
    day = glimmer_day(moment, 6)
    assert day == FRIDAY
    assert not DateRange(FRIDAY, FRIDAY, "morning").holds(moment, day)
    assert DateRange(FRIDAY, FRIDAY, "night").holds(moment, day)


@pytest.mark.parametrize(
    "text",
    ["", "show my glimmers", "may i have a glimmer", "march on", "the second one",
     "february thirtieth", "999999 days ago", "a week of rain", "every morning",
     "read me the first glimmer", "i may be late", "the thirtieth glimmer"],
)
def test_no_time_words_is_none(text):
    assert resolve_when(text, FRIDAY) is None


@pytest.mark.parametrize(
    ("week_start", "this_week", "last_week"),
    [
        (0, ("2026-11-23", "2026-11-27"), ("2026-11-16", "2026-11-22")),  # Monday
        (6, ("2026-11-22", "2026-11-27"), ("2026-11-15", "2026-11-21")),  # Sunday
        (4, ("2026-11-27", "2026-11-27"), ("2026-11-20", "2026-11-26")),  # Friday: today
        (5, ("2026-11-21", "2026-11-27"), ("2026-11-14", "2026-11-20")),  # Saturday
    ],
)
def test_week_start(week_start, this_week, last_week):
    assert resolve_when("this week", FRIDAY, week_start=week_start) == DateRange(*map(d, this_week))
    assert resolve_when("last week", FRIDAY, week_start=week_start) == DateRange(*map(d, last_week))


@pytest.mark.parametrize(
    ("today", "text", "start", "end"),
    [
        ("2026-03-01", "last month", "2026-02-01", "2026-02-28"),
        ("2028-03-01", "last month", "2028-02-01", "2028-02-29"),
        ("2027-01-05", "last month", "2026-12-01", "2026-12-31"),
        ("2027-01-05", "this month", "2027-01-01", "2027-01-05"),
        ("2027-01-01", "yesterday", "2026-12-31", "2026-12-31"),
        ("2027-01-02", "last week", "2026-12-21", "2026-12-27"),
        ("2027-01-02", "the last 5 days", "2026-12-29", "2027-01-02"),
        ("2026-03-01", "the twenty ninth of february", "2024-02-29", "2024-02-29"),
        ("2027-01-05", "december twenty fifth", "2026-12-25", "2026-12-25"),
        ("2027-01-05", "last year", "2026-01-01", "2026-12-31"),
    ],
)
def test_month_and_year_boundaries(today, text, start, end):
    assert resolve_when(text, d(today)) == DateRange(d(start), d(end))


@pytest.mark.parametrize(
    ("today", "this_weekend", "last_weekend"),
    [
        ("2026-11-23", ("2026-11-21", "2026-11-22"), ("2026-11-21", "2026-11-22")),  # Monday
        ("2026-11-27", ("2026-11-21", "2026-11-22"), ("2026-11-21", "2026-11-22")),  # Friday
        ("2026-11-28", ("2026-11-28", "2026-11-28"), ("2026-11-21", "2026-11-22")),  # Saturday
        ("2026-11-29", ("2026-11-28", "2026-11-29"), ("2026-11-21", "2026-11-22")),  # Sunday
    ],
)
def test_weekends_never_reach_past_today(today, this_weekend, last_weekend):
    for week_start in (0, 6):
        assert resolve_when("this weekend", d(today), week_start=week_start) == DateRange(
            *map(d, this_weekend))
        assert resolve_when("last weekend", d(today), week_start=week_start) == DateRange(
            *map(d, last_weekend))


@pytest.mark.parametrize(
    ("today", "text", "day"),
    [
        ("2026-11-24", "last tuesday", "2026-11-17"),
        ("2026-11-24", "tuesday", "2026-11-24"),
        ("2026-11-24", "this tuesday", "2026-11-24"),
        ("2026-11-24", "last monday", "2026-11-23"),
        ("2026-11-24", "last wednesday", "2026-11-18"),
        ("2026-11-22", "last sunday", "2026-11-15"),
        ("2026-11-22", "last saturday", "2026-11-21"),
    ],
)
def test_last_weekday_is_before_today(today, text, day):
    assert resolve_when(text, d(today)) == DateRange(d(day), d(day))


def test_range_out_of_calendar_is_none():
    assert resolve_when("last month", date(1, 1, 5)) is None
    assert resolve_when("900 days ago", date(1, 3, 1)) is None


def test_to_dict_and_membership():
    week = resolve_when("this week", FRIDAY)
    assert week.to_dict() == {"start": "2026-11-23", "end": "2026-11-27"}
    assert d("2026-11-25") in week and d("2026-11-28") not in week
    assert resolve_when("all", FRIDAY).is_everything
    assert not week.is_everything


@pytest.mark.parametrize(
    ("text", "value"),
    [("seven", 7), ("twenty one", 21), ("21", 21),
     ("one hundred and five", 105), ("two hundred", 200), ("ninety nine", 99)],
)
def test_numbers_said_in_words_or_digits(text, value):
    today = date(2026, 11, 30)
    assert resolve_when(f"{text} days ago", today) == DateRange(
        today - timedelta(days=value), today - timedelta(days=value))


@pytest.mark.parametrize(("text", "day"), [("twenty-first", 21), ("3rd", 3), ("thirtieth", 30),
                                           ("twenty first", 21), ("the second", 2)])
def test_ordinals_said_in_words_or_digits(text, day):
    assert resolve_when(f"on november {text}", date(2026, 11, 30)) == DateRange(
        date(2026, 11, day), date(2026, 11, day))


@pytest.mark.parametrize("text", ["glimmer", "seven days", "thirtieth"])
def test_words_that_are_not_a_count_of_days(text):
    assert resolve_when(f"{text} days ago", date(2026, 11, 30)) is None


@given(st.text(max_size=300), st.dates(), st.integers(min_value=-10, max_value=10))
def test_never_raises(text, today, week_start):
    result = resolve_when(text, today, week_start=week_start)
    assert result is None or result.start <= result.end <= today


@pytest.mark.parametrize("text", ["0001-01-01T00:00", "0001-01-01T03:00+00:00"])
def test_a_moment_at_the_edge_of_the_calendar_is_a_plain_error(text):
    with pytest.raises(GlimmersError, match="too far from today"):
        parse_moment(text)


def test_a_glimmer_day_off_the_calendar_is_a_plain_error():
    first = datetime(1, 1, 1, 2, 0, tzinfo=timezone.utc)
    with pytest.raises(GlimmersError, match="too far from today"):
        glimmer_day(first, 4)
    assert glimmer_day(first + timedelta(hours=2), 4) == date(1, 1, 1)
