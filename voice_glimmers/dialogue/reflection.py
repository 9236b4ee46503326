"""Spoken look-backs: read-backs of glimmers and the evening reflection, from phrase data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.core.protocols import Store
from voice_glimmers.language.replies import Phrases

READ_AT_ONCE = 5
EVENING_OFFER_HOURS = 2.0
"""The evening offer is made only within this many hours after the configured time."""
_NUMBER_WORDS = (
    "no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def is_evening(now: datetime, reflection_time: time | None) -> bool:
    """Is it time for the evening offer (from the configured time, for a couple of hours;
    23:30 may pass midnight)?"""
    if reflection_time is None:
        return False
    for day in (now.date(), now.date() - timedelta(days=1)):
        at = datetime.combine(day, reflection_time, tzinfo=now.tzinfo)
        if at <= now < at + timedelta(hours=EVENING_OFFER_HOURS):
            return True
    return False


def number_word(n: int) -> str:
    """A count as it is said: 0 -> 'no', 22 -> 'twenty-two', 1405 -> 'one thousand four
    hundred and five'. Spoken replies never hold digits."""
    if n < 0:
        return f"minus {number_word(-n)}"
    if n < 20:
        return _NUMBER_WORDS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_NUMBER_WORDS[ones]}" if ones else "")
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand"),
                       (100, "hundred")):
        if n >= size:
            high, low = divmod(n, size)
            words = f"{number_word(high)} {name}"
            if not low:
                return words
            return f"{words} and {number_word(low)}" if low < 100 else f"{words} {number_word(low)}"
    raise AssertionError(n)  # pragma: no cover - every n >= 100 is over one size


def plural(n: int, word: str = "glimmer") -> str:
    return word if n == 1 else word + "s"


