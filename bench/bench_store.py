"""Glimmer store speed at 100, 1,000 and 10,000 glimmers, against TinyDB's default JSONStorage.

    .venv/bin/python bench/bench_store.py [--adds N] [--reads N] [--runs N]

Both stores hold the same glimmers (three a day, ending today) in a file on the
same disk. Measured in this process: add latency (p50, p99) and `list today`
(the glimmers of one day). For our store, `list today` is timed three ways:
warm (file unchanged since our last read), after another writer changed the
file (so it is parsed again), and open + list + close (what one command does).
The baseline's JSONStorage reads and parses the whole file on every query.
Then, as separate processes: `voice-glimmers list today` at 10,000 glimmers and
`voice-glimmers --help`, against a bare `python -c pass`.

Targets: add p99 <= 25 ms and list today <= 15 ms at 10,000; --help <= 150 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from tinydb import Query, TinyDB
from tinydb.table import Document

from voice_glimmers.core.clock import PinnedClock
from voice_glimmers.store.glimmer_store import Glimmer, GlimmerStore

NOW = datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 27)
SIZES = (100, 1_000, 10_000)
TEXTS = ("the smell of rain on the way home", "warm socks from the dryer",
         "my sister laughing on the phone", "the cat purring on my lap",
         "sun on my face at the bus stop", "fresh bread from the bakery")
TARGET_ADD_P99_MS, TARGET_LIST_MS, TARGET_HELP_MS = 25.0, 15.0, 150.0


def history(count: int) -> list[Glimmer]:
    """`count` glimmers, three a day, the last three today."""
    out = []
    for n in range(count):
        moment = NOW - timedelta(days=(count - 1 - n) // 3, hours=3 * ((count - 1 - n) % 3))
        out.append(Glimmer(id=n + 1, text=f"{TEXTS[n % len(TEXTS)]} ({n})", created_at=moment,
                           day=(moment - timedelta(hours=4)).date(), source="voice",
                           confidence=0.9, tags=("smell", "home")))
    return out


def timed(action: Callable[[], object], times: int) -> list[float]:
    """Milliseconds per call."""
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def bench_ours(folder: Path, glimmers: list[Glimmer], adds: int, reads: int) -> dict[str, float]:
    db = folder / "ours.json"
    clock = PinnedClock(NOW)
    with GlimmerStore.open(db, clock=clock) as store:
        store.import_glimmers(glimmers)
    store = GlimmerStore.open(db, clock=clock)
    other = GlimmerStore.open(db, clock=clock)
    backup = timed(lambda: store.add("the first change of the day", at=NOW), 1)[0]
    for stale in folder.glob("ours.json.backup-*"):
        stale.unlink()
    first_of_day = timed(lambda: store.add("first change, with the daily backup", at=NOW), 1)[0]
    add = timed(lambda: store.add("a glimmer being timed", at=NOW), adds)
    store.between(TODAY, TODAY)
    warm = timed(lambda: store.between(TODAY, TODAY), reads)

    def after_other_writer() -> float:
        other.add("from another process", at=NOW)
        start = time.perf_counter()
        store.between(TODAY, TODAY)
        return (time.perf_counter() - start) * 1000

    changed = [after_other_writer() for _ in range(max(5, reads // 4))]

    def open_and_list() -> None:
        with GlimmerStore.open(db, clock=clock) as fresh:
            fresh.between(TODAY, TODAY)

    opened = timed(open_and_list, max(5, reads // 4))
    store.close()
    other.close()
    del backup
    return {"add50": p50(add), "add99": p99(add), "first": first_of_day, "warm": p50(warm),
            "changed": p50(changed), "open": p50(opened), "size": db.stat().st_size}


def bench_baseline(
    folder: Path, glimmers: list[Glimmer], adds: int, reads: int
) -> dict[str, float]:
    db = folder / "baseline.json"
    with TinyDB(db) as seed:
        seed.table("glimmers").insert_multiple(
            Document(g.to_record(), doc_id=g.id) for g in glimmers
        )
    tinydb = TinyDB(db)
    table = tinydb.table("glimmers", cache_size=0)
    record = Glimmer(id=0, text="a glimmer being timed", created_at=NOW, day=TODAY).to_record()
    add = timed(lambda: table.insert(dict(record)), adds)
    day = Query().day == TODAY.isoformat()
    listed = timed(lambda: table.search(day), reads)

    def open_and_list() -> None:
        with TinyDB(db) as fresh:
            fresh.table("glimmers").search(day)

    opened = timed(open_and_list, max(5, reads // 4))
    tinydb.close()
    return {"add50": p50(add), "add99": p99(add), "first": float("nan"), "warm": p50(listed),
            "changed": p50(listed), "open": p50(opened), "size": db.stat().st_size}


def process_ms(args: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adds", type=int, default=200, help="timed adds per size")
    parser.add_argument("--reads", type=int, default=100, help="timed 'list today' per size")
    parser.add_argument("--runs", type=int, default=11, help="runs of each process timing")
    opts = parser.parse_args()
    print(f"voice-glimmers store benchmark, {datetime.now():%Y-%m-%d %H:%M}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{opts.adds} adds and {opts.reads} list-today reads per size; times in ms\n")
    header = (f"{'glimmers':>8}  {'storage':<22} {'file KB':>7} {'add p50':>7} {'add p99':>7} "
              f"{'1st add/day':>11} {'list warm':>9} {'list chg':>8} {'open+list':>9}")
    print(header)
    print("-" * len(header))
    results = {}
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as scratch:
        for size in SIZES:
            glimmers = history(size)
            for name, bench in (("TinyDB JSONStorage", bench_baseline),
                                ("voice-glimmers atomic", bench_ours)):
                folder = Path(scratch) / f"{name.split()[0]}-{size}"
                folder.mkdir()
                r = bench(folder, glimmers, opts.adds, opts.reads)
                results[name, size] = r
                print(f"{size:>8,}  {name:<22} {r['size'] / 1024:>7.0f} {r['add50']:>7.1f} "
                      f"{r['add99']:>7.1f} {r['first']:>11.1f} {r['warm']:>9.2f} "
                      f"{r['changed']:>8.2f} {r['open']:>9.2f}")
        big = Path(scratch) / "voice-glimmers-10000" / "ours.json"
        venv_bin = Path(sys.executable).parent
        script = venv_bin / "voice-glimmers"
        command = [str(script)] if script.exists() else [sys.executable, "-m", "voice_glimmers"]
        bare = process_ms([sys.executable, "-c", "pass"], opts.runs)
        cold_list = process_ms(
            [*command, "--db", str(big), "--now", NOW.isoformat(), "list", "today"], opts.runs
        )
        help_ms = process_ms([*command, "--help"], opts.runs)
    ours, base = results["voice-glimmers atomic", 10_000], results["TinyDB JSONStorage", 10_000]
    print(f"\nprocesses (median of {opts.runs}):")
    print(f"  python -c pass (baseline)              {bare:7.1f}")
    print(f"  voice-glimmers --help                  {help_ms:7.1f}")
    print(f"  voice-glimmers list today (10,000)     {cold_list:7.1f}")
    print("\ntargets at 10,000 glimmers:")
    checks = [
        ("add p99 <= 25 ms", ours["add99"], TARGET_ADD_P99_MS, base["add99"]),
        ("list today <= 15 ms (after another writer)", ours["changed"], TARGET_LIST_MS,
         base["changed"]),
        ("list today <= 15 ms (open + list)", ours["open"], TARGET_LIST_MS, base["open"]),
        ("--help <= 150 ms", help_ms, TARGET_HELP_MS, bare),
    ]
    for label, value, target, baseline in checks:
        verdict = "met" if value <= target else "MISSED"
        print(f"  {label:<44} {value:7.1f} ms  {verdict:<6} (baseline {baseline:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
