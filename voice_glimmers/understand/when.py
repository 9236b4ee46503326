"""Time words to date ranges of glimmer days.

`resolve_when("what were my glimmers last week", today)` finds the time words
anywhere in the text and returns an inclusive `DateRange`, or None when there
are none. `today` is already a glimmer day (see `clock.glimmer_day`). Text is
taken as speech recognition gives it: lower case, numbers as words.

"all", "everything", "ever", "in total" and "altogether" resolve to
`DateRange(date.min, today)`; ranges that reach into the present ("this week",
"this month", "the last 7 days") end on today, never in the future. A month
after "in", "during", "since"... ("in october") is the most recent one that has
begun, and so is one named alone ("november"; not "may" or "march", which are
often other words); "nov 20" is the most recent 20 November. "A week ago" is that
one day; "recently" and "lately" are the last seven days; "since i started" is all.
"on the twentieth" is the most recent twentieth, today included.

Weekdays name a day that has already come:

- "monday", "on monday", "this monday": the most recent Monday, today included
  (said on a Friday, "this tuesday" is three days ago and "friday" is today);
- "last monday", "this past monday", "previous monday": the most recent Monday
  before today ("last friday" said on a Friday is a week ago, "last tuesday"
  three days ago).

A weekend is Saturday and Sunday, whatever the week start:

- "this weekend", "the weekend", "weekend": the one going on (Saturday up to
  today) on a Saturday or Sunday; from Monday to Friday the one just gone, as the
  coming one has not happened;
- "last weekend", "past weekend", "previous weekend": from Monday to Friday
  the one just gone (as "this weekend"), on a Saturday or Sunday the one a
  week before.
"""

from __future__ import annotations

import logging
import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta

from voice_glimmers.core.days import PARTS, DateRange
from voice_glimmers.core.words import plain_words

_LOGGER = logging.getLogger(__name__)

_UNITS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_UNIT_ORDINALS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
    "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_TEN_ORDINALS = (
    "twentieth thirtieth fortieth fiftieth sixtieth seventieth eightieth ninetieth"
).split()

_CARDINAL = {w: n for n, w in enumerate(_UNITS)} | {w: 20 + 10 * n for n, w in enumerate(_TENS)}
_ORDINAL = {w: n for n, w in enumerate(_UNIT_ORDINALS)} | {
    w: 20 + 10 * n for n, w in enumerate(_TEN_ORDINALS)
}
_DIGITS = re.compile(r"^(\d{1,6})(st|nd|rd|th)?$")

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
RECENT_DAYS = 7  # "recently", "lately": the last seven days
_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

_MONTH = "(?P<{}>" + "|".join(_MONTHS) + ")"
# Short names, before a day only ("nov 20"); a month named alone may not be a common word.
_SHORT_MONTHS = {"jan": "january", "feb": "february", "mar": "march", "apr": "april",
                 "jun": "june", "jul": "july", "aug": "august", "sep": "september",
                 "sept": "september", "oct": "october", "nov": "november", "dec": "december"}
_ALONE_MONTHS = [m for m in _MONTHS if m not in ("may", "march")]  # "may i", "march on"
_DAY = r"(?:the )?(?P<{}>\d+)(?:th)?"
_PATTERN = re.compile(
    r"\b(?:(?P<lead>on|from|for|of|in|during|over|since|at|within|about) )?(?:"
    + "|".join(
        [
            _MONTH.format("m1") + " " + _DAY.format("d1"),
            _DAY.format("d2") + " of " + _MONTH.format("m2"),
            "(?P<m4>" + "|".join(_SHORT_MONTHS) + ") " + _DAY.format("d4"),
            r"(?P<month_lead>in|during|from|for|since|over|throughout) " + _MONTH.format("m3"),
            r"(?P<date_lead>on|since|from) the (?P<d3>\d+)th",
            r"(?:the )?day before yesterday(?P<before_yesterday>)",
            r"(?P<ago>\d+|a couple of|a couple|a) days? ago",
            r"(?P<weeks_ago>\d+|a couple of|a couple|a) weeks? ago",
            r"(?P<recent>recently|lately|of late)",
            r"(?:the )?(?:last|past|previous) (?P<last_n>\d+|couple of|couple|few)"
            r" (?P<unit>days?|weeks?)",
            r"(?P<yesterday>yesterdays?|last (?P<last_part>night))",
            r"(?P<today>(?:earlier )?todays?|(?P<tonight>tonights?)"
            r"|this (?P<this_part>morning|afternoon|evening)s?|so far today)",
            r"(?:earlier )?(?:the )?(?P<rel>this|last|past) (?P<period>week|month|year)s?",
            r"(?:(?P<day_rel>last|this past|past|previous|this) )?"
            r"(?P<weekday>" + "|".join(_WEEKDAYS) + ")s?",
            r"(?:(?P<weekend_rel>last|past|previous|this|the) )?(?P<weekend>weekend)",
            r"(?P<month_alone>" + "|".join(_ALONE_MONTHS) + ")",
            r"(?P<all>all together|altogether|in total|all|everything|ever|all time|any time"
            r"|since i (?:started|began|first started)|since the (?:very )?(?:start|beginning)"
            r"|from the (?:very )?(?:start|beginning)|since day 1)",
        ]
    )
    + r")\b"
)