def sentence(text: str) -> str:
    """A glimmer as a spoken sentence: capital first letter, closing full stop."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def lower_first(text: str) -> str:
    """'The cat' -> 'the cat' to follow a colon; leaves 'I ...' and acronyms alone."""
    if text.startswith("I ") or text.startswith("I'"):
        return text
    if len(text) > 1 and text[0].isupper() and (text[1].islower() or text[1] == " "):
        return text[0].lower() + text[1:]
    return text


_ORDINALS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()


def ordinal_word(n: int) -> str:
    """3 -> 'third', 21 -> 'twenty-first': said as people say dates."""
    if 1 <= n <= 20:
        return _ORDINALS[n - 1]
    tens = {20: "twenty", 30: "thirty"}[n - n % 10]
    return tens[:-1] + "ieth" if n % 10 == 0 else f"{tens}-{_ORDINALS[n % 10 - 1]}"


def month_day(day: date, today: date) -> str:
    """'November twentieth' (and the year when it is not this one), as it is spoken."""
    label = f"{day:%B} {ordinal_word(day.day)}"
    return label if day.year == today.year else f"{label}, {day.year}"


def week_start_of(day: date, week_start: int) -> date:
    return day - timedelta(days=(day.weekday() - week_start) % 7)


def describe_range(span: DateRange, today: date, week_start: int = 0) -> str:
    """Natural words for a range of glimmer days: 'today', 'on Monday', 'this week'..."""
    start, end = span.start, span.end
    if start == end and span.part:  # "this morning", "last night", "on Monday evening"
        ago = (today - start).days
        if ago == 0:
            return "tonight" if span.part == "night" else f"this {span.part}"
        if ago == 1:
            return "last night" if span.part == "night" else f"yesterday {span.part}"
        if 1 < ago < 7:
            return f"on {start:%A} {span.part}"
        return f"on the {span.part} of {month_day(start, today)}"
    if start == end:
        ago = (today - start).days
        if ago == 0:
            return "today"
        if ago == 1:
            return "yesterday"
        if 1 < ago < 7:
            return f"on {start:%A}"
        return f"on {month_day(start, today)}"
    this_week = week_start_of(today, week_start)
    if start == this_week and end >= today:
        return "this week"
    if start == this_week - timedelta(days=7) and end == this_week - timedelta(days=1):
        return "last week"
    first_of_month = today.replace(day=1)
    if start == first_of_month and end >= today:
        return "this month"
    last_month_end = first_of_month - timedelta(days=1)
    if start == last_month_end.replace(day=1) and end == last_month_end:
        return "last month"
    if start <= date(1900, 1, 1):
        return "altogether"
    if start == date(today.year, 1, 1) and end >= today:
        return "this year"
    if start == date(today.year - 1, 1, 1) and end == date(today.year - 1, 12, 31):
        return "last year"
    if end >= today:
        return f"in the last {number_word((today - start).days + 1)} days"
    return f"from {month_day(start, today)} to {month_day(end, today)}"


def describe_day(day: date, today: date) -> str:
    """When a glimmer was, to open a sentence: 'Yesterday', 'Last Tuesday', 'On March 3'."""
    ago = (today - day).days
    if ago == 0:
        return "Today"
    if ago == 1:
        return "Yesterday"
    if 1 < ago < 7:
        return f"Last {day:%A}"
    if ago == 7:
        return "A week ago"
    return f"On {month_day(day, today)}"


def read_glimmers(
    glimmers: Sequence[Glimmer], today: date, *, name_days: bool = False, more: bool = False
) -> list[str]:
    """Each glimmer as a sentence; across several days each day is named once.

    The last of several gets 'And', as people read a list aloud, unless `more` follow.
    """
    several_days = name_days or len({g.day for g in glimmers}) > 1
    parts: list[str] = []
    previous: date | None = None
    for i, glimmer in enumerate(glimmers):
        text = sentence(glimmer.text)
        if several_days and glimmer.day != previous:
            text = f"{describe_day(glimmer.day, today)}: {lower_first(text)}"
        elif i == len(glimmers) - 1 and i > 0 and not more:
            text = f"And {lower_first(text)}"
        previous = glimmer.day
        parts.append(text)
    return parts


def read_some(
    found: Sequence[Glimmer], today: date, phrases: Phrases, *,
    intro: str | None = None, name_days: bool = False,
) -> tuple[list[str], tuple[Glimmer, ...]]:
    """Up to READ_AT_ONCE glimmers, then an offer of the rest; returns (parts, the rest).

    Whether days are named is decided over everything found, not batch by batch: across
    several days, each batch names the day whenever it changes (and the rest, read on
    "yes", is read with `name_days=True`, so its first glimmer says its day too)."""
    name_days = name_days or len({g.day for g in found}) > 1
    first, rest = tuple(found[:READ_AT_ONCE]), tuple(found[READ_AT_ONCE:])
    parts = ([intro] if intro else []) + read_glimmers(
        first, today, name_days=name_days, more=bool(rest)
    )
    if rest:
        n = len(rest)
        parts.append(phrases.reply("readback_more", are="is" if n == 1 else "are",
                                   count=number_word(n), them="it" if n == 1 else "them"))
    return parts, rest


def readback(
    found: Sequence[Glimmer], span: DateRange, today: date, phrases: Phrases, week_start: int = 0
) -> tuple[list[str], tuple[Glimmer, ...]]:
    """'You noticed three glimmers today. ...', or a kind word when there are none."""
    words = describe_range(span, today, week_start)
    if not found:
        if span.start == span.end == today and not span.part:
            return [phrases.reply("readback_none_today")], ()
        return [phrases.reply("readback_none", today.toordinal(), range=words)], ()
    intro = phrases.reply("readback_intro", count=number_word(len(found)),
                          glimmers=plural(len(found)), range=words)
    return read_some(found, today, phrases, intro=intro)


def count_words(
    n: int, span: DateRange, today: date, phrases: Phrases, week_start: int = 0
) -> str:
    """How many, only because they asked: 'You have two glimmers this week.'"""
    key = "count_some" if n else "count_none"
    words = describe_range(span, today, week_start)
    return phrases.reply(key, count=number_word(n), glimmers=plural(n), range=words)


def search_readback(
    found: Sequence[Glimmer], query: str, today: date, phrases: Phrases
) -> tuple[list[str], tuple[Glimmer, ...]]:
    """What a search found, each with the day it was."""
    if not query:
        return [phrases.reply("search_empty")], ()
    if not found:
        return [phrases.reply("search_none", query=query)], ()
    intro = phrases.reply("search_some", count=number_word(len(found)),
                          glimmers=plural(len(found)), query=query)
    return read_some(found, today, phrases, intro=intro, name_days=True)


def one_glimmer(glimmer: Glimmer | None, today: date, phrases: Phrases) -> str:
    """'Last Tuesday: the smell of fresh bread.' for 'I need a glimmer'."""
    if glimmer is None:
        return phrases.reply("nothing_yet")
    when = describe_day(glimmer.day, today)
    return phrases.reply("random", when=when, text=lower_first(sentence(glimmer.text)))


@dataclass(frozen=True)
class Memory:
    """A glimmer from this day a week, a month or a year ago."""

    ago: str
    glimmer: Glimmer


def memories(store: Store, today: date,
             readable: Callable[[Glimmer], bool] = lambda glimmer: True) -> list[Memory]:
    """At most one 'on this day' glimmer: a year, a month or a week ago (the furthest first);
    only one that may be read back (`readable`)."""
    candidates = []
    try:
        candidates.append(("A year ago today", today.replace(year=today.year - 1)))
    except ValueError:  # 29 February
        pass
    month = today.month - 1 or 12
    year = today.year if today.month > 1 else today.year - 1
    try:
        candidates.append(("A month ago today", today.replace(year=year, month=month)))
    except ValueError:  # the 31st after a shorter month
        pass
    candidates.append(("A week ago today", today - timedelta(days=7)))
    for ago, day in candidates:
        found = [glimmer for glimmer in store.between(day, day) if readable(glimmer)]
        if found:
            return [Memory(ago, found[day.toordinal() % len(found)])]
    return []


def _prompt_for(glimmer: Glimmer, phrases: Phrases, turn: int, used: set[str]) -> str:
    """A prompt that meets the glimmer through a sense it touched, else the next gentle
    one; none is said twice in one reflection while others are left."""
    for tag in sorted(glimmer.tags, key=lambda t: t != "people"):  # connection first
        prompt = phrases.sense_prompts.get(tag)
        if prompt and prompt not in used:
            used.add(prompt)
            return prompt
    count = phrases.count("prompts")
    for _ in range(2):  # a long day: a second round
        for step in range(count):
            prompt = phrases.pick("prompts", turn + len(used) + step)
            if prompt not in used:
                used.add(prompt)
                return prompt
        # A long day has had every one: a new round, in the same order.
        used.difference_update(phrases.reflection["prompts"])
    return phrases.pick("prompts", turn)  # pragma: no cover - the new round has them all


REFLECT_AT_ONCE = 4
"""Today's glimmers read in one go, each with its own invitation; a longer day is offered
in parts: "There are six more. Shall I go on?"."""
GLIMMER_PAUSE_SHARE = 0.25
"""After a glimmer is read, this share of the reflection's pause, before its invitation."""
EVENING_FROM_HOUR = 18
MORNING_FROM_HOUR = 5
"""From EVENING_FROM_HOUR until MORNING_FROM_HOUR the reflection speaks of the evening
(and may end with "Rest well."); in the hours between, of the day so far."""


