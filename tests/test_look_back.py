"""The look-backs for someone two weeks in (pinned clock, a real database file): the
summary starts at the first glimmer unless a range is asked for, and glimmers within a
day run in one order, the day as it went, in the summary and the Markdown export alike."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from voice_glimmers.app.cli import main
from voice_glimmers.store.glimmer_store import GlimmerStore

NOW = datetime(2026, 12, 1, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "glimmers.json"
    with GlimmerStore.open(path) as store:
        first = NOW - timedelta(days=13)
        for back, hour, text in [(13, 9, "the first one"), (6, 8, "morning tea"),
                                 (6, 21, "stars at night"), (6, 13, "lunch in the sun"),
                                 (0, 10, "today's one")]:
            store.add(text, at=(NOW - timedelta(days=back)).replace(hour=hour))
        assert store.day_of(first) == first.date()
    return path


def run(db, capsys, *args):
    assert main(["--db", str(db), "--now", NOW.isoformat(), *args]) == 0
    return capsys.readouterr().out


def test_the_summary_starts_at_the_first_glimmer(db, capsys):
    text = run(db, capsys, "export", "--format", "therapy")
    assert text.startswith("# Glimmers, 18 November 2026 to 1 December 2026\n")
    assert "(14 days)" in text and "84 days" not in text
    assert "- Glimmers saved: 5, on 3 days" in text


def test_a_range_asked_for_is_the_range_shown(db, capsys):
    text = run(db, capsys, "export", "--format", "therapy", "--when", "the last 12 weeks")
    assert "(84 days)" in text


def test_within_a_day_the_summary_and_the_markdown_export_share_one_order(db, capsys):
    therapy = run(db, capsys, "export", "--format", "therapy")
    markdown = run(db, capsys, "export", "--format", "md")
    wanted = ["morning tea", "lunch in the sun", "stars at night"]  # as the day went
    for text in (therapy, markdown):
        day = text.split("Wednesday 25 November 2026")[1].split("#")[0]
        assert re.findall(r"morning tea|lunch in the sun|stars at night", day) == wanted
