"""`voice-glimmers listen` with real parts: the Korean Vosk model, espeak-ng, PulseAudio.

No English Vosk model can be installed on the test machines, so these assert on the
structure and timing of what is heard, not on the words (English understanding is
tested at transcript level in test_loop.py and the intents tests).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

KOREAN = ["안녕하세요 오늘 날씨가 좋네요", "고양이가 내 무릎 위에 있어요"]


def korean_speech(folder: Path) -> Path:
    """Two Korean phrases with a second of silence between, 16 kHz mono."""
    parts = []
    for i, text in enumerate(KOREAN):
        raw = folder / f"raw{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
        parts.append(raw)
    out = folder / "korean.wav"
    with wave.open(str(parts[0])) as w:
        rate = w.getframerate()
    silence = folder / "silence.wav"
    subprocess.run(["sox", "-n", "-r", str(rate), "-c", "1", "-b", "16", str(silence),
                    "trim", "0", "1.0"], check=True)
    subprocess.run(["sox", str(parts[0]), str(silence), str(parts[1]), "-r", "16000",
                    str(out), "pad", "0.3", "1.0"], check=True)
    return out


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def events_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def listen(args, *, env=None, timeout=180):
    cmd = [sys.executable, "-m", "voice_glimmers", "listen", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env or os.environ,
                          timeout=timeout)


def test_listen_to_a_wav_file_gives_partials_then_two_utterances(tmp_path):
    wav = korean_speech(tmp_path)
    duration = wav_seconds(wav)
    done = listen(["--input", str(wav), "--no-speak", "--wake-word", "none", "--events", "-",
                   "--db", str(tmp_path / "g.json")])
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    events = events_of(done.stdout)  # stdout carries events and nothing else
    finals = [e for e in events if e["type"] == "final"]
    assert len(finals) == 2, finals
    kinds = [e["type"] for e in events]
    assert kinds.index("partial") < kinds.index("final")
    assert all(f["text"].strip() for f in finals)
    first, second = finals
    assert 0 <= first["start"] < first["end"] < second["start"] < second["end"] <= duration + 0.2
    assert second["start"] - first["end"] > 0.5  # the second of silence between them
    assert all(0 < f["confidence"] <= 1 for f in finals)
    for final in finals:  # per-word confidence and times, inside the utterance's span
        assert final["words"] and " ".join(w["word"] for w in final["words"]) == final["text"]
        assert all(0 <= w["conf"] <= 1 for w in final["words"])
        assert all(final["start"] <= w["start"] < w["end"] <= final["end"] for w in final["words"])
    # Talk that is not for us is dropped and its words are not kept anywhere.
    db = tmp_path / "g.json"
    kept = db.read_text(encoding="utf-8") if db.exists() else ""
    assert not any(f["text"] in kept for f in finals)
    assert "voice" not in kept


def test_listen_speaks_the_evening_offer_into_a_wav(tmp_path):
    wav = korean_speech(tmp_path)
    out = tmp_path / "replies.wav"
    done = listen(["--input", str(wav), "--speak-to", str(out), "--events", "-",
                   "--now", "2026-11-27T20:31:00", "--db", str(tmp_path / "g.json")])
    assert done.returncode == 0, done.stderr
    replies = [e for e in events_of(done.stdout) if e["type"] == "reply"]
    assert [r["text"] for r in replies][:1] == [
        "It's evening. Would you like a quiet moment with today? Say yes, or 'not tonight'."
    ]
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)
    assert 3 < seconds < 15  # about fifteen words of speech
    assert np.sqrt(np.mean(samples**2)) > 500


def test_listen_with_no_model_says_how_to_get_one(tmp_path):
    env = {**os.environ, "VOICE_GLIMMERS_MODEL": str(tmp_path / "nowhere")}
    done = listen(["--input", str(tmp_path / "x.wav"), "--no-speak"], env=env)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "model" in done.stderr


def test_listen_to_a_file_that_is_not_audio_is_one_line(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all")
    done = listen(["--input", str(bad), "--no-speak", "--db", str(tmp_path / "g.json")])
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "notes.wav" in done.stderr.strip().splitlines()[-1]


def wait_for(path: Path, kind: str, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = events_of(path.read_text()) if path.exists() else []
        if any(e["type"] == kind for e in events):
            return events
        time.sleep(0.2)
    raise AssertionError(f"no {kind!r} event within {timeout} s")


def start_listening(tmp_path, server, *extra):
    events = tmp_path / "events.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_glimmers", "listen", "--device", "pulse",
         "--events", str(events), "--db", str(tmp_path / "g.json"), *extra],
        env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(events, "listening")
    except AssertionError:
        proc.kill()
        raise AssertionError(proc.communicate()[1]) from None
    return proc, events


def stop_listening(proc) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err, err
    return proc.returncode, err


def test_the_microphone_path_through_a_real_sound_server(tmp_path, pulse_server):
    wav = korean_speech(tmp_path)
    proc, events_path = start_listening(tmp_path, pulse_server, "--no-speak", "--wake-word",
                                        "none")
    try:
        time.sleep(0.5)
        pulse_server.play(wav).wait(timeout=30)
        time.sleep(2.5)  # the end of speech is found after trailing silence
    finally:
        code, err = stop_listening(proc)
    assert code == 0, err
    events = events_of(events_path.read_text())
    finals = [e for e in events if e["type"] == "final"]
    assert len(finals) >= 2, (events, err)
    assert all(f["text"].strip() and f["end"] > f["start"] for f in finals)
    assert any(e["type"] == "partial" for e in events)


def test_it_does_not_take_its_own_voice_for_a_command(tmp_path, pulse_server):
    # The null sink is both the speaker and (through its monitor) the microphone, so
    # everything the assistant says is played straight back into what it hears.
    proc, events_path = start_listening(tmp_path, pulse_server, "--wake-word", "none",
                                        "--now", "2026-11-27T20:30:00")
    try:
        events = wait_for(events_path, "spoken", timeout=60)
        time.sleep(3)  # anything it heard of itself has had time to come out of Vosk
    finally:
        code, err = stop_listening(proc)
    assert code == 0, err
    events = events_of(events_path.read_text())
    replies = [e for e in events if e["type"] == "reply"]
    finals = [e for e in events if e["type"] == "final"]
    assert [r["text"][:12] for r in replies] == ["It's evening"], events
    speaking = next(e["t"] for e in events if e["type"] == "speaking")
    spoken = next(e["t"] for e in events if e["type"] == "spoken")
    heard_itself = [e for e in events
                    if e["type"] == "partial" and speaking <= e["t"] <= spoken + 1]
    assert heard_itself, ("its own voice should have reached the microphone", events)
    # Whatever of it came out as an utterance was dropped, and nothing was acted on.
    dropped = [e for e in events if e["type"] == "dropped"]
    assert [d["reason"] for d in dropped] == ["speaking"] * len(finals), events
    assert not any(e["type"] == "intent" for e in events)