def is_evening_hour(now: datetime) -> bool:
    """Is it evening or night, the hours in which "Rest well." fits?"""
    return now.hour >= EVENING_FROM_HOUR or now.hour < MORNING_FROM_HOUR


@dataclass(frozen=True)
class Spoken:
    """Parts to say one by one, each with the seconds of quiet to leave after it."""

    parts: tuple[str, ...]
    pauses: tuple[float, ...]


@dataclass(frozen=True)
class ReflectionLeft:
    """What is left of a long day's reflection, read when they say to go on."""

    todays: tuple[Glimmer, ...]
    remembered: tuple[Memory, ...]
    today: date
    used: frozenset[str]


class _Parts:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pauses: list[float] = []

    def add(self, text: str, pause: float = 0.0) -> None:
        self.parts.append(text)
        self.pauses.append(pause)

    def spoken(self) -> Spoken:
        pauses = self.pauses[:-1] + [0.0]  # nothing to wait for after the last
        return Spoken(tuple(self.parts), tuple(pauses))


def _fit_hour(phrases: Phrases, key: str, evening: bool) -> str:
    """`key`, or its daytime variant `key_day` when it is not evening and there is one."""
    return key if evening or f"{key}_day" not in phrases.reflection else f"{key}_day"


def compose_reflection(
    todays: Sequence[Glimmer], remembered: Sequence[Memory], today: date, phrases: Phrases,
    *, offer: bool = True, evening: bool = True, pause: float = 0.0,
) -> tuple[Spoken, ReflectionLeft | None]:
    """The reflection as spoken parts with their pauses, and what is left of a long day.

    `pause` is the quiet after an invitation to stay with something (the glimmer itself
    gets a share of it). With offer=False (nobody there to answer) it ends without a
    question and a long day is not offered in parts: what is left is said in a line.
    `evening` fits the words to the hour: "Rest well." only then, and only last.
    """
    turn = today.toordinal()
    said = _Parts()
    said.add(phrases.pick(_fit_hour(phrases, "openings", evening), turn))
    if not todays:
        said.add(phrases.pick(_fit_hour(phrases, "none_today", evening), turn))
        for memory in remembered:
            said.add(_memory_words(memory, phrases))
        # After the memory, so the invitation leads into the offer.
        said.add(phrases.pick("grounding", turn), pause)
        _last_words(said, phrases, turn, evening, offer, "first")
        return said.spoken(), None
    said.add(phrases.pick(_fit_hour(phrases, "today_intro", evening)))
    left = ReflectionLeft(tuple(todays), tuple(remembered), today, frozenset())
    return _read_on(said, left, phrases, offer=offer, evening=evening, pause=pause)


