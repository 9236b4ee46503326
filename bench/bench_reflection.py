"""The evening reflection as it sounds: `reflect --to-wav` through the real command line
for days of 0, 2, 10 and 22 glimmers, measured in the WAV with sox (converted to 8 kHz).

For each day: how long the first part lasts (the whole reflection when a day is read in
one go), how many glimmers it reads before it stops or asks, how many got an invitation,
the silences after each invitation and between the other parts. Run it against another
checkout (the "before") with PYTHONPATH=that/checkout.

    .venv/bin/python bench/bench_reflection.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

NOW = "2026-11-27T20:30:00+00:00"
RATE = 8000
QUIET = 200
SHORTEST = 0.3
GLIMMERS = [
    "the cat purring on my lap", "tea with a friend", "rain on the window",
    "a kind message from my sister", "the smell of fresh bread", "sun on the kitchen floor",
    "a blackbird singing", "warm socks from the dryer", "a good laugh at lunch",
    "the moon over the roofs", "soup on a cold day",
]


def gaps(path: Path) -> tuple[float, list[float]]:
    raw = subprocess.run(["sox", str(path), "-t", "raw", "-e", "signed-integer", "-b", "16",
                          "-c", "1", "-r", str(RATE), "-"], check=True, capture_output=True
                         ).stdout
    samples = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    loud = np.flatnonzero(np.abs(samples) >= QUIET)
    between = np.diff(loud) / RATE
    return len(samples) / RATE, [float(s) for s in between if s >= SHORTEST]


def one_day(count: int, folder: Path) -> dict:
    db = folder / f"g{count}.json"
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config")}
    base = [sys.executable, "-m", "voice_glimmers", "--db", str(db)]
    texts = [GLIMMERS[i % len(GLIMMERS)] + ("" if i < len(GLIMMERS) else " again")
             for i in range(count)]
    for i, text in enumerate(texts):
        subprocess.run([*base, "--now", NOW, "add", text, "--at",
                        f"2026-11-27T{8 + i // 3:02d}:{(i % 3) * 20:02d}"],
                       check=True, capture_output=True, env=env)
    wav = folder / f"r{count}.wav"
    done = subprocess.run([*base, "--now", NOW, "reflect", "--to-wav", str(wav)],
                          check=True, capture_output=True, text=True, env=env)
    lines = done.stdout.splitlines()
    read = sum(any(line.lower().startswith(t.lower()) for t in texts) for line in lines)
    seconds, found = gaps(wav)
    return {"count": count, "seconds": seconds, "read": read, "gaps": found,
            "lines": len(lines)}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [one_day(n, Path(tmp)) for n in (0, 2, 10, 22)]
    print("| glimmers today | first part lasts | glimmers read in it | longest silence | "
          "silences >= 2 s | median of the others |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        long_ones = [g for g in row["gaps"] if g >= 2.0]
        others = [g for g in row["gaps"] if g < 2.0]
        print(f"| {row['count']} | {row['seconds']:.1f} s | {row['read']} | "
              f"{max(row['gaps']):.2f} s | {len(long_ones)} | "
              f"{statistics.median(others):.2f} s |")


if __name__ == "__main__":
    main()
