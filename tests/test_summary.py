"""The therapy summary: plain Markdown, every glimmer by day, no judgement."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from voice_glimmers.store.glimmer_store import Glimmer
from voice_glimmers.views.summary import (
    look_back_range,
    narrow_range,
    summarise,
    tag_label,
    therapy_markdown,
)

JUDGEMENT_WORDS = ("streak", "best", "missed", "failed", "only", "should", "score", "record")
TODAY = date(2026, 11, 27)
UTC = timezone.utc


def glimmer(id_: int, text: str, at: datetime, day: date | None = None, tags=(), deleted=False):
    return Glimmer(
        id=id_, text=text, created_at=at, day=day or at.date(), tags=tuple(tags),
        deleted_at=at if deleted else None,
    )


@pytest.fixture
def glimmers():
    return [
        glimmer(1, "the smell of rain on the way home", datetime(2026, 11, 20, 18, 5, tzinfo=UTC),
                tags=("smell", "weather")),
        glimmer(2, "my sister laughing on the phone", datetime(2026, 11, 20, 21, 40, tzinfo=UTC),
                tags=("sound", "people")),
        # 00:30 on the 26th belongs to the glimmer day of the 25th
        glimmer(3, "warm socks from the dryer", datetime(2026, 11, 26, 0, 30, tzinfo=UTC),
                day=date(2026, 11, 25), tags=("touch", "home")),
        glimmer(4, "a robin on the fence", datetime(2026, 11, 27, 9, 15, tzinfo=UTC),
                tags=("animals", "sight", "nature")),
        glimmer(5, "deleted one", datetime(2026, 11, 27, 10, 0, tzinfo=UTC), deleted=True),
        glimmer(6, "long before", datetime(2026, 8, 1, 12, 0, tzinfo=UTC), tags=("sound",)),
    ]


def test_summarise_groups_by_glimmer_day_newest_first(glimmers):
    summary = summarise(glimmers, date(2026, 11, 1), TODAY)
    assert [day for day, _ in summary.by_day] == [date(2026, 11, 27), date(2026, 11, 25),
                                                  date(2026, 11, 20)]
    assert [g.id for g in summary.day_map()[date(2026, 11, 20)]] == [1, 2]  # as the day went
    assert summary.glimmer_count == 4
    assert summary.day_count == 3
    assert dict(summary.by_tag)["people and connection"] == 1
    assert "people" not in dict(summary.by_tag)
    assert summary.untagged_count == 0


def test_tags_counted_once_per_glimmer_and_sorted_by_count():
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    summary = summarise(
        [glimmer(1, "a", at, tags=("sound", "sound", "Music")),
         glimmer(2, "b", at, tags=("sound",)),
         glimmer(3, "c", at)],
        TODAY, TODAY,
    )
    assert summary.by_tag == (("sound", 2), ("music", 1))
    assert summary.untagged_count == 1
    assert tag_label("people") == "people and connection"


def test_therapy_markdown_holds_range_counts_themes_and_every_glimmer(glimmers):
    text = therapy_markdown(glimmers, date(2026, 11, 1), TODAY, today=TODAY)
    assert text.startswith("# Glimmers, 1 November 2026 to 27 November 2026\n")
    assert "- Dates: Sunday 1 November 2026 to Friday 27 November 2026 (27 days)" in text
    assert "- Glimmers saved: 4, on 3 days" in text
    assert ("- Senses and themes they came through: animals (1), home (1), nature (1), "
            "people and connection (1)") in text
    for g in glimmers[:4]:
        assert g.text in text
    assert "deleted one" not in text and "long before" not in text
    days = re.findall(r"^### (.+)$", text, flags=re.M)
    assert days == ["Friday 27 November 2026", "Wednesday 25 November 2026",
                    "Friday 20 November 2026"]
    # the 00:30 glimmer sits under the evening before, with its own time
    section = text.split("### Wednesday 25 November 2026")[1].split("###")[0]
    assert "- 00:30: warm socks from the dryer *(touch, home)*" in section
    # within a day, as the day went: the order the Markdown export keeps too
    assert text.index("18:05: the smell of rain") < text.index("21:40: my sister")
    assert text.rstrip().endswith("Everything here stayed on my own computer.")


def test_therapy_markdown_escapes_markdown_and_html():
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    text = therapy_markdown(
        [glimmer(1, "tea & *toast* <script>alert(1)</script>\nsecond [line](x)", at)],
        TODAY, TODAY, today=TODAY,
    )
    line = next(x for x in text.splitlines() if x.startswith("- 09:00"))
    assert line == r"- 09:00: tea \& \*toast\* \<script\>alert(1)\</script\> second \[line\](x)"
    assert "<script>" not in text


def test_empty_range_says_so_kindly():
    text = therapy_markdown([], date(2026, 11, 21), TODAY, today=TODAY)
    assert "- Glimmers saved: none on these days." in text
    assert "that is alright" in text
    assert "These were noticed" not in text  # there are none to speak of
    assert "Glimmers are small everyday moments" in text
    assert "###" not in text
    assert " 0 " not in text


@pytest.mark.parametrize("empty", [False, True])
def test_no_judgement_words(glimmers, empty):
    text = therapy_markdown([] if empty else glimmers, date(2026, 9, 1), TODAY, today=TODAY)
    words = set(re.findall(r"[a-z]+", text.lower()))
    assert not words & set(JUDGEMENT_WORDS)
    assert "!" not in text


def test_narrow_range_starts_at_first_glimmer_for_everything(glimmers):
    assert narrow_range(glimmers, date.min, TODAY) == (date(2026, 8, 1), TODAY)
    assert narrow_range([], date.min, TODAY) == (TODAY, TODAY)
    start = TODAY - timedelta(days=7)
    assert narrow_range(glimmers, start, TODAY) == (start, TODAY)


def test_look_back_range():
    assert look_back_range(None, TODAY) == (date(2026, 9, 5), TODAY)  # 84 days
    assert look_back_range("  ", TODAY) == (date(2026, 9, 5), TODAY)
    assert look_back_range("this month", TODAY) == (date(2026, 11, 1), TODAY)
    assert look_back_range("all", TODAY) == (date.min, TODAY)
    assert look_back_range("purple", TODAY) is None
