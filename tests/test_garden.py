"""The glimmer garden page: the right days, counts, tags, escaping, and kind words."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_glimmers.store.glimmer_store import Glimmer
from voice_glimmers.views.garden import render_garden

UTC = timezone.utc
TODAY = date(2026, 11, 27)
START = date(2026, 11, 1)
JUDGEMENT_WORDS = ("streak", "best", "missed", "failed", "only", "should", "score", "record")
VOID = {"meta", "br", "img", "input", "link", "hr", "rect", "path", "circle"}
NASTY = "tea & toast <script>document.title='pwned'</script> \"so\" good"


def glimmer(id_, text, at, day=None, tags=(), deleted=False):
    return Glimmer(id=id_, text=text, created_at=at, day=day or at.date(), tags=tuple(tags),
                   deleted_at=at if deleted else None)


@pytest.fixture
def glimmers():
    return [
        glimmer(1, "the smell of rain", datetime(2026, 11, 20, 18, 5, tzinfo=UTC),
                tags=("smell", "weather")),
        glimmer(2, "my sister laughing", datetime(2026, 11, 20, 21, 40, tzinfo=UTC),
                tags=("sound", "people")),
        glimmer(3, "a robin on the fence", datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
                tags=("animals", "sound")),
        glimmer(4, "warm socks from the dryer", datetime(2026, 11, 26, 0, 30, tzinfo=UTC),
                day=date(2026, 11, 25), tags=("touch", "home")),
        glimmer(5, NASTY, datetime(2026, 11, 27, 9, 15, tzinfo=UTC), tags=("food", "a&b")),
        glimmer(6, "a deleted one", datetime(2026, 11, 27, 10, 0, tzinfo=UTC), deleted=True),
        glimmer(7, "outside the range", datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),
    ]


@pytest.fixture
def page(glimmers):
    return render_garden(glimmers, START, TODAY, today=TODAY)


def cells(page):
    """(day, count, aria-label) for every calendar day that holds glimmers."""
    return [
        (m[0], int(m[2]), m[1])
        for m in re.findall(
            r'<a href="#d-([\d-]+)" aria-label="([^"]*)"><span class="num">\d+</span>'
            r'<span class="count">(\d+)</span>', page)
    ]


def visible_words(page, glimmers):
    """The page's own words: markup and the person's words taken out."""
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    for g in glimmers:
        text = text.replace(g.text, " ")
    return text


def test_calendar_cells_are_the_right_days_with_counts(page):
    assert cells(page) == [
        ("2026-11-20", 3, "Friday 20 November: 3 glimmers"),
        ("2026-11-25", 1, "Wednesday 25 November: 1 glimmer"),
        ("2026-11-27", 1, "Friday 27 November: 1 glimmer"),
    ]
    assert 'class="l3"><a href="#d-2026-11-20"' in page  # 3 glimmers: the 3-or-4 shade
    assert "Thursday 26 November: nothing saved" in page
    assert page.count('<td class="out">') == 3  # 28 to 30 November, after the range
    assert '<td class="l1 today"><a href="#d-2026-11-27"' in page


def test_days_outside_the_range_have_no_link():
    at = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
    page = render_garden([glimmer(1, "inside", at), glimmer(2, "before", datetime(
        2026, 11, 2, 9, 0, tzinfo=UTC))], date(2026, 11, 5), TODAY, today=TODAY)
    assert [c[0] for c in cells(page)] == ["2026-11-10"]
    assert page.count('<td class="out">') == 4 + 3  # 1-4 November and 28-30 November
    assert "before" not in page


def test_days_after_today_are_still_to_come(glimmers):
    page = render_garden(glimmers, START, date(2026, 11, 30), today=TODAY)
    assert "Saturday 28 November: still to come" in page
    assert page.count('<td class="later">') == 3


def test_half_past_midnight_shows_on_the_evening_before(page):
    group = re.search(r'<li class="day-group" id="d-2026-11-25">(.*?)</li>\n</ul>', page, re.S)
    assert group is not None
    assert "Wednesday 25 November 2026" in group.group(1)
    assert ">00:30</time><span class=\"text\">warm socks from the dryer</span>" in group.group(1)
    assert 'id="d-2026-11-26"' not in page


def test_days_newest_first_and_each_day_as_it_went(page):
    assert re.findall(r'<li class="day-group" id="d-([\d-]+)"', page) == [
        "2026-11-27", "2026-11-25", "2026-11-20"]
    friday = page.split('id="d-2026-11-20"')[1]
    assert friday.index("the smell of rain") < friday.index("my sister") < friday.index("a robin")
    assert "Every glimmer, newest day first" in page
    assert "a deleted one" not in page and "outside the range" not in page


def test_tags_chart_and_labels(page):
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td class="n">(\d+)</td>', page)
    assert rows[0] == ("sound", "2")
    assert set(rows[1:]) == {(t, "1") for t in (
        "a&amp;b", "animals", "food", "home", "people and connection", "smell", "touch",
        "weather")}
    assert '<span class="tag">people and connection</span>' in page
    assert '<rect width="100.0"' in page and '<rect width="50.0"' in page
    assert "<caption>How many glimmers came through each sense or theme" in page


def test_every_word_a_person_said_is_escaped(page):
    escaped = ("tea &amp; toast &lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt; "
               "&quot;so&quot; good")
    assert page.count(escaped) == 2  # in the list and in the calendar popover
    assert "<script" not in page.lower()
    assert "default-src 'none'" in page  # and a policy that runs no script at all


def test_self_contained_no_network(page):
    assert not re.search(r"https?:|//[a-z]|\bsrc=|@import|url\(", page, re.I)


def test_markup_is_balanced(page):
    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.errors = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in VOID:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            if not self.stack or self.stack.pop() != tag:
                self.errors.append(tag)

    checker = Checker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []


def test_every_day_cell_has_a_text_alternative_or_is_part_of_a_run_said_once(page):
    day_cells = re.findall(r'<td class="(?:l\d|later)[^"]*">(.*?)</td>', page)
    assert len(day_cells) == 27
    said = [cell for cell in day_cells if "aria-label=" in cell or '<span class="sr">' in cell]
    silent = '<span class="cell" aria-hidden="true">'
    hidden = [cell for cell in day_cells if cell.startswith(silent) and "sr" not in cell]
    assert len(said) + len(hidden) == 27
    # 1 to 19 November (one run), 21 to 24 (another), 26 alone; three with glimmers, today
    assert [re.search(r'<span class="sr">([^<]*)<', c).group(1) for c in said
            if "nothing saved" in c] == [
        "Sunday 1 November to Thursday 19 November: nothing saved",
        "Saturday 21 November to Tuesday 24 November: nothing saved",
        "Thursday 26 November: nothing saved"]


def test_empty_range_says_so_kindly():
    page = render_garden([], date(2026, 11, 21), TODAY, today=TODAY)
    assert "No glimmers were saved on these days, and that&#x27;s alright." in page
    assert "Nothing saved on these days.</p>" in page
    assert cells(page) == []
    assert "<ol" not in page
    assert not re.search(r"\b0 glimmers\b", page)


@pytest.mark.parametrize("empty", [False, True])
def test_no_judgement_words_or_exclamations(glimmers, empty):
    shown = [] if empty else glimmers
    page = render_garden(shown, date(2026, 9, 1), TODAY, today=TODAY)
    words = set(re.findall(r"[a-z]+", visible_words(page, shown).lower()))
    assert not words & set(JUDGEMENT_WORDS)
    assert "!" not in visible_words(page, shown)


def test_week_can_start_on_sunday(glimmers):
    page = render_garden(glimmers, START, TODAY, today=TODAY, week_start=6)
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page).group(1)
    assert re.findall(r">(\w\w)</th>", head) == ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"]
    # 1 November 2026 is a Sunday: no padding before it
    assert re.search(r"<tbody>\n<tr><td class=\"l0\"><span class=\"cell\"><span class=\"num\">1<",
                     page)


def test_a_busy_day_shows_some_in_the_popover_and_all_in_the_list():
    at = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    many = [glimmer(i, f"glimmer number {i}", at.replace(minute=i)) for i in range(1, 10)]
    page = render_garden(many, TODAY, TODAY, today=TODAY)
    pop = re.search(r'<span class="pop" aria-hidden="true">(.*?)</span></a>', page).group(1)
    assert pop.count("glimmer number") == 6 and "and 3 more below" in pop
    assert page.count("glimmer number") == 9 + 6
    assert 'class="l4 today"' in page and '<span class="count">9</span>' in page


class _TextSpans(HTMLParser):
    """Collects what a browser would show inside each <span class="text">."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts, self._inside = [], False

    def handle_starttag(self, tag, attrs):
        if tag == "span" and ("class", "text") in attrs:
            self._inside = True
            self.texts.append("")
        elif self._inside:
            self.texts.append(f"<unexpected {tag}>")

    def handle_endtag(self, tag):
        if tag == "span":
            self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.texts[-1] += data


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
               max_size=80).filter(str.strip))
def test_any_words_come_back_as_the_same_text(text):
    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    page = render_garden([glimmer(1, text, at, tags=(text,))], TODAY, TODAY, today=TODAY)
    parser = _TextSpans()
    parser.feed(page)
    assert parser.texts == [text]
    assert "<script" not in page.lower()
