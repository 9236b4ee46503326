"""Exports read by other programs: a spreadsheet never runs a glimmer as a formula, and a
Markdown viewer never runs or fetches what a glimmer holds. The words still come back
exactly on import."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest

from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.views.formats import read_glimmers, to_csv, to_json, to_markdown

MOMENT = datetime(2026, 11, 27, 10, 5, tzinfo=timezone.utc)
# Texts a spreadsheet would take as a formula (OWASP's CSV injection), and one that starts
# with the quote itself, so that taking the guard off on import is exact.
FORMULAS = ["=HYPERLINK(\"http://x\",\"tea\")", "+1 cup of tea", "-5 degrees and sunny",
            "@SUM(A1)", "\tsoft blanket", "\rwarm bath", "'tis a quiet morning", "''=1+1"]


def g(i: int, text: str, tags: tuple[str, ...] = ()) -> Glimmer:
    return Glimmer(id=i, text=text, created_at=MOMENT, day=MOMENT.date(), tags=tags)


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote():
    glimmers = [g(i, text) for i, text in enumerate(FORMULAS, start=1)]
    glimmers.append(g(99, "plain rain", tags=("=cmd", "nature")))
    rows = list(csv.DictReader(io.StringIO(to_csv(glimmers), newline="")))
    texts = [row["text"] for row in rows]
    assert texts[:6] == ["'" + t for t in FORMULAS[:6]]
    assert all(not t.startswith(("=", "+", "-", "@", "\t", "\r")) for t in texts)
    assert rows[-1]["text"] == "plain rain"
    assert rows[-1]["tags"] == "'=cmd;nature"
    assert rows[0]["created_at"] == MOMENT.isoformat()  # generated cells are left as they are


def test_the_guard_comes_off_on_import_exactly():
    kept = [t for t in FORMULAS if t == t.strip()]  # what add can keep: words, trimmed
    glimmers = [g(i, text) for i, text in enumerate(kept, start=1)]
    glimmers.append(g(99, "plain rain", tags=("=cmd", "nature")))
    back = read_glimmers(to_csv(glimmers))
    assert [x.text for x in back] == [x.text for x in glimmers]
    assert back[-1].tags == ("=cmd", "nature")
    assert to_csv(back) == to_csv(glimmers)
    # a hand-edited text led by a tab or a carriage return comes back as add keeps it
    edited = read_glimmers(to_csv([g(1, "\tsoft blanket"), g(2, "\rwarm bath\rwith salt")]))
    assert [x.text for x in edited] == ["soft blanket", "warm bath\rwith salt"]


def test_a_hand_made_csv_keeps_an_apostrophe_that_guards_nothing():
    (glimmer,) = read_glimmers(f"text,created_at\n'tis lovely,{MOMENT.isoformat()}\n")
    assert glimmer.text == "'tis lovely"


@pytest.mark.parametrize("text, shown", [
    ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert(1)\>"),
    ("![tracker](http://example.com/t.png)", r"!\[tracker\](http://example.com/t.png)"),
    ("[click](javascript:alert(1))", r"\[click\](javascript:alert(1))"),
    ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
])
def test_markdown_shows_html_and_images_as_words_as_the_therapy_summary_does(text, shown):
    md = to_markdown([g(1, text, tags=("<b>x</b>",))])
    assert f"- 10:05 {shown} *(\\<b\\>x\\</b\\>)*\n" in md
    assert not re.search(r"(?<!\\)[<>\[\]]", md)  # nothing a viewer would take as markup


def test_json_escapes_what_would_move_a_terminal_and_reads_back_the_same():
    text = to_json([g(1, "rain \x9b2J and \u202eaet")])  # as a hand-edited file may hold
    assert "\x9b" not in text and "\u202e" not in text
    assert "\\u009b" in text and "\\u202e" in text
    kept = [g(1, "cat \u202eruof")]  # an override is kept as given, and read back so
    assert read_glimmers(to_json(kept))[0].text == kept[0].text
