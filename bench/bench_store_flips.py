"""How often a database file with one flipped bit is accepted with changed content.

    .venv/bin/python bench/bench_store_flips.py [--flips N] [--seed N]

A database of 40 glimmers (spoken and typed, tagged, one deleted) is written by the
store, with yesterday's backup beside it. Then, `--flips` times, one random bit of
the file is flipped and the store opens it and lists everything. Each flip ends one
of four ways:

- accepted, changed: the store read it and the glimmers differ from what was saved
  (the harm a checksum is there to prevent);
- accepted, same: the store read the same glimmers (a flip in a name nobody reads);
- restored: the store set the file aside and brought back the backup;
- refused: the store said, in one line, that it cannot be read.

Target: no flip accepted with changed content.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from voice_glimmers.core.clock import PinnedClock
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.store.glimmer_store import GlimmerStore

NOW = datetime(2026, 11, 27, 20, 30, tzinfo=timezone.utc)
TEXTS = ("the smell of rain on the way home", "warm socks from the dryer",
         "my sister laughing on the phone", "the cat purring on my lap",
         "sun on my face at the bus stop", "fresh bread from the bakery")


def seed(folder: Path) -> tuple[Path, list[dict]]:
    """A database (and yesterday's backup of part of it); what `list all` shows of it."""
    db = folder / "glimmers.json"
    with GlimmerStore.open(db, clock=PinnedClock(NOW - timedelta(days=1))) as store:
        for n in range(20):
            store.add(f"{TEXTS[n % len(TEXTS)]} ({n})", at=NOW - timedelta(days=1, minutes=n))
    with GlimmerStore.open(db, clock=PinnedClock(NOW)) as store:  # today's backup holds those
        for n in range(20, 40):
            store.add(f"{TEXTS[n % len(TEXTS)]} ({n})", at=NOW - timedelta(minutes=n),
                      source="voice" if n % 2 else "text",
                      confidence=0.5 + n / 100 if n % 2 else None,
                      tags=("smell", "home") if n % 3 else ())
        store.delete(25, at=NOW)
        return db, shown(store)


def shown(store: GlimmerStore) -> list[dict]:
    return [{**g.to_dict(), "deleted": g.deleted_at} for g in store.all()]


def outcome(db: Path) -> str:
    try:
        store = GlimmerStore.open(db, clock=PinnedClock(NOW))
        try:
            glimmers = shown(store)
            restored = bool(store.notices)
        finally:
            store.close()
    except GlimmersError:
        return "refused"
    return "restored" if restored else glimmers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flips", type=int, default=200)
    parser.add_argument("--seed", type=int, default=13)
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    counts = {"accepted, changed": 0, "accepted, same": 0, "restored": 0, "refused": 0}
    with tempfile.TemporaryDirectory() as scratch:
        pristine = Path(scratch) / "pristine"
        pristine.mkdir()
        db, expected = seed(pristine)
        raw = db.read_bytes()
        for n in range(opts.flips):
            trial = Path(scratch) / f"trial-{n}"
            shutil.copytree(pristine, trial)
            flipped = bytearray(raw)
            bit = rng.randrange(len(raw) * 8)
            flipped[bit // 8] ^= 1 << (bit % 8)
            (trial / db.name).write_bytes(bytes(flipped))
            found = outcome(trial / db.name)
            if isinstance(found, str):
                counts[found] += 1
            else:
                counts["accepted, same" if found == expected else "accepted, changed"] += 1
            shutil.rmtree(trial)
    print(f"{opts.flips} single-bit flips of a {len(raw):,}-byte database (seed {opts.seed}):")
    for name, count in counts.items():
        print(f"  {name:<18} {count:>4}")
    verdict = "met" if counts["accepted, changed"] == 0 else "MISSED"
    print(f"target: none accepted with changed content: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
