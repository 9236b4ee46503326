"""A glimmer dated by its own time words (understand/moment.py), with a pinned clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from voice_glimmers.understand.moment import date_of_words

NOW = datetime.fromisoformat("2026-12-01T10:00:00+00:00")  # a Tuesday morning
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("said, at, when, rest", [
    ("yesterday evening my partner made me soup", "2026-11-30T19:00", "yesterday evening",
     "my partner made me soup"),
    ("my partner made me soup yesterday evening", "2026-11-30T19:00", "yesterday evening",
     "my partner made me soup"),
    ("Last night, the stars", "2026-11-30T22:00", "last night", "the stars"),
    ("this morning the sun was warm", "2026-12-01T09:00", "this morning", "the sun was warm"),
    ("a walk on monday", "2026-11-30T12:00", "Monday", "a walk"),
    ("on Monday evening a friend called", "2026-11-30T19:00", "Monday evening",
     "a friend called"),
    ("last tuesday, tea with mum", "2026-11-24T12:00", "last Tuesday", "tea with mum"),
    ("the day before yesterday the first snow", "2026-11-29T12:00", "the day before yesterday",
     "the first snow"),
    ("yesterday at lunch a stranger smiled", "2026-11-30T12:30", "yesterday at lunch",
     "a stranger smiled"),
])
def test_time_words_at_either_end_date_the_glimmer(said, at, when, rest):
    dated = date_of_words(said, NOW, TODAY)
    assert dated is not None
    assert (dated.at.isoformat(), dated.when, dated.rest) == (at + ":00+00:00", when, rest)


@pytest.mark.parametrize("said", [
    "the morning was calm",  # a part of the day alone is what happened, not when
    "the song from yesterday's walk",  # in the middle: part of what happened
    "yesterday",  # only time words: nothing left to keep
    "this evening the moon will rise",  # still to come
    "tuesday the cat",  # today at noon has not come yet at ten
    "warm socks",
])
def test_no_moment_when_the_words_give_none_that_has_happened(said):
    assert date_of_words(said, NOW, TODAY) is None


def test_add_dates_a_glimmer_by_its_own_time_words_unless_at_is_given(tmp_path, capsys):
    import json

    from voice_glimmers.app.cli import main

    db = ["--db", str(tmp_path / "g.json"), "--now", NOW.isoformat()]
    assert main([*db, "add", "yesterday evening my partner made me soup"]) == 0
    assert capsys.readouterr().out == (
        "Saved for Monday 30 November 2026 (id 1): yesterday evening my partner made me soup\n")
    assert main([*db, "add", "yesterday evening, the moon", "--at", "2026-11-20T18:00"]) == 0
    capsys.readouterr()
    assert main([*db, "list", "all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [g["created_at"] for g in listed] == ["2026-11-20T18:00:00+00:00",
                                                 "2026-11-30T19:00:00+00:00"]
