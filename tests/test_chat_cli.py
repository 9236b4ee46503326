"""`chat` and `reflect` through the real command line, the real store file and espeak-ng."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

NOW = "2026-11-27T20:30:00+00:00"


def run(args, *, stdin="", db=None, check=True):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "voice_glimmers", *(["--db", str(db)] if db else []), *args]
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_chat_saves_reads_back_and_the_store_keeps_it(tmp_path):
    db = tmp_path / "glimmers.json"
    lines = (
        "glimmer the smell of rain on the way home\ni have a glimmer\nwarm socks\n"
        "what were my glimmers today\n"
    )
    out = run(["chat", "--now", NOW], stdin=lines, db=db).stdout.splitlines()
    assert out == [
        "Saved: the smell of rain on the way home.",
        "What was it? Or say 'not now'.",
        "Saved: warm socks.",
        "You noticed two glimmers today.",
        "The smell of rain on the way home.",
        "And warm socks.",
    ]
    listed = json.loads(run(["list", "--json", "--now", NOW], db=db).stdout)
    assert [g["text"] for g in listed] == ["the smell of rain on the way home", "warm socks"]
    assert [g["source"] for g in listed] == ["text", "text"]
    assert "touch" in listed[1]["tags"]


def test_chat_keeps_colour_codes_out_and_says_when_it_is_paused(tmp_path):
    db = tmp_path / "glimmers.json"
    done = run(["chat", "--now", NOW], stdin="glimmer a \x1b[31mred\x1b[0m leaf\n"
               "glimmer stop listening\nglimmer the rain\n", db=db)
    assert done.stdout.splitlines()[0] == "Saved: a red leaf."
    assert "(paused: say 'glimmer, start listening' to go on)" in done.stderr
    listed = json.loads(run(["list", "--json", "--now", NOW], db=db).stdout)
    assert [g["text"] for g in listed] == ["a red leaf"]


def test_chat_half_past_midnight_belongs_to_the_evening_before(tmp_path):
    db = tmp_path / "glimmers.json"
    run(["chat", "--now", "2026-11-28T00:30:00+00:00"], stdin="glimmer stars\n", db=db)
    listed = json.loads(run(["list", "--json", "--now", NOW], db=db).stdout)
    assert [(g["text"], g["day"]) for g in listed] == [("stars", "2026-11-27")]


def test_chat_never_stores_crisis_words(tmp_path):
    db = tmp_path / "glimmers.json"
    out = run(["chat", "--now", NOW], stdin="glimmer i want to kill myself\n", db=db).stdout
    assert "emergency" in out and "Saved" not in out
    assert json.loads(run(["list", "all", "--json"], db=db).stdout) == []


def test_chat_says_plainly_when_a_glimmer_cannot_be_saved_and_keeps_the_old_file(tmp_path):
    """The kernel refuses the write (RLIMIT_FSIZE: the path a full disk takes)."""
    db = tmp_path / "glimmers.json"
    run(["add", "the first one"], db=db)
    before = db.read_bytes()
    limit = len(before) + 64

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cmd = [sys.executable, "-m", "voice_glimmers", "--db", str(db), "chat", "--now", NOW]
    glimmer = ("a long afternoon in the sun with my sister on the allotment while the radio "
               "played and the tomatoes finally turned red")
    done = subprocess.run(cmd, input=f"glimmer {glimmer}\nwhat were my glimmers today\n",
                          capture_output=True, text=True, preexec_fn=small_files, timeout=60)
    assert "Traceback" not in done.stderr
    out = done.stdout.splitlines()
    assert out[0].startswith("I couldn't save that just now")
    assert "Saved" not in done.stdout
    assert "Nothing saved today" in done.stdout or "the first one" in done.stdout.lower()
    assert done.stderr.count("voice-glimmers:") == 1
    assert db.read_bytes() == before


def test_chat_with_a_damaged_database_and_no_backup_is_one_line(tmp_path):
    db = tmp_path / "glimmers.json"
    db.write_text("{ not json")
    done = run(["chat"], stdin="glimmer x\n", db=db, check=False)
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert db.read_text() == "{ not json"  # never overwritten


def test_reflect_prints_the_evening_reflection(tmp_path):
    db = tmp_path / "glimmers.json"
    run(
        ["add", "the light through the kitchen window", "--now", "2026-11-27T09:00:00+00:00"], db=db
    )
    out = run(["reflect", "--now", NOW], db=db).stdout
    assert "Today you noticed:" in out
    assert "The light through the kitchen window." in out
    assert "If another one comes to you, you can say 'glimmer' and tell me." in out
    assert out.strip().endswith("Rest well.")  # in the evening, the very last words
    assert "?" not in out.strip().splitlines()[-1]  # nobody is there to answer a question


def wav_stats(path: Path) -> tuple[float, float]:
    with wave.open(str(path)) as w:
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / w.getframerate()
        assert w.getsampwidth() == 2
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64)
    return seconds, float(np.sqrt(np.mean(samples**2)))


@pytest.mark.slow
def test_reflect_to_wav_is_real_speech(tmp_path):
    db = tmp_path / "glimmers.json"
    run(["add", "the cat purring on my lap", "--now", "2026-11-27T09:00:00+00:00"], db=db)
    out = tmp_path / "reflection.wav"
    done = run(["reflect", "--now", NOW, "--to-wav", str(out)], db=db)
    assert "Audio saved" not in done.stdout  # espeak's driver chatter stays off stdout
    seconds, rms = wav_stats(out)
    spoken_words = len(done.stdout.split())
    # espeak-ng speaks about 2.5-3.5 words a second at the default rate, plus pauses.
    assert spoken_words / 4.5 < seconds < spoken_words / 1.5 + 10
    assert rms > 500  # speech, not silence (full scale is 32767)
