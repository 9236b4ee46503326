"""Conversations as data: every file in tests/conversations/ is played turn by turn.

Each conversation has a start time (`now`), optional glimmers already saved (and maybe
deleted since, `deleted: true`, as `delete` on the command line does), `typed: true` for
a typed chat, and
turns of what the person says (`say`, `after` seconds since the turn before,
`source`, `confidence`) with what the reply must contain (`expect`, `expect_any`)
or must not (`expect_not`, `expect_silence`). After the last turn, `stored`,
`stored_days` and `stored_tags` describe the glimmers kept.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.store.glimmer_store import GlimmerStore

HERE = Path(__file__).parent / "conversations"
FORBIDDEN = yaml.safe_load((HERE / "forbidden_words.yaml").read_text())["forbidden"]


def _conversations():
    for path in sorted(HERE.glob("*.yaml")):
        if path.name == "forbidden_words.yaml":
            continue
        for conv in yaml.safe_load(path.read_text()):
            yield pytest.param(conv, id=f"{path.stem}: {conv['name']}")


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(intents_dir() / "en")


_LIKENESS: dict = {}


def likeness_for(language):
    """The real sentence model over the language's examples, loaded once for every test."""
    if "en" not in _LIKENESS:
        from voice_glimmers.app.settings import user_cache_dir
        from voice_glimmers.encoder.likeness import Likeness

        _LIKENESS["en"] = Likeness(language.signs.examples, cache_dir=user_cache_dir() / "screen",
                                   shipped=language.signs.trained)
    return _LIKENESS["en"]


def meaning_for(language):
    """The layer that generalises, with the real sentence model, loaded once."""
    if "meaning" not in _LIKENESS:
        from voice_glimmers.app.context import load_meaning

        _LIKENESS["meaning"] = load_meaning(language)
    return _LIKENESS["meaning"]


def play(conv, language, tmp_path):
    """A conversation as data; `model: true` screens with the real sentence model too, and
    `meaning: true` reads what the templates take only as a glimmer with it too."""
    store = GlimmerStore.in_memory()
    for seed in conv.get("glimmers", []):
        seeded = store.add(seed["text"], at=datetime.fromisoformat(seed["at"]))
        if seed.get("deleted"):
            store.delete(seeded.id, at=datetime.fromisoformat(seed["at"]))
    settings = Settings(db_path=tmp_path / "glimmers.json",
                        wake_word=conv.get("wake_word", "glimmer"))
    likeness = likeness_for(language) if conv.get("model") else None
    dialogue = Dialogue(store, language, settings, question_timeout=conv.get("timeout", 20),
                        rng=random.Random(7), likeness=likeness,
                        typed=bool(conv.get("typed")),
                        meaning=meaning_for(language) if conv.get("meaning") else None)
    now = datetime.fromisoformat(conv["now"])
    replies, saved = [], {}
    for turn in conv["turns"]:
        now += timedelta(seconds=turn.get("after", 2))
        if turn.get("delete_elsewhere"):  # the command line or another room, meanwhile
            gone = next(g for g in store.all() if g.text == turn["delete_elsewhere"])
            store.delete(gone.id, at=now)
        if turn.get("offer_reflection"):
            reply = dialogue.offer_reflection(now)
        else:
            reply = dialogue.respond(turn["say"], now, source=turn.get("source", "text"),
                                     confidence=turn.get("confidence"))
        replies.append(reply)
        where = f"turn {turn.get('say')!r} -> {reply.text!r}"
        for fragment in turn.get("expect", []):
            assert fragment in reply.text, where
        if "expect_any" in turn:
            assert any(f in reply.text for f in turn["expect_any"]), where
        for fragment in turn.get("expect_not", []):
            assert fragment not in reply.text, where
        if turn.get("expect_silence"):
            assert reply.parts == (), where
        if "intent" in turn:
            assert reply.intent == turn["intent"], where
        if turn.get("distinct_prompts"):
            prompts = set(language.phrases.reflection["prompts"])
            said = [p for p in reply.parts if p in prompts]
            assert len(said) == len(set(said)) >= 2, reply.parts
        if "save_as" in turn:
            saved[turn["save_as"]] = reply
        if "differs_from_first_part_of" in turn:
            assert reply.parts[0] != saved[turn["differs_from_first_part_of"]].parts[0]
    kept = store.all()
    if "stored" in conv:
        assert [g.text for g in kept] == conv["stored"]
    if "stored_count" in conv:
        assert len(kept) == conv["stored_count"]
    if "stored_days" in conv:
        assert [g.day.isoformat() for g in kept] == conv["stored_days"]
    if "stored_at" in conv:
        assert [g.created_at.isoformat() for g in kept] == conv["stored_at"]
    if "stored_tags" in conv:
        assert [sorted(g.tags) for g in kept] == [sorted(t) for t in conv["stored_tags"]]
    return replies


@pytest.mark.parametrize("conv", list(_conversations()))
def test_conversation(conv, language, tmp_path):
    play(conv, language, tmp_path)


def _shaming(text: str) -> list[str]:
    found = [w for w in FORBIDDEN if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I)]
    return found + (["!"] if "!" in text else [])


def test_no_reply_shames_or_pressures(language, tmp_path):
    every_reply = []
    for param in _conversations():
        every_reply += [r.text for r in play(param.values[0], language, tmp_path)]
    every_phrase = [v for variants in language.phrases.replies.values() for v in variants]
    every_phrase += [v for variants in language.phrases.reflection.values() for v in variants]
    settings = Settings()
    every_phrase.append(settings.crisis_message)
    problems = {t: _shaming(t) for t in every_reply + every_phrase if _shaming(t)}
    assert problems == {}


def test_shaming_check_can_fail():
    assert _shaming("You missed three days!") == ["missed", "!"]
    assert _shaming("Only one today") == ["only"]


def test_reflection_openings_never_repeat_on_consecutive_evenings(language, tmp_path):
    store = GlimmerStore.in_memory()
    dialogue = Dialogue(store, language, Settings(db_path=tmp_path / "g.json"))
    evening = datetime.fromisoformat("2026-01-01T20:30:00+00:00")
    openings = [dialogue.reflect(evening + timedelta(days=d)).parts[0] for d in range(60)]
    assert all(a != b for a, b in zip(openings, openings[1:], strict=False))
    assert len(set(openings)) >= 3
