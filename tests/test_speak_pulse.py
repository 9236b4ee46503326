"""Speaking aloud through a real sound server: PulseAudio with a null sink, recorded at its monitor.

The speaker runs in a child process (PortAudio lists devices once, when it starts, so it
must start after the server) that prints its events as JSON lines on stdout: any stray
output from pyttsx3 would break them. `parec` records what really reached the sink.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from voice_glimmers.voice.speakers import synthesize

pytestmark = pytest.mark.slow

SHORT = "Saved: the smell of rain."
QUESTION = "What was it?"
LONG = (
    "You noticed three glimmers today. The light through the kitchen window. "
    "Warm socks from the dryer. And the cat on your lap. Let yourself remember how that felt."
)
TAIL = 0.4
RATE = 22050

CHILD = textwrap.dedent(
    """
    import json, subprocess, sys, time
    from voice_glimmers.core.errors import SpeechOutputError
    from voice_glimmers.voice.speakers import Pyttsx3Speaker

    mode, texts, after = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
    out = []
    speaker = Pyttsx3Speaker(
        tail_seconds=TAIL, on_event=lambda e: out.append(dict(e.to_dict(), kind="event"))
    )
    for text in texts:
        speaker.say(text)
    out.append({"kind": "said", "t": time.monotonic(), "done": speaker.wait(0)})
    if mode in ("stop", "vanish"):
        deadline = time.monotonic() + 20
        while not any(o.get("type") in ("speaking", "error") for o in out):
            assert time.monotonic() < deadline, "never started speaking"
            time.sleep(0.005)
        time.sleep(after)
        out.append({"kind": "stop", "t": time.monotonic()})
        if mode == "stop":
            speaker.stop()
        else:
            subprocess.run(["pulseaudio", "--kill"], check=True)
    polls, started = [], time.monotonic()
    while time.monotonic() - started < 60:
        polls.append((time.monotonic(), speaker.is_speaking()))
        if not polls[-1][1]:
            break
        time.sleep(0.01)
    try:
        speaker.wait(30)
        speaker.close()
    except SpeechOutputError as err:
        out.append({"kind": "error", "message": str(err)})
    for o in out:
        print(json.dumps(o))
    print(json.dumps({"kind": "polls", "polls": polls}))
    """
).replace("TAIL", repr(TAIL))


class Monitor:
    """parec on the null sink's monitor, at low latency (which also keeps the sink awake)."""

    def __init__(self, server, path: Path) -> None:
        self.path = path
        self._stream = path.open("wb")
        self._process = subprocess.Popen(
            ["parec", f"--device={server.sink}.monitor", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=20"],
            stdout=self._stream, env=server.env,
        )
        # A null sink sleeps up to 2 s before it notices a low-latency client; until it
        # does, a new stream stalls. Wait for the first recorded audio.
        deadline = time.monotonic() + 10
        while path.stat().st_size < RATE // 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= RATE // 5, "the monitor recorded nothing"

    def close(self) -> np.ndarray:
        time.sleep(0.3)
        self._process.terminate()
        self._process.wait(10)
        self._stream.close()
        return np.frombuffer(self.path.read_bytes(), dtype="<i2")


def loud_seconds(samples: np.ndarray, threshold: float = 500.0) -> float:
    """How much of it is speech rather than silence: 20 ms windows above an RMS level."""
    window = RATE // 50
    usable = len(samples) // window * window
    blocks = samples[:usable].astype(np.float64).reshape(-1, window)
    return float((np.sqrt((blocks**2).mean(axis=1)) > threshold).sum() * 0.02)


def speak_in_child(server, mode: str, texts: list[str], after: float = 0.0) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, json.dumps(texts), str(after)],
        capture_output=True, text=True, env=server.env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]  # stdout is JSON only
    return {
        "events": [o for o in lines if o["kind"] == "event"],
        "said": next(o["t"] for o in lines if o["kind"] == "said"),
        "done_at_once": next(o["done"] for o in lines if o["kind"] == "said"),
        "stop": next((o["t"] for o in lines if o["kind"] == "stop"), None),
        "errors": [o["message"] for o in lines if o["kind"] == "error"],
        "polls": next(o["polls"] for o in lines if o["kind"] == "polls"),
        "stderr": result.stderr,
    }


def test_replies_reach_the_sound_server_in_order(pulse_server, tmp_path):
    monitor = Monitor(pulse_server, tmp_path / "monitor.raw")
    run = speak_in_child(pulse_server, "all", [SHORT, QUESTION])
    recorded = monitor.close()

    events = run["events"]
    assert [(e["type"], e["text"]) for e in events] == [
        ("speaking", SHORT), ("spoken", SHORT), ("speaking", QUESTION), ("spoken", QUESTION)
    ]
    times = [e["t"] for e in events]
    assert run["said"] < times[0] and times == sorted(times)
    assert run["done_at_once"] is False  # say() returned at once; wait(0) says not done yet
    for event, text in zip(events[1::2], (SHORT, QUESTION), strict=True):
        assert event["interrupted"] is False
        assert abs(event["seconds"] - synthesize(text).seconds) < 0.15
        assert 0 < event["synth_ms"] < 2000
    # what the sink received is the speech itself
    expected = sum(
        loud_seconds(np.frombuffer(synthesize(t).samples, "<i2")) for t in (SHORT, QUESTION)
    )
    assert loud_seconds(recorded) > 0.7 * expected
    assert np.abs(recorded).max() > 8000

    # is_speaking(): from say() through the audio and for the tail after it, then not
    polls = run["polls"]
    last_spoken = times[-1]
    assert all(speaking for t, speaking in polls if t < last_spoken + TAIL - 0.05)
    quiet_at = polls[-1][0]
    assert polls[-1][1] is False
    assert last_spoken + TAIL - 0.05 <= quiet_at <= last_spoken + TAIL + 0.25


def test_stop_cuts_a_long_reply_short_and_drops_the_queue(pulse_server, tmp_path):
    full = synthesize(LONG)
    monitor = Monitor(pulse_server, tmp_path / "monitor.raw")
    run = speak_in_child(pulse_server, "stop", [LONG, SHORT], after=0.6)
    recorded = monitor.close()

    events = run["events"]
    assert [(e["type"], e["text"]) for e in events] == [("speaking", LONG), ("spoken", LONG)]
    spoken = events[1]
    assert spoken["interrupted"] is True
    assert spoken["seconds"] < 0.3 * full.seconds
    assert spoken["t"] - run["stop"] < 0.15  # the sound stops within a block or two
    # the sink heard the beginning, and only the beginning
    assert 0.1 < loud_seconds(recorded) < 0.3 * loud_seconds(np.frombuffer(full.samples, "<i2"))
    # still "speaking" for the tail after the cut, so its own echo is never taken as words
    quiet_at = run["polls"][-1][0]
    assert spoken["t"] + TAIL - 0.05 <= quiet_at <= spoken["t"] + TAIL + 0.25


def test_a_sound_server_that_goes_away_is_one_line_not_a_hang(pulse_server, tmp_path):
    run = speak_in_child(pulse_server, "vanish", [LONG], after=0.3)
    assert [e["type"] for e in run["events"]] == ["speaking", "spoken", "error"]
    assert run["events"][1]["interrupted"] is True
    assert len(run["errors"]) == 1
    assert "\n" not in run["errors"][0] and "--no-speak" in run["errors"][0]
    assert "Traceback" not in run["stderr"]
