"""Speech out: how long a reply takes to start sounding, and how fast stop() silences it.

Runs a private PulseAudio with a null sink (a real sound server, no sound card needed) and
records the sink's monitor, so "sound at the sink" is measured the same way for
voice-glimmers' speaker and for the baseline, pyttsx3's own say() + runAndWait() (which
plays through aplay and blocks until it is done). Prints one table.

    .venv/bin/python bench/bench_speak.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

SENTENCE = "Saved: the smell of rain."
LONG = (
    "You noticed three glimmers today. The light through the kitchen window. "
    "Warm socks from the dryer. And the cat on your lap."
)
RATE = 22050
CHUNK = RATE // 50  # the monitor is read 20 ms at a time
LOUD = 500.0  # RMS above this is sound, below is silence
BUDGET_MS = 150.0  # Vosk's final result to reply audio, p95, for the whole loop

BASELINE = """
import sys, time, pyttsx3
engine = pyttsx3.init()
for line in sys.stdin:
    start = time.monotonic()
    engine.say(line.strip())
    engine.runAndWait()
    print(start, time.monotonic(), flush=True)
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class SoundServer:
    """A private PulseAudio with a null sink `out`, and parec reading its monitor."""

    def __init__(self) -> None:
        self.runtime = tempfile.mkdtemp(prefix="vg-bench-pulse-")
        os.environ["XDG_RUNTIME_DIR"] = self.runtime
        os.environ["PULSE_SERVER"] = f"unix:{self.runtime}/pulse/native"
        subprocess.run(
            ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
             "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=out"],
            check=True, capture_output=True,
        )
        for _ in range(100):
            if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        self.loud: list[tuple[float, bool]] = []  # (arrival time, was it sound)
        self._parec = subprocess.Popen(
            ["parec", "--device=out.monitor", "--format=s16le", f"--rate={RATE}", "--channels=1",
             "--latency-msec=20"],
            stdout=subprocess.PIPE,
        )
        threading.Thread(target=self._read, daemon=True).start()
        while not self.loud:  # the null sink wakes for a low-latency reader within 2 s
            time.sleep(0.05)

    def _read(self) -> None:
        import numpy as np

        while chunk := self._parec.stdout.read(CHUNK * 2):
            samples = np.frombuffer(chunk, dtype="<i2").astype(np.float64)
            self.loud.append((time.monotonic(), float(np.sqrt((samples**2).mean())) > LOUD))

    def first_sound_after(self, t: float, wait: float = 3.0) -> float | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            for at, loud in list(self.loud):
                if at > t and loud:
                    return at
            time.sleep(0.02)
        return None

    def silent_from(self, t: float) -> float:
        """When the sink went quiet for good after t (to the 20 ms chunk it arrived in)."""
        time.sleep(0.5)
        after = [(at, loud) for at, loud in list(self.loud) if at > t]
        quiet = [at for n, (at, _) in enumerate(after) if not any(lo for _, lo in after[n:])]
        return quiet[0] if quiet else time.monotonic()

    def close(self) -> None:
        self._parec.terminate()
        self._parec.wait(5)
        subprocess.run(["pulseaudio", "--kill"], capture_output=True)
        shutil.rmtree(self.runtime, ignore_errors=True)


