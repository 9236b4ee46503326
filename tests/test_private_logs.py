"""What listening writes down stays private: the --events file holds every word heard,
so it is made readable only by you, and a speech failure logs how many words the reply
had, never the words, unless -v asked for them."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import wave
from pathlib import Path

import pytest


def silent_wav(path: Path, seconds: float = 0.5) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * int(16000 * seconds))
    return path


def listen(tmp_path: Path, events: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voice_glimmers", "listen", "--input",
         str(silent_wav(tmp_path / "in.wav")), "--no-speak", "--events", str(events),
         "--db", str(tmp_path / "g.json")],
        capture_output=True, text=True, timeout=180, preexec_fn=lambda: os.umask(0o022),
    )


@pytest.mark.slow
def test_the_events_file_is_private_and_a_loose_one_is_made_private(tmp_path):
    fresh = tmp_path / "events.jsonl"
    done = listen(tmp_path, fresh)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert '"type": "listening"' in fresh.read_text(encoding="utf-8")
    assert "readable only by you" not in done.stderr

    loose = tmp_path / "old-events.jsonl"
    loose.write_text('{"type": "listening", "t": 0}\n', encoding="utf-8")
    loose.chmod(0o644)
    done = listen(tmp_path, loose)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    assert f"{loose} could be read by others; now it is readable only by you" in done.stderr
    assert loose.read_text(encoding="utf-8").startswith('{"type": "listening", "t": 0}\n')


@pytest.mark.slow
def test_an_unexpected_speech_failure_logs_a_word_count_not_the_words(pulse_server, caplog):
    from voice_glimmers.core.errors import SpeechOutputError
    from voice_glimmers.voice.speakers import Pyttsx3Speaker

    speaker = Pyttsx3Speaker()

    def broken(*args) -> None:  # a fault no one planned for, deep in the speech thread
        raise RuntimeError("the engine fell over")

    speaker._speak = broken  # type: ignore[method-assign]
    try:
        with caplog.at_level(logging.WARNING, logger="voice_glimmers"):
            speaker.say("Saved: the letter from my sister")
            with pytest.raises(SpeechOutputError):
                speaker.wait(10)
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "sister" not in logged
        assert "a reply of 6 words" in logged and "the engine fell over" in logged
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="voice_glimmers"):  # -v
            try:  # a speaker already failing says so once, then tries again quietly
                speaker.say("Saved: warm tea")
                speaker.wait(10)
            except SpeechOutputError:
                pass
        assert "warm tea" in "\n".join(r.getMessage() for r in caplog.records)
    finally:
        try:
            speaker.close()
        except SpeechOutputError:
            pass
