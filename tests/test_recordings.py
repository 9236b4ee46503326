"""`listen --input` over recordings, and the speech it writes: real Vosk, espeak-ng, files.

A recording read faster than real time must be heard as it would be at speaking speed
(the follow-up and question windows measured on the recording's own time), replies
written with --speak-to must reach the disk as they are said, and speech made on the way
must never leave glimmer audio in /tmp.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import wave
from datetime import datetime
from pathlib import Path

import pytest
from fakes import AudioClock, ScriptedTranscriber, SilenceSource, TimedSpeaker
from test_listen import events_of, korean_speech

from voice_glimmers.app.settings import Settings, intents_dir
from voice_glimmers.core.clock import system_clock
from voice_glimmers.dialogue.conversation import Dialogue
from voice_glimmers.language.bundle import Language
from voice_glimmers.listen.events import Display, EventLog
from voice_glimmers.listen.gate import Gate
from voice_glimmers.listen.loop import Loop
from voice_glimmers.store.glimmer_store import GlimmerStore

pytestmark = pytest.mark.slow

WAKE = "여보세요"  # the Korean model hears espeak-ng's "여보세요" as itself, every time


def listen(args, *, env=None, timeout=180):
    """`listen` on a recording. The evening offer is off: with --realtime the clock is the
    real one, and after 20:30 the offer came first and every order below changed."""
    env = {**(env or os.environ), "VOICE_GLIMMERS_REFLECTION_TIME": "off"}
    return subprocess.run([sys.executable, "-m", "voice_glimmers", "listen", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def spoken_to_then_not(folder: Path, gap: float) -> Path:
    """The wake word twice, `gap` seconds of quiet, then a sentence without it (16 kHz)."""
    wake, other = folder / "wake.wav", folder / "other.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wake), f"{WAKE} {WAKE}"], check=True)
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(other), "오늘 날씨가 좋네요"], check=True)
    quiet = folder / "quiet.wav"
    subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", "-b", "16", str(quiet), "trim", "0",
                    str(gap)], check=True)
    out = folder / "recording.wav"
    subprocess.run(["sox", str(wake), str(quiet), str(other), "-r", "16000", str(out), "pad",
                    "0.3", "1.5"], check=True)
    return out


def decisions(stdout: str) -> list[tuple]:
    """What listen did with each thing it heard, in order (words left out)."""
    kinds = {"final": lambda e: ("heard",), "dropped": lambda e: ("dropped", e["reason"]),
             "reply": lambda e: ("replied", e["intent"])}
    return [kinds[e["type"]](e) for e in events_of(stdout) if e["type"] in kinds]


def test_a_recording_read_fast_is_heard_as_it_would_be_at_speaking_speed(tmp_path):
    """The sentence without the wake word comes 8 s after the reply: past both windows."""
    wav = spoken_to_then_not(tmp_path, gap=8.0)
    env = {**os.environ, "VOICE_GLIMMERS_FOLLOW_UP_SECONDS": "3",
           "VOICE_GLIMMERS_QUESTION_TIMEOUT_SECONDS": "3"}
    args = ["--input", str(wav), "--no-speak", "--wake-word", WAKE, "--events", "-",
            "--db", str(tmp_path / "g.json")]
    fast = listen(args, env=env)
    assert fast.returncode == 0, fast.stderr
    slow = listen([*args, "--realtime"], env=env)
    assert slow.returncode == 0, slow.stderr
    heard = decisions(slow.stdout)
    assert [d[0] for d in heard[:2]] == ["heard", "replied"]  # spoken to: answered
    assert heard[2:] == [("heard",), ("dropped", "not for me")]  # long after: not for it
    assert decisions(fast.stdout) == heard


def test_the_loop_measures_its_windows_on_the_recording(tmp_path):
    """At the loop: 30 s of recording read in about a second, with a wall clock."""
    language = Language.from_dir(intents_dir() / "en")
    script = [(2, "glimmer the smell of rain"), (20, "delete that"), (28, "glimmer warm socks")]
    store = GlimmerStore.in_memory()
    dialogue = Dialogue(store, language, Settings(), question_timeout=20)
    clock_for_fakes = AudioClock(datetime.now().astimezone())  # the stand-ins' audio time
    log = io.StringIO()
    started = datetime.now().astimezone()
    Loop(source=SilenceSource(30, pace=0.002),
         transcriber=ScriptedTranscriber(script, clock_for_fakes),
         dialogue=dialogue, speaker=TimedSpeaker(clock_for_fakes), clock=system_clock,
         gate=Gate(dialogue.wake, follow_up_seconds=6, question_seconds=20),
         events=EventLog(log), display=Display(io.StringIO()), half_duplex=False,
         audio_clock=True).run()
    events = [json.loads(line) for line in log.getvalue().splitlines()]
    # "delete that" came 18 s after "Saved": long past the follow-up window
    assert [e["reason"] for e in events if e["type"] == "dropped"] == ["not for me"]
    saved = store.all()
    assert [g.text for g in saved] == ["the smell of rain", "warm socks"]
    # and glimmers are dated on the recording's time too: 26 s apart, not a second
    gap = (saved[1].created_at - saved[0].created_at).total_seconds()
    assert abs(gap - 26) < 0.5, gap
    assert saved[0].created_at >= started.replace(microsecond=0)


# --- --speak-to: each reply reaches the disk as it is said ---------------------------------


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_speak_to_writes_each_reply_as_it_goes_and_a_kill_keeps_them(tmp_path):
    speech = korean_speech(tmp_path)
    wav = tmp_path / "long.wav"  # half a minute at speaking speed: listen is still at it
    subprocess.run(["sox", str(speech), str(wav), "pad", "0", "30"], check=True)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "replies.wav"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice_glimmers", "listen", "--input", str(wav), "--realtime",
         "--speak-to", str(out), "--now", "2026-11-27T20:31:00", "--db", str(tmp_path / "g.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20  # the recording lasts 37 s
        while not (out.exists() and out.stat().st_size > 44):  # the evening offer, said at once
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "no reply written while listening"
            time.sleep(0.1)
        assert proc.poll() is None  # still listening: written as it went, not at the end
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert 3 < wav_seconds(out) < 15  # the offer, about fifteen words, whole
    assert out.stat().st_mode & 0o777 == 0o600
    assert sorted(os.listdir(folder)) == ["replies.wav"]  # nothing half-written beside it


# --- speech made on the way never lands in /tmp ------------------------------------------


def test_speech_being_made_is_kept_private_and_a_killed_run_leaves_none_in_tmp(tmp_path):
    """Each reply is made as a temporary WAV; a kill can leave one behind. It must be in the
    private data folder, never in the system's temporary folder, and gone at the next start."""
    db = tmp_path / "g.json"
    now = "2026-11-27T20:30:00"
    for i in range(6):
        subprocess.run([sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now", now,
                        "add", f"the smell of rain on the way home, number {i}",
                        "--at", f"2026-11-27T1{i}:00"], check=True, capture_output=True,
                       timeout=60)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    speech = Path(os.environ["XDG_DATA_HOME"]) / "voice-glimmers" / "speech"
    command = [sys.executable, "-m", "voice_glimmers", "--db", str(db), "--now", now, "reflect",
               "--to-wav", str(tmp_path / "reflection.wav")]
    seen_in_tmp: set[str] = set()
    left: list[Path] = []
    for _ in range(10):  # kill it while it is making speech, until a kill leaves a file
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        try:
            while proc.poll() is None and time.monotonic() < deadline:
                in_tmp = {name for name in os.listdir(tmp) if name.endswith(".wav")}
                seen_in_tmp |= in_tmp
                making = list(speech.glob("*.wav")) if speech.is_dir() else []
                if making or in_tmp:
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.0005)
        finally:
            proc.wait(timeout=30)
        left = (list(speech.glob("*.wav")) if speech.is_dir() else []) + list(tmp.glob("*.wav"))
        if left:
            break
    assert not seen_in_tmp, seen_in_tmp
    assert left, "no kill landed while speech was being made"
    assert all(path.parent == speech for path in left)
    assert speech.stat().st_mode & 0o777 == 0o700
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not any(path.exists() for path in left)  # what the killed run left is cleaned up
    assert list(tmp.glob("*.wav")) == []
