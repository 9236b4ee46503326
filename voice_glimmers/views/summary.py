"""The summary of a range of glimmer days: the tally both look-backs share, and the
Markdown a person can print or bring to a therapist.

Pure: glimmers, dates and text in, text out. Nothing here opens a path.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from voice_glimmers.core.days import long_date, short_date
from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.understand.when import resolve_when

LOOK_BACK_WEEKS = 12
"""How far the garden and the therapy summary look back when no range is named."""

TAG_LABELS = {"people": "people and connection"}
"""Tags shown under a longer name; every other tag is shown as it is."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


@dataclass(frozen=True)
class Summary:
    """What a range of glimmer days holds, counted without judging."""

    start: date
    end: date
    # Newest day first; within a day, as the day went (the order the Markdown export keeps).
    by_day: tuple[tuple[date, tuple[Glimmer, ...]], ...]
    by_tag: tuple[tuple[str, int], ...]  # (label, how many), most first, then by name

    @property
    def glimmer_count(self) -> int:
        return sum(len(glimmers) for _, glimmers in self.by_day)

    @property
    def day_count(self) -> int:
        """Days that hold at least one glimmer."""
        return len(self.by_day)

    @property
    def untagged_count(self) -> int:
        return sum(1 for _, glimmers in self.by_day for g in glimmers if not g.tags)

    def day_map(self) -> dict[date, tuple[Glimmer, ...]]:
        """Each day that holds glimmers, to its glimmers (as the day went)."""
        return dict(self.by_day)


def tag_label(tag: str) -> str:
    """How a tag reads to a person: 'people' is 'people and connection'."""
    tag = tag.strip().lower()
    return TAG_LABELS.get(tag, tag)


def summarise(glimmers: Iterable[Glimmer], start: date, end: date) -> Summary:
    """Group the glimmers inside start..end (inclusive, by their glimmer day) and count tags.

    Deleted glimmers are left out; glimmers outside the range are ignored.
    """
    days: dict[date, list[Glimmer]] = {}
    tags: Counter[str] = Counter()
    for glimmer in glimmers:
        if glimmer.deleted_at is not None or not start <= glimmer.day <= end:
            continue
        days.setdefault(glimmer.day, []).append(glimmer)
        for label in dict.fromkeys(tag_label(t) for t in glimmer.tags if t.strip()):
            tags[label] += 1
    by_day = tuple(
        (day, tuple(sorted(days[day], key=lambda g: (g.created_at, g.id))))
        for day in sorted(days, reverse=True)
    )
    by_tag = tuple(sorted(tags.items(), key=lambda item: (-item[1], item[0])))
    return Summary(start=start, end=end, by_day=by_day, by_tag=by_tag)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


def markdown_text(text: str) -> str:
    """A person's words as Markdown that shows exactly those words, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def therapy_markdown(
    glimmers: Iterable[Glimmer], start: date, end: date, *, today: date
) -> str:
    """A plain Markdown summary of the glimmers from start to end, to print or share."""
    summary = summarise(glimmers, start, end)
    span = (end - start).days + 1
    about = "Glimmers are small everyday moments of safety, calm or connection."
    if summary.glimmer_count:
        about += " These were noticed and saved in my own words with voice-glimmers."
    lines = [
        f"# Glimmers, {short_date(start)} to {short_date(end)}",
        "",
        about,
        "",
        "## At a glance",
        "",
        f"- Dates: {long_date(start)} to {long_date(end)} ({plural(span, 'day')})",
    ]
    if not summary.glimmer_count:
        lines += [
            "- Glimmers saved: none on these days.",
            "",
            "Nothing was saved on these days, and that is alright. "
            "Some stretches of time are harder than others.",
        ]
        return _finish(lines, today)
    lines.append(
        f"- Glimmers saved: {summary.glimmer_count}, "
        f"on {plural(summary.day_count, 'day')}"
    )
    if summary.by_tag:
        themes = ", ".join(f"{markdown_text(label)} ({count})" for label, count in summary.by_tag)
        lines.append(f"- Senses and themes they came through: {themes}")
    if summary.untagged_count:
        lines.append(f"- Without a sense or theme noted: {summary.untagged_count}")
    lines += ["", "## Every glimmer, by day", ""]
    for day, day_glimmers in summary.by_day:
        lines += [f"### {long_date(day)}", ""]
        for glimmer in day_glimmers:
            entry = f"- {glimmer.created_at:%H:%M}: {markdown_text(glimmer.text)}"
            if glimmer.tags:
                labels = ", ".join(markdown_text(tag_label(t)) for t in glimmer.tags)
                entry += f" *({labels})*"
            lines.append(entry)
        lines.append("")
    return _finish(lines, today)


def _finish(lines: list[str], today: date) -> str:
    while lines and not lines[-1]:
        lines.pop()
    lines += ["", "---", ""]
    lines.append(f"Written on {long_date(today)}. Everything here stayed on my own computer.")
    return "\n".join(lines) + "\n"


def look_back_range(
    when: str | None, today: date, *, week_start: int = 0
) -> tuple[date, date] | None:
    """The glimmer days to look back over: the time words in `when`, or the last
    LOOK_BACK_WEEKS weeks ending today when there are none. None if `when` names no range.
    """
    if when is None or not when.strip():
        # from the calendar's first day when today is nearer to it than that
        first = max(1, today.toordinal() - 7 * LOOK_BACK_WEEKS + 1)
        return date.fromordinal(first), today
    found = resolve_when(when, today, week_start=week_start)
    return None if found is None else (found.start, found.end)


def narrow_range(glimmers: Iterable[Glimmer], start: date, end: date, *,
                 from_first: bool = False) -> tuple[date, date]:
    """A range that starts no earlier than it needs to.

    "all" arrives as (date.min, today); looking back, it means from the first
    glimmer kept (or just `end` when there are none). With `from_first` (no range was
    asked for), any range starts at its first glimmer: someone two weeks in looks back
    over two weeks, not twelve weeks of empty days.
    """
    if start != date.min and not from_first:
        return start, end
    days = [g.day for g in glimmers if g.deleted_at is None and start <= g.day <= end]
    return (min(days) if days else end), end
