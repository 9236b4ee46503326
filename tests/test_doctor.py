"""`voice-glimmers doctor` against a real sound server, and without one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice_glimmers.app.doctor import check_database
from voice_glimmers.app.settings import Settings
from voice_glimmers.core.clock import system_clock
from voice_glimmers.store.glimmer_store import GlimmerStore


def doctor(env, *args):
    done = subprocess.run([sys.executable, "-m", "voice_glimmers", "doctor", *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" not in done.stdout + done.stderr
    lines = {line.split(":")[0].strip(): line for line in done.stdout.splitlines() if ":" in line}
    return done.returncode, lines


@pytest.mark.slow
def test_doctor_with_a_sound_server_finds_microphone_and_speaker(tmp_path, pulse_server):
    env = {**pulse_server.env, "VOICE_GLIMMERS_DB": str(tmp_path / "g.json")}
    code, lines = doctor(env)
    assert "ok" in lines["microphone"] and "is sending sound" in lines["microphone"]
    assert "ok" in lines["speech out"] and "espeak-ng speaks" in lines["speech out"]
    assert "ok" in lines["database"] and "language" in lines
    assert "crisis_message" in lines["crisis line"]
    # The only model here is the Korean one: doctor says so, and how to get English.
    assert "needs care" in lines["speech model"]
    assert "model download" in lines["speech model"]
    assert code == 1


def test_doctor_without_a_sound_server_says_what_to_try(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER",)}
    env.update(XDG_RUNTIME_DIR=str(tmp_path), VOICE_GLIMMERS_DB=str(tmp_path / "g.json"),
               VOICE_GLIMMERS_MODEL=str(tmp_path / "no-model"))
    code, lines = doctor(env)
    assert code == 1
    assert "needs care" in lines["microphone"]
    assert "needs care" in lines["speech model"] and "not a Vosk model folder" in lines[
        "speech model"]
    assert "ok" in lines["database"]


def test_doctor_names_a_damaged_database(tmp_path):
    db = tmp_path / "g.json"
    db.write_text("{ broken")
    env = {**os.environ, "VOICE_GLIMMERS_DB": str(db)}
    code, lines = doctor(env)
    assert code == 1
    assert "needs care" in lines["database"] and "g.json" in lines["database"]
    assert db.read_text() == "{ broken"


def test_the_database_line_says_who_can_read_it(tmp_path):
    db = tmp_path / "g.json"
    with GlimmerStore.open(db) as store:
        for n in range(11):
            store.add(f"glimmer {n}", at=system_clock())
    settings = Settings(db_path=db)
    assert check_database(settings, system_clock) == (
        f"{db} reads cleanly (11 glimmers, readable only by you)"
    )
    db.chmod(0o644)
    assert check_database(settings, system_clock) == (
        f"{db} reads cleanly (11 glimmers, readable only by you). Others on this computer "
        "could read g.json, so it is private again (readable only by you)."
    )
    if os.geteuid() != 0:
        return
    db.chmod(0o644)
    os.chown(db, 65534, 65534)  # someone else's file is never changed; the line says so
    assert check_database(settings, system_clock) == (
        f"{db} reads cleanly (11 glimmers). Others on this computer can read g.json; "
        f"to keep your glimmers private, run: chmod 600 {db}"
    )


def test_doctor_says_whether_the_screen_is_ready(tmp_path, monkeypatch):
    import shutil

    from voice_glimmers.app.doctor import check_screen
    from voice_glimmers.app.settings import Settings
    from voice_glimmers.core.errors import GlimmersError

    assert "the sentence model is installed" in check_screen(Settings())
    english = Path(__file__).resolve().parent.parent / "intents"
    shutil.copytree(english, tmp_path / "intents")
    shutil.rmtree(tmp_path / "intents" / "en" / "screen")
    monkeypatch.setenv("VOICE_GLIMMERS_INTENTS", str(tmp_path / "intents"))
    with pytest.raises(GlimmersError, match="only the phrase lists screen"):
        check_screen(Settings())
