"""Reading exports back, and the shapes they are written in (text in, text out)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.store.glimmer_store import Glimmer, GlimmerStore
from voice_glimmers.views.formats import read_glimmers, to_csv, to_json, to_listing, to_markdown

UTC = timezone.utc


def g(id: int, text: str, hour: int, day: int = 27, **more) -> Glimmer:
    moment = datetime(2026, 11, day, hour, 5, tzinfo=UTC)
    return Glimmer(id=id, text=text, created_at=moment, day=moment.date(), **more)


def test_an_empty_export_reads_back_as_nothing():
    assert read_glimmers(to_csv([])) == []
    assert read_glimmers(to_json([])) == []


def test_a_hand_made_csv_without_ids_or_days_is_welcome():
    text = "text,created_at\nthe first snow,2026-11-28T01:30:00+00:00\n"
    (glimmer,) = read_glimmers(text, day_start_hour=4)
    assert glimmer.day == date(2026, 11, 27)
    assert glimmer.source == "import"
    with GlimmerStore.in_memory() as store:
        assert store.import_glimmers([glimmer]) == 1
        assert store.all()[0].id == 1


def test_other_sources_become_import_and_naive_times_are_local():
    text = '[{"text": "porch light", "created_at": "2026-11-27T19:00:00", "source": "diary"}]'
    (glimmer,) = read_glimmers(text)
    assert glimmer.source == "import"
    assert glimmer.created_at.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    ['{"text": "not in a list"}', '[{"text": "x", "created_at": "2026-11-27T10:00:00+00:00",'
     ' "confidence": 3}]', '[{"text": "x", "created_at": "2026-11-27T10:00:00+00:00",'
     ' "tags": "nature"}]', "name,when\nrain,today\n"],
    ids=["object", "confidence", "tags", "columns"],
)
def test_files_that_are_not_exports_are_named_problems(text):
    with pytest.raises(GlimmersError):
        read_glimmers(text, name="mine.json")


def test_listing_groups_by_day_with_aligned_ids():
    shown = to_listing([g(9, "tea", 8, day=26), g(10, "two\nlines", 7), g(12, "rain", 20)])
    assert shown == (
        "Thursday 26 November 2026\n"
        "   9  08:05  tea\n"
        "\n"
        "Friday 27 November 2026\n"
        "  10  07:05  two lines\n"
        "  12  20:05  rain\n"
    )
    assert to_listing([]) == ""


def test_markdown_has_a_heading_per_day_and_tags():
    md = to_markdown([g(1, "rain", 8, tags=("weather",))])
    assert md == "# Glimmers\n\n## Friday 27 November 2026\n\n- 08:05 rain *(weather)*\n"
