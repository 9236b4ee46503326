"""When a glimmer happened, from its own time words: "yesterday evening my partner made
me soup" happened yesterday evening, not at the moment it was said.

Only time words at the start or the end of the glimmer date it ("last night, the stars",
"the stars last night"); in the middle they are part of what happened ("the song from
yesterday's walk"). The words are kept whole: only the moment changes. A part of the day
gives an hour (morning 09:00, afternoon 15:00, evening 19:00, night 22:00), a day alone
noon, as `add --at yesterday` does. A moment still to come ("this evening", said in the
morning) dates nothing. Pure: text, the moment now and the glimmer day in, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from voice_glimmers.core.words import tokens

_PARTS = {"morning": time(9), "afternoon": time(15), "lunchtime": time(12, 30),
          "evening": time(19), "night": time(22)}
_NOON = time(12)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AT_EDGES = " \t,;:-–—."


@dataclass(frozen=True)
class Dated:
    at: datetime  # when it happened
    when: str  # the time words, for the reply: "yesterday evening", "last Monday"
    rest: str  # the glimmer's words without them: "my partner made me soup"


def _phrase(words: list[str], today: date) -> tuple[int, date, time, str] | None:
    """The time phrase `words` start with: (its length, the day, the hour, its wording)."""
    n = 1 if words[:1] in (["on"], ["at"]) else 0
    day: date | None = None
    label: list[str] = []
    if words[n:n + 2] == ["last", "night"]:
        return n + 2, today - timedelta(days=1), _PARTS["night"], "last night"
    if words[n:n + 1] == ["tonight"]:
        return n + 1, today, _PARTS["evening"], "tonight"
    if words[n:n + 2] == ["this", "morning"] or words[n:n + 2] == ["this", "afternoon"] or \
            words[n:n + 2] == ["this", "evening"]:
        return n + 2, today, _PARTS[words[n + 1]], f"this {words[n + 1]}"
    if words[n:n + 4] == ["the", "day", "before", "yesterday"]:
        day, n, label = today - timedelta(days=2), n + 4, ["the day before yesterday"]
    elif words[n:n + 3] == ["day", "before", "yesterday"]:
        day, n, label = today - timedelta(days=2), n + 3, ["the day before yesterday"]
    elif words[n:n + 1] == ["yesterday"]:
        day, n, label = today - timedelta(days=1), n + 1, ["yesterday"]
    else:
        last = words[n:n + 1] == ["last"]
        at = n + 1 if last else n
        if words[at:at + 1] and words[at] in _WEEKDAYS:
            back = (today.weekday() - _WEEKDAYS.index(words[at])) % 7 or (7 if last else 0)
            day, n = today - timedelta(days=back), at + 1
            label = (["last"] if last else []) + [words[at].capitalize()]
    if day is None:
        return None
    if words[n:n + 1] and words[n] in _PARTS:
        return n + 1, day, _PARTS[words[n]], " ".join([*label, words[n]])
    if words[n:n + 2] == ["at", "lunch"]:
        return n + 2, day, _PARTS["lunchtime"], " ".join([*label, "at lunch"])
    return n, day, _NOON, " ".join(label)


def date_of_words(text: str, now: datetime, today: date) -> Dated | None:
    """The moment a glimmer's own time words give it, or None (none, or still to come).
    `today` is the glimmer day of `now` (after midnight, still the evening before)."""
    found = tokens(text)
    words = [t.word for t in found]
    if len(words) < 2:
        return None
    lead = _phrase(words, today)
    if lead is not None and lead[0] < len(words):
        size, day, hour, when = lead
        rest = text[found[size].start:]
        return _dated(day, hour, when, rest, now)
    for first in range(1, len(words)):  # the longest phrase that ends the words
        tail = _phrase(words[first:], today)
        if tail is not None and tail[0] == len(words) - first:
            _, day, hour, when = tail
            return _dated(day, hour, when, text[:found[first - 1].end], now)
    return None


def _dated(day: date, hour: time, when: str, rest: str, now: datetime) -> Dated | None:
    at = datetime.combine(day, hour, tzinfo=now.tzinfo)
    if at > now:  # "this evening", said in the morning: it has not happened yet
        return None
    rest = rest.strip(_AT_EDGES)
    return Dated(at, when, rest) if rest else None