def bench_synthesis(runs: int) -> list[float]:
    from voice_glimmers.voice.synthesis import Synthesizer

    synth = Synthesizer()
    for _ in range(3):
        synth(SENTENCE)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        synth(SENTENCE)
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_speaker(server: SoundServer, runs: int) -> dict[str, list[float]]:
    from voice_glimmers.voice.speakers import Pyttsx3Speaker

    events: list[dict] = []
    speaker = Pyttsx3Speaker(on_event=lambda e: events.append(e.to_dict()))
    speaker.say(SENTENCE)
    speaker.wait()
    out: dict[str, list[float]] = {"returns": [], "handed": [], "sound": [], "synth": []}
    for _ in range(runs):
        events.clear()
        while speaker.is_speaking():
            time.sleep(0.01)
        start = time.monotonic()
        speaker.say(SENTENCE)
        out["returns"].append((time.monotonic() - start) * 1000)
        speaker.wait()
        speaking = next(e for e in events if e["type"] == "speaking")
        spoken = next(e for e in events if e["type"] == "spoken")
        out["handed"].append((speaking["t"] - start) * 1000)
        out["synth"].append(spoken["synth_ms"])
        sound = server.first_sound_after(start)
        if sound is not None:
            out["sound"].append((sound - start) * 1000)
    # barge-in: stop() half a second into a long read-back
    out["stop_call"], out["stop_silent"] = [], []
    for _ in range(max(5, runs // 3)):
        events.clear()
        while speaker.is_speaking():
            time.sleep(0.01)
        speaker.say(LONG)
        while not any(e["type"] == "speaking" for e in events):
            time.sleep(0.005)
        time.sleep(0.5)
        stop_at = time.monotonic()
        speaker.stop()
        speaker.wait()
        spoken = next(e for e in events if e["type"] == "spoken")
        out["stop_call"].append((spoken["t"] - stop_at) * 1000)
        out["stop_silent"].append((server.silent_from(stop_at) - stop_at) * 1000)
    speaker.close()
    return out


def bench_baseline(server: SoundServer, runs: int) -> dict[str, list[float]]:
    if not shutil.which("aplay"):
        print("baseline skipped: pyttsx3's espeak driver plays with aplay (apt install alsa-utils)")
        return {"blocks": [], "sound": []}
    child = subprocess.Popen(
        [sys.executable, "-c", BASELINE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )
    out: dict[str, list[float]] = {"blocks": [], "sound": []}
    for n in range(runs + 1):
        child.stdin.write(SENTENCE + "\n")
        child.stdin.flush()
        start, end = (float(x) for x in child.stdout.readline().split())
        if n == 0:
            continue  # warm-up
        out["blocks"].append((end - start) * 1000)
        sound = server.first_sound_after(start)
        if sound is not None:
            out["sound"].append((sound - start) * 1000)
        time.sleep(0.3)
    child.stdin.close()
    child.wait(10)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    server = SoundServer()  # before sounddevice is imported: PortAudio lists devices once
    try:
        synthesis = bench_synthesis(runs)
        ours = bench_speaker(server, runs)
        base = bench_baseline(server, runs)
    finally:
        server.close()

    from voice_glimmers.voice.synthesis import synthesize

    seconds = synthesize(SENTENCE).seconds
    rows = [
        ("synthesis, pyttsx3 save_to_file (warm)", synthesis),
        ("voice-glimmers: say() returns", ours["returns"]),
        ("voice-glimmers: say() -> first block to server", ours["handed"]),
        ("  of which synthesis", ours["synth"]),
        ("voice-glimmers: say() -> sound at the sink", ours["sound"]),
        ("baseline pyttsx3 say()+runAndWait() blocks", base["blocks"]),
        ("baseline: say() -> sound at the sink", base["sound"]),
        ("voice-glimmers: stop() -> stream aborted", ours["stop_call"]),
        ("voice-glimmers: stop() -> silence at the sink", ours["stop_silent"]),
    ]
    print(f"\nspeech out: '{SENTENCE}' ({seconds:.2f} s of audio), {runs} runs, "
          f"PulseAudio null sink, Python {sys.version.split()[0]}")
    print(f"{'measure':<48} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, values in rows:
        if values:
            print(f"{name:<48} {len(values):>3} {statistics.median(values):>8.1f} "
                  f"{pct(values, 0.95):>8.1f} {max(values):>8.1f}")
        else:
            print(f"{name:<48} {0:>3} {'-':>8} {'-':>8} {'-':>8}")
    share = pct(ours["handed"], 0.95)
    print(f"\nloop budget: speech out uses {share:.0f} ms of the {BUDGET_MS:.0f} ms p95 "
          f"(Vosk final -> reply audio), {100 * share / BUDGET_MS:.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