def continue_reflection(
    left: ReflectionLeft, phrases: Phrases, *, offer: bool = True, evening: bool = True,
    pause: float = 0.0,
) -> tuple[Spoken, ReflectionLeft | None]:
    """The next part of a long day's reflection, after "Shall I go on?" was answered yes."""
    return _read_on(_Parts(), left, phrases, offer=offer, evening=evening, pause=pause)


def _read_on(said: _Parts, left: ReflectionLeft, phrases: Phrases, *, offer: bool,
             evening: bool, pause: float) -> tuple[Spoken, ReflectionLeft | None]:
    turn = left.today.toordinal()
    used = set(left.used)
    batch, rest = left.todays[:REFLECT_AT_ONCE], left.todays[REFLECT_AT_ONCE:]
    for glimmer in batch:
        said.add(sentence(glimmer.text), pause * GLIMMER_PAUSE_SHARE)
        said.add(_prompt_for(glimmer, phrases, turn, used), pause)
    if rest and offer:
        n = len(rest)
        said.add(phrases.pick("go_on", are="is" if n == 1 else "are", count=number_word(n)))
        return said.spoken(), replace(left, todays=rest, used=frozenset(used))
    if rest:
        n = len(rest)
        said.add(phrases.pick("later_rest", are="is" if n == 1 else "are",
                              count=number_word(n)))
    for memory in left.remembered:
        said.add(_memory_words(memory, phrases))
    said.add(phrases.pick("closings", turn))
    _last_words(said, phrases, turn, evening, offer, "more")
    return said.spoken(), None


def reflection_ends(phrases: Phrases, today: date, *, evening: bool) -> str:
    """'Not now' to the reflection's last question, or to going on: a kind close that
    fits the hour."""
    said = _Parts()
    said.add(phrases.pick("stopped", today.toordinal()))
    _rest_well(said, phrases, today.toordinal(), evening)
    return " ".join(said.parts)


def _memory_words(memory: Memory, phrases: Phrases) -> str:
    return phrases.pick("on_this_day", ago=memory.ago,
                        text=lower_first(sentence(memory.glimmer.text)))


def _last_words(said: _Parts, phrases: Phrases, turn: int, evening: bool, offer: bool,
                which: str) -> None:
    """The end of a reflection: the offer to keep one more ("offer_first"/"offer_more"),
    or, with nobody to answer, how to add one later and, in the evening, a goodnight."""
    if offer:
        said.add(phrases.pick(f"offer_{which}", turn))
    else:
        said.add(phrases.pick(f"later_{which}", turn))
        _rest_well(said, phrases, turn, evening)


def _rest_well(said: _Parts, phrases: Phrases, turn: int, evening: bool) -> None:
    """In the evening, the last words are a goodnight; never in the morning."""
    if evening:
        said.add(phrases.pick("rest_well", turn))
