"""The README's cron line and listen's own evening offer are never two voices at once:
while `listen` runs (with a real Vosk model, reading a recording at speaking speed), a
timer's `reflect --speak` stays quiet and says why in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from test_listen import korean_speech, wait_for

from voice_glimmers.app.presence import is_listening, listening

pytestmark = pytest.mark.slow

NOW = "2026-11-27T20:30:00"


def reflect_speak(db, *extra_env):
    env = {**os.environ, **dict(extra_env)}
    return subprocess.run([sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now",
                           NOW, "reflect", "--speak"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, env=env)


def test_a_timer_reflect_speak_stays_quiet_while_listen_runs(tmp_path):
    db = tmp_path / "g.json"
    events = tmp_path / "events.jsonl"
    wav = korean_speech(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_glimmers", "listen", "--input", str(wav), "--realtime",
         "--no-speak", "--events", str(events), "--db", str(db), "--now", "2026-11-27T15:00"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(events, "listening")
        assert is_listening(db)
        done = reflect_speak(db)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # nothing said, nothing printed
        (line,) = done.stderr.strip().splitlines()
        assert "listen is running and offers the reflection itself at 20:30" in line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert not is_listening(db)  # listen has stopped: the timer may speak again


def test_with_the_evening_offer_off_the_timer_is_the_one_voice(tmp_path):
    db = tmp_path / "g.json"
    with listening(db):  # as listen holds it
        done = reflect_speak(db, ("VOICE_GLIMMERS_REFLECTION_TIME", "off"))
    assert "listen is running" not in done.stderr  # it went on to speak (or to try)


def test_a_killed_listen_never_leaves_the_timer_silent(tmp_path):
    db = tmp_path / "g.json"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from voice_glimmers.app.presence import listening\n"
         "with listening(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)",
         str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert is_listening(db)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    deadline = time.monotonic() + 5
    while is_listening(db) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_listening(db)
