"""GlimmerStore behaviour, run against both the in-memory store and a real file."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from voice_glimmers.core.errors import Changed, InvalidText, NotFound
from voice_glimmers.store.glimmer_store import Glimmer, GlimmerStore

UTC = timezone.utc


@pytest.fixture(params=["memory", "file"])
def store(request, tmp_path):
    if request.param == "memory":
        opened = GlimmerStore.in_memory()
    else:
        opened = GlimmerStore.open(tmp_path / "data" / "glimmers.json")
    yield opened
    opened.close()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_add_returns_the_saved_glimmer(store, evening):
    glimmer = store.add("  the smell of rain  ", at=evening(), tags=("nature",))
    assert glimmer.id == 1
    assert glimmer.text == "the smell of rain"
    assert glimmer.created_at == evening()
    assert glimmer.day == date(2026, 11, 27)
    assert glimmer.source == "text"
    assert glimmer.tags == ("nature",)
    assert store.get(1) == glimmer


def test_voice_glimmers_keep_their_confidence(store, evening):
    glimmer = store.add("birdsong", at=evening(), source="voice", confidence=0.82)
    assert store.get(glimmer.id).confidence == 0.82
    assert store.get(glimmer.id).source == "voice"


def test_after_midnight_belongs_to_the_evening_before(store):
    late = store.add("moonlight on the quilt", at=at(28, 0, 30))
    assert late.day == date(2026, 11, 27)
    assert store.between(date(2026, 11, 27), date(2026, 11, 27)) == [late]
    assert store.day_of(at(28, 4, 0)) == date(2026, 11, 28)


def test_day_start_hour_is_the_stores_own(tmp_path):
    with GlimmerStore.in_memory(day_start_hour=0) as midnight_store:
        assert midnight_store.add("tea", at=at(28, 0, 30)).day == date(2026, 11, 28)


def test_between_is_inclusive_oldest_first_and_skips_deleted(store):
    a = store.add("warm socks", at=at(25, 20))
    b = store.add("a friend's text", at=at(26, 9))
    c = store.add("the cat purring", at=at(26, 7))
    d = store.add("sun on my face", at=at(27, 12))
    store.add("too late", at=at(28, 12))
    store.delete(b.id, at=at(27, 13))
    assert store.between(date(2026, 11, 25), date(2026, 11, 27)) == [a, c, d]
    assert store.between(date(2026, 11, 26), date(2026, 11, 26)) == [c]
    assert store.between(date(2026, 11, 1), date(2026, 11, 2)) == []


def test_all_is_oldest_first_even_when_added_out_of_order(store):
    later = store.add("later", at=at(27, 20))
    earlier = store.add("earlier", at=at(20, 8))
    assert store.all() == [earlier, later]


def test_last_is_the_most_recently_saved(store):
    assert store.last() is None
    first = store.add("first", at=at(27, 10))
    second = store.add("second, about an earlier moment", at=at(20, 10))
    assert store.last() == second
    store.delete(second.id, at=at(27, 11))
    assert store.last() == first


def test_delete_then_get_is_none_and_undo_brings_it_back(store, evening):
    glimmer = store.add("the kettle singing", at=evening())
    deleted = store.delete(glimmer.id, at=evening())
    assert deleted.deleted_at == evening()
    assert store.get(glimmer.id) is None
    assert store.all() == []
    assert store.undo() == glimmer
    assert store.all() == [glimmer]
    assert store.undo() is None


def test_undo_restores_the_most_recently_deleted_first(store):
    a = store.add("a", at=at(27, 8))
    b = store.add("b", at=at(27, 9))
    store.delete(b.id, at=at(27, 10))
    store.delete(a.id, at=at(27, 11))
    assert store.undo() == a
    assert store.undo() == b
    assert store.undo() is None


def test_deleting_what_is_not_there_is_not_found(store, evening):
    with pytest.raises(NotFound):
        store.delete(7, at=evening())
    glimmer = store.add("x marks", at=evening())
    store.delete(glimmer.id, at=evening())
    with pytest.raises(NotFound):
        store.delete(glimmer.id, at=evening())


def test_ids_are_never_reused(store, evening):
    ids = [store.add(f"glimmer {n}", at=evening()).id for n in range(3)]
    store.delete(ids[-1], at=evening())
    assert store.add("after the delete", at=evening()).id == 4


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "x" * 2001, "a\x00b", "escape \x1b[31m red", "lone \ud800 surrogate"],
    ids=["empty", "whitespace", "too-long", "nul", "control", "surrogate"],
)
def test_text_that_cannot_be_a_glimmer_is_refused_and_nothing_saved(store, evening, text):
    with pytest.raises(InvalidText):
        store.add(text, at=evening())
    assert store.all() == []


def test_two_thousand_characters_is_fine(store, evening):
    assert len(store.add("y" * 2000, at=evening()).text) == 2000


@pytest.mark.parametrize(
    "query, expected",
    [
        ("dogs", ["walking the dog", "my dogs asleep in a heap"]),
        ("Dog", ["walking the dog", "my dogs asleep in a heap"]),
        ("my dog", ["walking the dog", "my dogs asleep in a heap"]),
        ("berry", ["fresh berries"]),
        ("dog heap", ["my dogs asleep in a heap"]),
        ("rain", []),
        ("", []),
    ],
)
def test_search_matches_words_newest_first(store, query, expected):
    store.add("my dogs asleep in a heap", at=at(20, 9))
    store.add("fresh berries", at=at(21, 9))
    store.add("walking the dog", at=at(22, 9))
    store.add("doghouse paint", at=at(23, 9))
    assert [g.text for g in store.search(query)] == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ("birds", ["the blackbirds singing"]),  # a word at the end of another
        ("rain", ["a rainy walk"]),  # with an ending
        ("walking", ["a rainy walk"]),  # without one
        ("brain", []),
        ("my sister and my mum", ["mum on the phone", "my sister laughing"]),  # either part
        ("family", ["mum on the phone"]),  # a tag
        ("sister mum", []),  # both words in one glimmer
    ],
)
def test_search_finds_word_forms_tags_and_any_part(store, query, expected):
    store.add("the blackbirds singing", at=at(20, 9))
    store.add("my sister laughing", at=at(21, 9))
    store.add("a rainy walk", at=at(22, 9))
    store.add("mum on the phone", at=at(23, 9), tags=("family",))
    assert [g.text for g in store.search(query)] == expected


def test_change_puts_new_words_and_tags_and_keeps_the_moment(store, evening):
    kept = store.add("the black bird", at=evening(), tags=("sound",))
    changed = store.change(kept.id, text="the blackbird", tags=lambda had: (*had, "garden"))
    assert (changed.text, changed.tags, changed.created_at) == (
        "the blackbird", ("sound", "garden"), kept.created_at)
    assert store.get(kept.id) == changed
    assert store.change(kept.id, tags=lambda had: ("x",)).text == "the blackbird"
    with pytest.raises(Changed):  # asked about the words it had; it has others now
        store.change(kept.id, text="a robin", expect="the black bird")
    assert store.get(kept.id).text == "the blackbird"
    with pytest.raises(InvalidText):
        store.change(kept.id, text="   ")
    store.delete(kept.id, at=evening())
    with pytest.raises(NotFound):
        store.change(kept.id, text="again")


def test_tags_are_made_from_the_ones_on_disk_not_a_copy_read_before(tmp_path, evening):
    path = tmp_path / "glimmers.json"
    with GlimmerStore.open(path) as kitchen, GlimmerStore.open(path) as bedroom:
        kept = kitchen.add("the kettle singing", at=evening())
        bedroom.change(kept.id, tags=lambda had: (*had, "family"))  # meanwhile, elsewhere
        kitchen.change(kept.id, tags=lambda had: (*had, "morning"))
    with GlimmerStore.open(path) as again:
        assert again.get(kept.id).tags == ("family", "morning")


def test_a_change_is_on_disk_when_it_returns(tmp_path, evening):
    path = tmp_path / "glimmers.json"
    with GlimmerStore.open(path) as first:
        first.change(first.add("warm bred", at=evening()).id, text="warm bread")
    with GlimmerStore.open(path) as again:
        assert [g.text for g in again.all()] == ["warm bread"]


def test_import_keeps_everything_and_skips_exact_duplicates(store):
    given = [
        Glimmer(id=5, text="the sea", created_at=datetime(2025, 6, 1, 7, 0, tzinfo=UTC),
                day=date(2025, 6, 1), source="voice", confidence=0.5, tags=("nature",)),
        Glimmer(id=9, text="a hug", created_at=datetime(2025, 6, 2, 1, 0, tzinfo=UTC),
                day=date(2025, 6, 1), source="import"),
    ]
    assert store.import_glimmers(given) == 2
    assert store.all() == given
    assert store.import_glimmers(given) == 0
    assert store.add("new", at=at(27, 9)).id == 10


def test_import_gives_a_taken_id_a_new_one(store, evening):
    mine = store.add("mine", at=evening())
    theirs = Glimmer(id=mine.id, text="theirs", created_at=at(26, 9), day=date(2026, 11, 26))
    assert store.import_glimmers([theirs]) == 1
    assert store.get(mine.id) == mine
    assert store.get(2).text == "theirs"


def test_import_refuses_bad_text_and_saves_none(store):
    good = Glimmer(id=1, text="fine", created_at=at(26, 9), day=date(2026, 11, 26))
    bad = Glimmer(id=2, text="   ", created_at=at(26, 10), day=date(2026, 11, 26))
    with pytest.raises(InvalidText):
        store.import_glimmers([good, bad])
    assert store.all() == []


def test_naive_moments_are_taken_as_local_time(store):
    glimmer = store.add("porch light", at=datetime(2026, 11, 27, 19, 0))
    assert glimmer.created_at.tzinfo is not None
    assert store.get(glimmer.id).created_at == glimmer.created_at


def test_a_long_history_stays_in_order(store):
    start = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    for n in range(60):
        store.add(f"day {n}", at=start + timedelta(days=n))
    got = store.all()
    assert [g.text for g in got] == [f"day {n}" for n in range(60)]
    assert [g.text for g in store.between(date(2024, 1, 10), date(2024, 1, 12))] == [
        "day 9", "day 10", "day 11",
    ]


def test_all_follows_every_change_here_and_in_another_process(tmp_path):
    """all() keeps what it found while nothing changed; every change shows at once."""
    path, evening = tmp_path / "glimmers.json", at(27, 19)
    store, other = GlimmerStore.open(path), GlimmerStore.open(path)
    first = store.add("warm tea", at=evening)
    second = store.add("the robin", at=evening + timedelta(minutes=1))
    assert [g.text for g in store.all()] == ["warm tea", "the robin"]
    store.all().clear()  # what it returns is the caller's own
    assert [g.text for g in store.all()] == ["warm tea", "the robin"]
    store.delete(first.id, at=evening)
    assert [g.text for g in store.all()] == ["the robin"]
    store.undo()
    store.change(second.id, text="the robin singing")
    assert [g.text for g in store.all()] == ["warm tea", "the robin singing"]
    assert [g.text for g in other.all()] == ["warm tea", "the robin singing"]
    other.add("clean sheets", at=evening + timedelta(minutes=2))
    other.delete(first.id, at=evening)
    assert [g.text for g in store.all()] == ["the robin singing", "clean sheets"]
    store.import_glimmers([Glimmer(id=99, text="fresh bread", created_at=evening,
                                   day=evening.date())])
    assert "fresh bread" in [g.text for g in other.all()]
    assert "fresh bread" in [g.text for g in store.all()]
