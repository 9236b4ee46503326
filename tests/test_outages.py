"""When the sound server freezes or goes away: `listen` and `reflect` with a real PulseAudio.

A frozen server (SIGSTOP) keeps its socket but answers nothing, so every call into it
waits forever; a server that is gone refuses at once, and PortAudio and ALSA complain
on stderr each time they are asked. Neither may hang voice-glimmers or flood its output.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest
from test_listen import start_listening, wait_for
from test_transcribe import korean_model

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.core.clock import system_clock
from voice_glimmers.core.heard import Utterance
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.listen.events import Display, EventLog
from voice_glimmers.listen.gate import Gate
from voice_glimmers.listen.loop import Loop
from voice_glimmers.store.glimmer_store import GlimmerStore
from voice_glimmers.voice.audio import WavSource
from voice_glimmers.voice.speakers import PrintSpeaker
from voice_glimmers.voice.transcriber import VoskTranscriber

pytestmark = pytest.mark.slow


def native_noise(lines: list[str]) -> list[str]:
    """Lines printed by the sound libraries themselves, not by voice-glimmers."""
    return [line for line in lines if line.startswith(("ALSA lib", "Expression '"))
            or not line.strip()]


@pytest.mark.parametrize("frozen_for", [1.0, 6.0], ids=["noticed-on-stop", "noticed-before"])
def test_a_frozen_sound_server_never_hangs_listen(tmp_path, pulse_server, frozen_for):
    """Ctrl-C stops it within about a second, with one line saying why it did not wait.

    1 s frozen: the stream is still open when Ctrl-C comes, so closing it is what sticks.
    6 s frozen: listen has noticed the silence (after 4 s) and is trying to reopen it."""
    proc, _ = start_listening(tmp_path, pulse_server, "--no-speak")
    try:
        time.sleep(1.0)  # sound is flowing
        pulse_server.freeze()
        time.sleep(frozen_for)
        asked = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
        took = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        pulse_server.thaw()
    assert proc.returncode == 0, err
    assert took < 2.5, (took, err)
    lines = err.splitlines()
    assert "Traceback" not in err
    said = [line for line in lines if "not answering" in line]
    assert len(said) == 1, err
    assert native_noise(lines) == [], err


def test_a_sound_server_frozen_before_listen_starts_is_one_line(tmp_path, pulse_server):
    """Starting PortAudio asks the server for its devices; frozen, that took minutes."""
    pulse_server.freeze()
    try:
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "voice_glimmers", "listen", "--device", "pulse", "--no-speak",
             "--db", str(tmp_path / "g.json")],
            env=pulse_server.env, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - started
    finally:
        pulse_server.thaw()
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("voice-glimmers: ") and "not answering" in last, done.stderr
    assert "Traceback" not in done.stderr and native_noise(done.stderr.splitlines()) == []
    assert took < 20  # the model loads, then five seconds for the sound system


def test_while_the_sound_server_is_gone_listen_says_so_once_and_waits_quietly(
        tmp_path, pulse_server):
    err_path = tmp_path / "stderr.txt"
    events = tmp_path / "events.jsonl"
    with err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voice_glimmers", "listen", "--device", "pulse", "--no-speak",
             "--events", str(events), "--db", str(tmp_path / "g.json")],
            env=pulse_server.env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for(events, "listening")
        time.sleep(1.0)
        at_start = err_path.stat().st_size
        pulse_server.stop()
        time.sleep(10)  # gone for ten seconds
        in_ten_seconds = err_path.read_bytes()[at_start:].decode(errors="replace").splitlines()
        pulse_server.start()
        deadline = time.monotonic() + 20
        while "is back" not in err_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, err_path.read_text(errors="replace")
            time.sleep(0.2)
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    text = err_path.read_text(errors="replace")
    assert proc.returncode == 0, text
    assert len(in_ten_seconds) <= 4, in_ten_seconds  # was 54: PortAudio and ALSA, 5 a second
    lines = text.splitlines()
    assert sum("stopped sending sound" in line for line in lines) == 1, text  # once, not twice
    assert sum("is back" in line for line in lines) == 1, text
    assert not any(line.startswith("ALSA lib") for line in lines), text
    assert len(native_noise(lines)) <= 3, text  # PortAudio's own thread, once, as the sound went


def test_reflect_with_the_speaker_gone_says_so_once(tmp_path, pulse_server):
    db = tmp_path / "g.json"
    now = "2026-11-27T20:30:00"
    for i in range(8):
        subprocess.run([sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now", now,
                        "add", f"the smell of rain on the way home, number {i}",
                        "--at", f"2026-11-27T1{i}:00"], check=True, capture_output=True,
                       timeout=60)
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now", now, "reflect",
             "--speak"], env=pulse_server.env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while not out_path.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, err_path.read_text()
            time.sleep(0.05)
        time.sleep(1.5)  # the first part is being spoken
        pulse_server.stop()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = err_path.read_text(errors="replace").splitlines()
    assert proc.returncode == 1, lines  # speech was asked for, and it failed
    assert "Traceback" not in "\n".join(lines)
    ours = [line for line in lines if line.startswith("voice-glimmers:")]
    assert len(ours) == 1 and "leave out --speak" in ours[0], lines  # was one warning per part
    assert "--no-speak" not in ours[0]  # reflect has no such option
    assert native_noise(lines) == [], lines  # was 100 and more
    assert len(lines) == 1, lines
    printed = out_path.read_text().splitlines()
    # the whole reflection is still shown: the first four, and how to hear the rest
    assert sum("number" in line for line in printed) == 4
    assert any("There are four more from today." in line for line in printed), printed


# --- the microphone comes back: what was half-heard before is not joined to what follows ---


def korean_phrase(folder: Path, name: str, text: str) -> bytes:
    """16 kHz mono samples of espeak-ng speaking `text`, without its leading silence."""
    raw, out = folder / f"{name}-raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", str(out), "silence", "1", "0.02", "1%"],
                   check=True)
    with wave.open(str(out)) as w:
        return w.readframes(w.getnframes())


class FramesSource:
    """0.1 s frames from a list (b"" is a break in the sound, as a microphone that came back
    gives); ends with the list."""

    def __init__(self, frames: list[bytes]):
        self._frames = frames

    def frames(self):
        yield from self._frames

    def close(self) -> None:
        pass


def test_speech_before_an_outage_is_never_joined_to_speech_after_it(tmp_path):
    block = 3200
    before = korean_phrase(tmp_path, "a", "저는 공원에서 산책을 좋아합니다 정말로")
    after = korean_phrase(tmp_path, "b", "고양이가 내 무릎 위에 있어요 오늘도")
    cut = before[: len(before) * 3 // 5 // block * block]  # the sound went mid-sentence
    frames = [bytes(block)] * 3 + [cut[i:i + block] for i in range(0, len(cut), block)]
    broke_at = len(frames) * 0.1
    tail = after + bytes(16000 * 2 * 2)
    frames += [b""] + [tail[i:i + block] for i in range(0, len(tail), block)]

    language = Language.from_dir(intents_dir() / "en")
    dialogue = Dialogue(GlimmerStore.in_memory(), language, Settings(wake_word=None))
    log = io.StringIO()
    Loop(source=FramesSource(frames), transcriber=VoskTranscriber(korean_model()),
         dialogue=dialogue, speaker=PrintSpeaker(io.StringIO()), clock=system_clock,
         gate=Gate(dialogue.wake), events=EventLog(log), display=Display(io.StringIO()),
         half_duplex=False).run()
    finals = [json.loads(line) for line in log.getvalue().splitlines()
              if json.loads(line)["type"] == "final"]
    assert finals, log.getvalue()
    for final in finals:
        assert not final["start"] < broke_at < final["end"], (broke_at, finals)
    assert any(final["start"] >= broke_at for final in finals)  # what came after is heard


def test_a_recording_with_no_breaks_is_heard_as_before(tmp_path):
    """The same sound without the break runs on into one utterance, as sound does."""
    block = 3200
    before = korean_phrase(tmp_path, "a", "저는 공원에서 산책을 좋아합니다 정말로")
    after = korean_phrase(tmp_path, "b", "고양이가 내 무릎 위에 있어요 오늘도")
    cut = before[: len(before) * 3 // 5 // block * block]
    sound = bytes(block) * 3 + cut + after + bytes(16000 * 2 * 2)
    wav = tmp_path / "joined.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(sound)
    broke_at = (3 * block + len(cut)) / 32000
    transcriber = VoskTranscriber(korean_model())
    finals = []
    for frame in WavSource(wav).frames():
        finals += [u for u in transcriber.accept(frame) if isinstance(u, Utterance)]
    finals += [u for u in transcriber.flush() if isinstance(u, Utterance)]
    assert any(u.start < broke_at < u.end for u in finals), [(u.start, u.end) for u in finals]
