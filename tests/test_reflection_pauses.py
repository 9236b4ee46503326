"""The reflection's pauses in sound: `reflect --to-wav` written by espeak-ng through the
real command line, its silences measured with sox (converted to 8 kHz raw samples)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

NOW = "2026-11-27T20:30:00+00:00"
RATE = 8000
QUIET = 200  # below this (of 32767) a stretch of samples is silence
SHORTEST = 0.3  # a silence shorter than this is a breath between words, not a gap


def reflect_to_wav(tmp_path, pause: str | None, *, speak_env: dict | None = None):
    db = tmp_path / "glimmers.json"
    env = {**(speak_env or os.environ), "PYTHONUNBUFFERED": "1"}
    env.pop("VOICE_GLIMMERS_REFLECTION_PAUSE_SECONDS", None)
    if pause is not None:
        env["VOICE_GLIMMERS_REFLECTION_PAUSE_SECONDS"] = pause
    base = [sys.executable, "-m", "voice_glimmers", "--db", str(db)]
    for text, at in (("the cat purring on my lap", "09:00"), ("tea with a friend", "11:00")):
        subprocess.run([*base, "--now", NOW, "add", text, "--at", f"2026-11-27T{at}"],
                       check=True, capture_output=True, timeout=120, env=env)
    out = tmp_path / "reflection.wav"
    how = ["--speak"] if speak_env is not None else ["--to-wav", str(out)]
    done = subprocess.run([*base, "--now", NOW, "reflect", *how],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return out, done.stdout.splitlines()


def gaps(path, raw_rate: int | None = None) -> list[float]:
    """Every silence of at least SHORTEST seconds between sounds, in seconds, in order.
    `raw_rate`: the file is raw 16-bit mono at that rate (a recording), not a WAV."""
    given = [] if raw_rate is None else ["-t", "raw", "-e", "signed-integer", "-b", "16",
                                         "-c", "1", "-r", str(raw_rate)]
    raw = subprocess.run(["sox", *given, str(path), "-t", "raw", "-e", "signed-integer",
                          "-b", "16", "-c", "1", "-r", str(RATE), "-"], check=True,
                         capture_output=True, timeout=120).stdout
    loud = np.abs(np.frombuffer(raw, dtype="<i2").astype(np.int32)) >= QUIET
    where = np.flatnonzero(loud)
    between = np.diff(where) / RATE  # seconds from one sound sample to the next
    return [round(float(s), 2) for s in between if s >= SHORTEST]


needs_sox = pytest.mark.skipif(shutil.which("sox") is None and not os.environ.get("CI"),
                               reason="sox is not installed")


@needs_sox
@pytest.mark.slow
def test_an_invitation_to_stay_gets_the_pause_set_in_the_wav(tmp_path):
    wav, said = reflect_to_wav(tmp_path, "3")
    found = gaps(wav)
    prompts = 2  # one invitation after each of the two glimmers
    long_ones = [g for g in found if g >= 3.0]
    assert len(long_ones) == prompts, (found, said)
    assert all(g < 4.0 for g in long_ones), found  # the pause set, and not much more
    # Each glimmer is followed by a breath of its own before its invitation (3 s x 0.25).
    assert sum(0.75 <= g < 1.5 for g in found) >= prompts, found


@needs_sox
@pytest.mark.slow
def test_with_no_pause_set_the_gaps_stay_short(tmp_path):
    wav, _ = reflect_to_wav(tmp_path, "0")
    found = gaps(wav)
    assert found and max(found) < 1.2, found


@needs_sox
@pytest.mark.slow
def test_reflect_speak_leaves_the_same_pauses_at_a_real_sound_server(tmp_path, pulse_server):
    from test_speak_pulse import RATE as SINK_RATE
    from test_speak_pulse import Monitor

    monitor = Monitor(pulse_server, tmp_path / "monitor.raw")
    try:
        reflect_to_wav(tmp_path, "3", speak_env=pulse_server.env)
    finally:
        monitor.close()
    found = gaps(monitor.path, raw_rate=SINK_RATE)
    long_ones = [g for g in found if g >= 3.0]
    assert len(long_ones) == 2, found  # after each invitation, as in the WAV
    assert all(g < 4.5 for g in long_ones), found
