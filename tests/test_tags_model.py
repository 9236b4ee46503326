"""The tags' model (encoder.tagger): tags from the sentence encoder's meaning of a glimmer,
with the word lists as its evidence and its fallback.

With the real sentence model and the shipped intents/en/tags_model.npz: it is trained on
the labelled sets there now; it tags what the word lists get wrong; it keeps its precision
on a labelled set; without the sentence model, or with a damaged file, the word lists alone
tag, and a save still works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_glimmers.language.bundle import Language
from voice_glimmers.language.tags import TagVocabulary, read_labelled
from voice_glimmers.understand.tags import tag_text, tags_of

ROOT = Path(__file__).resolve().parent.parent
ENGLISH = ROOT / "intents" / "en"
SHIPPED = ENGLISH / "tags_model.npz"
# Precision the model with the word lists keeps on tags_blind_l.yaml, a set it was trained
# on (the held-out figures are in the README); the word lists alone score 79.2% there.
FLOOR_ALL = 0.93
FLOOR_TAG = 0.85


@pytest.fixture(scope="module")
def vocabulary() -> TagVocabulary:
    return TagVocabulary.from_dir(ENGLISH)


@pytest.fixture(scope="module")
def senses(vocabulary):
    from voice_glimmers.encoder.tagger import senses_for

    found = senses_for(SHIPPED, tuple(vocabulary.rules))
    assert found is not None, "tags_model.npz is missing or made for other tags"
    return found


def test_the_shipped_tags_model_was_trained_on_the_labelled_sets_there_now(vocabulary):
    """After a change to a labelled set under tag_tests/, or to tags.yaml that changes
    what the word lists give them, run tools/train-tags."""
    from voice_glimmers.encoder.tagger import fingerprint, read_model

    model = read_model(SHIPPED)
    assert model is not None
    cases = [case for these in read_labelled(ENGLISH).values() for case in these]
    assert model.tags == tuple(vocabulary.rules)
    listed = [tag_text(text, vocabulary) for text, _ in cases]
    assert model.fingerprint == fingerprint(cases, listed, model.tags, model.tuning), \
        "the labelled sets changed: run tools/train-tags"


@pytest.mark.parametrize(("text", "wanted", "unwanted"), [
    ("the orange cat next door", {"animals"}, {"taste", "sight"}),
    ("the blackbirds singing", {"animals", "sound"}, set()),
    ("my boss said i did a good job", {"people"}, set()),
    ("frogspawn in the pond", {"animals", "nature"}, set()),
    ("toad in the hole for tea", set(), {"animals"}),
    ("repotted my spider plant", set(), {"animals"}),
    ("felt a bit blue but my sister rang", {"people"}, {"sight"}),
])
def test_the_model_tags_what_the_word_lists_get_wrong(vocabulary, senses, text, wanted,
                                                      unwanted):
    """The issue's three (the word lists were mended for them since), and knowledge of
    the world that words one by one cannot have (the last four are from set L, which the
    model is trained on now; what it does on unseen glimmers is in the README)."""
    tags = set(tags_of(text, vocabulary, senses))
    assert wanted <= tags, f"{text!r}: {sorted(tags)}"
    assert not (unwanted & tags), f"{text!r}: {sorted(tags)}"


def test_the_word_lists_alone_got_some_of_those_wrong(vocabulary):
    """So the test above says something the word lists do not."""
    assert "animals" not in tag_text("frogspawn in the pond", vocabulary)
    assert "animals" in tag_text("toad in the hole for tea", vocabulary)
    assert "animals" in tag_text("repotted my spider plant", vocabulary)
    assert "sight" in tag_text("felt a bit blue but my sister rang", vocabulary)


def test_the_model_keeps_its_precision_on_a_labelled_set(vocabulary, senses):
    cases = read_labelled(ENGLISH)["tags_blind_l"]
    given: dict[str, int] = {}
    right: dict[str, int] = {}
    for text, truth in cases:
        for tag in tags_of(text, vocabulary, senses):
            given[tag] = given.get(tag, 0) + 1
            right[tag] = right.get(tag, 0) + (tag in truth)
    assert sum(right.values()) / sum(given.values()) >= FLOOR_ALL
    low = {tag: round(right[tag] / given[tag], 3) for tag in given
           if right[tag] / given[tag] < FLOOR_TAG}
    assert not low


def test_without_the_sentence_model_the_word_lists_alone_tag(monkeypatch, vocabulary):
    from voice_glimmers.app.context import load_senses
    from voice_glimmers.encoder import minilm

    monkeypatch.setattr(minilm, "PACKAGE", "no_such_sentence_model_package")
    with pytest.raises(minilm.EncoderMissing):
        minilm.model_folder()
    assert load_senses(Language.from_dir(ENGLISH)) is None
    text = "the blackbirds singing in the garden"
    assert tags_of(text, vocabulary, None) == tag_text(text, vocabulary)


def test_a_damaged_or_foreign_model_file_is_not_used(tmp_path, vocabulary):
    from voice_glimmers.encoder.tagger import read_model, senses_for, write_model

    damaged = tmp_path / "tags_model.npz"
    damaged.write_bytes(b"not a model")
    assert senses_for(damaged, tuple(vocabulary.rules)) is None
    model = read_model(SHIPPED)
    assert model is not None
    other = tmp_path / "other.npz"
    write_model(other, model.__class__(model.fingerprint, "a1b2c3d4", model.tags,
                                       model.weights, model.bias, model.alone,
                                       model.with_words))
    assert senses_for(other, tuple(vocabulary.rules)) is None  # another encoder's vectors
    assert senses_for(SHIPPED, (*vocabulary.rules, "colour")) is None  # other tags


def test_a_glimmer_the_screen_or_meaning_just_read_is_not_encoded_again(monkeypatch):
    from voice_glimmers.encoder.likeness import Likeness
    from voice_glimmers.encoder.minilm import MiniLM

    likeness = Likeness({"a": ("the smell of rain",), "b": ("what time is it",)})
    encoded: list[str] = []
    real = MiniLM.encode

    def counting(self, texts, batch=16):
        encoded.extend(texts)
        return real(self, texts, batch)

    monkeypatch.setattr(MiniLM, "encode", counting)
    likeness.scores("the blackbirds singing")
    first = likeness.vectors_of(["the blackbirds singing"])
    assert encoded == ["the blackbirds singing"]
    again = likeness.vectors_of(["a new one"])
    assert encoded == ["the blackbirds singing", "a new one"]
    assert first.shape == again.shape == (1, 384)


def test_a_glimmer_saved_in_the_conversation_is_tagged_by_the_model(vocabulary, senses):
    from datetime import datetime, timezone

    from voice_glimmers.app.settings import Settings
    from voice_glimmers.dialogue.conversation import Dialogue
    from voice_glimmers.store.glimmer_store import GlimmerStore

    language = Language.from_dir(ENGLISH)
    now = datetime(2026, 12, 2, 20, 30, tzinfo=timezone.utc)
    with_model = Dialogue(GlimmerStore.in_memory(), language, Settings(), senses=senses)
    without = Dialogue(GlimmerStore.in_memory(), language, Settings())
    saved = with_model.respond("glimmer the blackbirds singing", now).saved
    plain = without.respond("glimmer the blackbirds singing", now).saved
    assert saved is not None and plain is not None
    assert {"animals", "sound"} <= set(saved.tags)
    assert plain.tags == tag_text("the blackbirds singing", vocabulary)


def test_add_tags_with_the_model(tmp_path, capsys, vocabulary):
    import json

    from voice_glimmers.app.cli import main

    db = tmp_path / "glimmers.json"
    assert main(["--db", str(db), "--now", "2026-12-02T20:30", "add",
                 "my boss said i did a good job"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "--now", "2026-12-02T20:30", "list", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert "people" in entry["tags"]