def _read_number(tokens: list[str], i: int) -> tuple[int, bool, int] | None:
    """Read a number at tokens[i]: (value, is_ordinal, index after it), or None."""
    token = tokens[i]
    digits = _DIGITS.match(token)
    if digits:
        return int(digits.group(1)), bool(digits.group(2)), i + 1
    if token in _ORDINAL:
        return _ORDINAL[token], True, i + 1
    if token not in _CARDINAL:
        return None
    value, j = _CARDINAL[token], i + 1
    if 20 <= value and j < len(tokens):
        nxt = tokens[j]
        if 1 <= _CARDINAL.get(nxt, 0) <= 9:
            value, j = value + _CARDINAL[nxt], j + 1
        elif 1 <= _ORDINAL.get(nxt, 0) <= 9:
            return value + _ORDINAL[nxt], True, j + 1
    if 1 <= value <= 9 and j < len(tokens) and tokens[j] in ("hundred", "hundredth"):
        value, j = value * 100, j + 1
        if tokens[j - 1] == "hundredth":
            return value, True, j
        if j < len(tokens) and tokens[j] == "and":
            j += 1
        rest = _read_number(tokens, j) if j < len(tokens) else None
        if rest and rest[0] < 100:
            return value + rest[0], rest[1], rest[2]
    return value, False, j


def _normalise(tokens: list[str]) -> tuple[str, list[tuple[int, int, int]]]:
    """Words with numbers as digits ("21", ordinals "21th"), and where each came from.

    The second value holds, per normalised word, (character offset, first source
    word, source word after the last).
    """
    out: list[str] = []
    origin: list[tuple[int, int, int]] = []
    offset = i = 0
    while i < len(tokens):
        read = _read_number(tokens, i)
        if read is None:
            word, j = tokens[i], i + 1
        else:
            value, ordinal, j = read
            word = f"{value}th" if ordinal else str(value)
        out.append(word)
        origin.append((offset, i, j))
        offset += len(word) + 1
        i = j
    return " ".join(out), origin


def _count(word: str) -> int:
    if word.isdigit():
        return int(word)
    return 3 if word == "few" else 2 if "couple" in word else 1


def _month_day(month_name: str, day_text: str, today: date) -> DateRange | None:
    month, day = _MONTHS.index(month_name) + 1, int(day_text)
    for year in range(today.year, today.year - 5, -1):
        if 1 <= day <= monthrange(year, month)[1] and date(year, month, day) <= today:
            return DateRange(date(year, month, day), date(year, month, day))
    return None


def _month(month_name: str, today: date) -> DateRange:
    """The most recent such month: up to today if it is this one."""
    month = _MONTHS.index(month_name) + 1
    year = today.year if month <= today.month else today.year - 1
    end = date(year, month, monthrange(year, month)[1])
    return DateRange(date(year, month, 1), min(end, today))


def _day_of_month(day: int, today: date) -> DateRange | None:
    """"on the twentieth": the most recent twentieth, today included."""
    year, month = today.year, today.month
    for _ in range(12):
        if 1 <= day <= monthrange(year, month)[1] and date(year, month, day) <= today:
            return DateRange(date(year, month, day), date(year, month, day))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def _period(rel: str, period: str, today: date, week_start: int) -> DateRange:
    if period == "week":
        if rel == "past":
            return DateRange(today - timedelta(days=6), today)
        start = today - timedelta(days=(today.weekday() - week_start) % 7)
        if rel == "last":
            return DateRange(start - timedelta(days=7), start - timedelta(days=1))
        return DateRange(start, today)
    if period == "month":
        first = today.replace(day=1)
        if rel == "this":
            return DateRange(first, today)
        previous_end = first - timedelta(days=1)
        return DateRange(previous_end.replace(day=1), previous_end)
    if rel == "this":
        return DateRange(date(today.year, 1, 1), today)
    return DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))


