"""Emoji are part of a glimmer's words: kept in the text however it arrives (typed chat,
`add`, `import`), and never spoken by name ("smiling face with smiling eyes")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from voice_glimmers.app.settings import intents_dir
from voice_glimmers.core.words import speakable
from voice_glimmers.language.bundle import Language
from voice_glimmers.understand.matcher import understand
from voice_glimmers.voice.speakers import synthesize


@pytest.fixture(scope="module")
def language():
    return Language.from_dir(intents_dir() / "en")


def run(*args, input=""):
    done = subprocess.run([sys.executable, "-m", "voice_glimmers", *args], input=input,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


def test_speakable_leaves_out_emoji_and_their_joiners():
    assert speakable("Saved: a cat on my lap 😊.") == "Saved: a cat on my lap."
    assert speakable("family 👨‍👩‍👧 and a thumbs up 👍🏽 ☀️") == "family and a thumbs up"
    assert speakable("no emoji here, café") == "no emoji here, café"
    assert speakable("🍵") == ""


def test_emoji_are_never_read_aloud_by_name():
    plain, with_emoji = synthesize("Saved: warm tea."), synthesize("Saved: warm tea 🍵😊.")
    assert abs(with_emoji.seconds - plain.seconds) < 0.05  # no "hot beverage" in it
    assert synthesize("🌅").samples == b""


def test_emoji_stay_in_the_words_understood(language):
    today = date(2026, 12, 1)
    for said, kept in [("glimmer a cat on my lap 😊", "a cat on my lap 😊"),
                       ("glimmer ☀️ sunshine", "☀️ sunshine"),
                       ("glimmer tea 🍵 and cake", "tea 🍵 and cake"),
                       ("glimmer, the rain.", "the rain")]:
        match = understand(said, language.intents, today=today)
        assert match is not None and match.slots["text"] == kept, said


def test_chat_add_and_import_all_keep_emoji(tmp_path):
    db = tmp_path / "g.json"
    now = "2026-12-01T10:00:00+00:00"
    chat = run("--db", str(db), "--now", now, "chat", input="glimmer a cat on my lap 😊\n")
    assert "Saved: a cat on my lap 😊." in chat.stdout
    run("--db", str(db), "--now", now, "add", "sunrise 🌅 over the roofs")
    exported = tmp_path / "out.json"
    run("--db", str(db), "export", "--format", "json", "-o", str(exported))
    other = tmp_path / "other.json"
    run("--db", str(other), "import", str(exported))
    texts = [g["text"] for g in json.loads(
        run("--db", str(other), "list", "all", "--json").stdout)]
    assert texts == ["a cat on my lap 😊", "sunrise 🌅 over the roofs"]
