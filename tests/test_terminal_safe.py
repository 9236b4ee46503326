"""Characters that move the terminal are shown, harmlessly, wherever glimmer text is printed.

A carriage return, an escape sequence, U+009B (an 8-bit escape) or a right-to-left
override in a glimmer must never move the cursor, clear the screen or reorder a line
when `add`, `list`, `delete`, `undo`, `chat` or an error message prints it. The words
kept are the person's own: a bidi override is kept as given and shown escaped; control
characters are refused on the way in, as they always were for most of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from voice_glimmers.core.display import printable
from voice_glimmers.core.glimmer import Glimmer
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.views.formats import to_listing

NOW = "2026-11-27T20:30:00+00:00"
# What may not reach a terminal raw: C0 but newline, DEL, C1, the bidi embeddings and overrides.
MOVING = [chr(c) for c in [*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0)]] + list(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def harmless(out: str) -> bool:
    return not any(c in out for c in MOVING)


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_glimmers", "--now", NOW, *args],
                          capture_output=True, text=True, input=stdin, timeout=60,
                          env={**os.environ, "TZ": "UTC"})


@pytest.mark.parametrize("raw, shown", [
    ("evil\rnice", "evil nice"),
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("\x9b31mred", "\\x9b31mred"),
    ("cat \u202eruof", "cat \\u202eruof"),
    ("bell\x07", "bell\\x07"),
    ("one\u2028two\nthree\tfour", "one two three four"),
    ("lone \udcff byte", "lone \\udcff byte"),
])
def test_printable_shows_every_character_and_moves_nothing(raw, shown):
    assert printable(raw) == shown
    assert harmless(printable(raw))


def test_printable_leaves_words_in_any_script_and_emoji_alone():
    for words in ("שלום, the sea \u200f", "café ☕", "👩‍👩‍👧 family", "tea at 5"):
        assert printable(words) == words


def test_add_shows_a_carriage_return_and_an_override_harmlessly_and_keeps_the_words(tmp_path):
    db = tmp_path / "g.json"
    done = run("--db", str(db), "add", "sun on the sea\rwarm bread")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Saved (id 1): sun on the sea warm bread\n"
    done = run("--db", str(db), "add", "warm \u202eaet")
    assert done.returncode == 0, done.stderr
    assert harmless(done.stdout) and "warm \\u202eaet" in done.stdout
    kept = [g["text"] for g in json.loads(run("--db", str(db), "list", "--json").stdout)]
    assert kept == ["sun on the sea\rwarm bread", "warm \u202eaet"]


def test_add_refuses_8_bit_control_characters_in_one_harmless_line(tmp_path):
    done = run("--db", str(tmp_path / "g.json"), "add", "red \x9b31m tea")
    assert done.returncode == 1
    assert "control characters" in done.stderr and harmless(done.stderr)
    assert not (tmp_path / "g.json").exists()


def hand_edited(tmp_path: Path, *texts: str) -> Path:
    """A database whose texts were edited by hand: anything can be in them."""
    db = tmp_path / "g.json"
    with GlimmerStore.open(db) as store:
        for i, _ in enumerate(texts):
            store.add(f"placeholder {i}", at=datetime(2026, 11, 27, 10 + i, tzinfo=timezone.utc))
    data = json.loads(db.read_text(encoding="utf-8"))
    for i, text in enumerate(texts):
        data["glimmers"][str(i + 1)]["text"] = text
    data["_meta"]["1"].pop("checksum", None)  # as the README says to, after editing by hand
    db.write_text(json.dumps(data), encoding="utf-8")
    return db


def test_list_delete_undo_and_chat_show_a_hand_edited_escape_harmlessly(tmp_path):
    db = hand_edited(tmp_path, "sun\x1b[2J\x1b[31m on the wall", "rain \x9b2J\u202e")
    listed = run("--db", str(db), "list")
    assert listed.returncode == 0, listed.stderr
    assert harmless(listed.stdout) and "sun\\x1b[2J\\x1b[31m on the wall" in listed.stdout
    as_json = run("--db", str(db), "list", "--json")
    assert harmless(as_json.stdout)  # JSON escapes them; a program reads the same words
    assert [g["text"] for g in json.loads(as_json.stdout)][1] == "rain \x9b2J\u202e"
    chat = run("--db", str(db), "chat", stdin="what were my glimmers today\n")
    assert chat.returncode == 0, chat.stderr
    assert "Sun\\x1b[2J\\x1b[31m on the wall" in chat.stdout and harmless(chat.stdout)
    deleted = run("--db", str(db), "delete", "2")
    assert deleted.returncode == 0 and harmless(deleted.stdout) and "\\x9b2J" in deleted.stdout
    undone = run("--db", str(db), "undo")
    assert undone.returncode == 0 and harmless(undone.stdout) and "\\u202e" in undone.stdout


def test_an_error_line_that_repeats_what_was_typed_is_harmless(tmp_path):
    done = run("--db", str(tmp_path / "g.json"), "list", "\x1b]0;owned\x07 week")
    assert done.returncode == 1
    assert harmless(done.stderr) and "\\x1b]0;owned\\x07" in done.stderr


def test_the_listing_itself_shows_escapes_harmlessly():
    glimmer = Glimmer(1, "sun\x1b[2J on the wall \u202e", datetime(2026, 11, 27, 10,
                      tzinfo=timezone.utc), datetime(2026, 11, 27).date())
    shown = to_listing([glimmer])
    assert harmless(shown.replace("\n", " ")) and "sun\\x1b[2J on the wall \\u202e" in shown


def test_chat_takes_typed_colour_codes_out_8_bit_ones_too(tmp_path):
    db = tmp_path / "g.json"
    done = run("--db", str(db), "chat", stdin="glimmer red \x9b31m tea \x1b[1mbold\x1b[0m\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Saved: red tea bold.\n"