def _weekend(last: bool, today: date) -> DateRange:
    """This weekend (going on, else the one just gone) or last weekend; never past today."""
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    if last and today.weekday() >= 5:
        saturday -= timedelta(days=7)
    return DateRange(saturday, min(saturday + timedelta(days=1), today))


def _resolve(found: re.Match[str], today: date, week_start: int) -> DateRange | None:
    g = found.groupdict()
    if g["m1"] or g["m2"]:
        return _month_day(g["m1"] or g["m2"], g["d1"] or g["d2"], today)
    if g["m4"]:
        return _month_day(_SHORT_MONTHS[g["m4"]], g["d4"], today)
    if g["m3"] or g["month_alone"]:
        return _month(g["m3"] or g["month_alone"], today)
    if g["d3"]:
        return _day_of_month(int(g["d3"]), today)
    if g["before_yesterday"] is not None:
        day = today - timedelta(days=2)
        return DateRange(day, day)
    if g["ago"]:
        day = today - timedelta(days=_count(g["ago"]))
        return DateRange(day, day)
    if g["weeks_ago"]:
        day = today - timedelta(days=7 * _count(g["weeks_ago"]))
        return DateRange(day, day)
    if g["recent"]:
        return DateRange(today - timedelta(days=RECENT_DAYS - 1), today)
    if g["last_n"]:
        days = _count(g["last_n"]) * (7 if g["unit"].startswith("week") else 1)
        return DateRange(today - timedelta(days=days - 1), today) if days >= 1 else None
    if g["yesterday"]:
        return DateRange(today - timedelta(days=1), today - timedelta(days=1))
    if g["today"]:
        return DateRange(today, today)
    if g["period"]:
        return _period(g["rel"], g["period"], today, week_start)
    if g["weekday"]:
        back = (today.weekday() - _WEEKDAYS.index(g["weekday"])) % 7
        if g["day_rel"] not in (None, "this") and back == 0:
            back = 7  # "last friday" on a Friday: a week ago
        day = today - timedelta(days=back)
        return DateRange(day, day)
    if g["weekend"]:
        return _weekend(g["weekend_rel"] in ("last", "past", "previous"), today)
    return DateRange(date.min, today)


@dataclass(frozen=True)
class WhenSpan:
    """Time words found in a text: the range they name and where they are.

    `start` and `end` index `plain_words(text)` (end exclusive) and include a leading
    preposition ("on monday", "from last week").
    """

    range: DateRange
    start: int
    end: int


def find_when(text: str, today: date, *, week_start: int = 0) -> WhenSpan | None:
    """The time words in `text` and the range of glimmer days they name, or None.

    "since monday" runs from that day to today. The leftmost time expression
    wins, except that "all"/"everything"/"ever" only count when nothing more
    specific is said (and of those, the longest: "all of them from the very start").
    A day that does not exist ("february thirtieth") gives None.
    """
    tokens = plain_words(text)
    normalised, origin = _normalise(tokens)
    matches = list(_PATTERN.finditer(normalised))
    specific = [m for m in matches if m.group("all") is None]
    candidates = specific or matches
    if not candidates:
        return None
    # all time said more than one way ('all of them from the very start'): the longest way
    chosen = candidates[0] if specific else max(candidates, key=lambda m: m.end() - m.start())
    try:
        found = _resolve(chosen, today, week_start % 7)
    except (OverflowError, ValueError):
        _LOGGER.debug("time words out of range: %r", text)
        return None
    if found is None:
        return None
    if "since" in (chosen.group("lead"), chosen.group("month_lead"), chosen.group("date_lead")):
        found = DateRange(found.start, today)
    inside = [(i, j) for at, i, j in origin if chosen.start() <= at < chosen.end()]
    start, end = inside[0][0], inside[-1][1]
    part = chosen.group("last_part") or chosen.group("this_part") or (
        "evening" if chosen.group("tonight") else None)
    if part is None and found.start == found.end and end < len(tokens):
        after = tokens[end].removesuffix("s")  # "yesterday morning", "on monday evenings"
        if after in PARTS:
            part, end = after, end + 1
    if part is not None:
        found = DateRange(found.start, found.end, part)
    return WhenSpan(found, start, end)


def resolve_when(text: str, today: date, *, week_start: int = 0) -> DateRange | None:
    """The range of glimmer days the time words in `text` name, or None if there are none.

    See `find_when` for which words count.
    """
    found = find_when(text, today, week_start=week_start)
    return found.range if found else None
