"""Real processes against one database file: killed mid-write, and writing at the same time."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from voice_glimmers.store.dbfile import parse_database
from voice_glimmers.store.glimmer_store import Glimmer, GlimmerStore

UTC = timezone.utc

# A child that adds glimmers in a loop and prints each id once add() has returned.
ADDER = """
import sys
from datetime import datetime, timezone
from voice_glimmers.store.glimmer_store import GlimmerStore

db, label, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = GlimmerStore.open(db)
print("ready", flush=True)
sys.stdin.readline()
for n in range(count):
    glimmer = store.add(f"{label} {n}", at=datetime.now(timezone.utc))
    print(glimmer.id, glimmer.text, sep="\\t", flush=True)
store.close()
"""


def start_adder(db: Path, label: str, count: int) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", ADDER, str(db), label, str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    return child


def returned_adds(output: str) -> dict[int, str]:
    """id -> text for every complete line the child printed."""
    saved = {}
    for line in output.splitlines(keepends=True):
        if line.endswith("\n") and "\t" in line:
            glimmer_id, text = line.rstrip("\n").split("\t")
            saved[int(glimmer_id)] = text
    return saved


def test_sigkill_at_random_moments_never_loses_a_returned_add(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        # a few thousand glimmers, so each write takes long enough to be interrupted
        store.import_glimmers(
            Glimmer(id=n, text=f"earlier {n}", created_at=datetime(2025, 1, 1, tzinfo=UTC),
                    day=datetime(2025, 1, 1).date())
            for n in range(1, 3001)
        )
    rng = random.Random(20261127)
    promised: dict[int, str] = {}
    kills = 0
    for run in range(32):
        child = start_adder(db, f"run {run}", 100_000)
        child.stdin.write("go\n")
        child.stdin.flush()
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        output, _ = child.communicate()
        kills += child.returncode == -signal.SIGKILL
        promised.update(returned_adds(output))
        data = parse_database(db.read_bytes(), db)  # parses: never half-written
        stored = data["glimmers"]
        missing = {i: t for i, t in promised.items() if stored.get(str(i), {}).get("text") != t}
        assert not missing, f"after kill {run}, lost {missing}"
    assert kills >= 30
    assert len(promised) > 30
    with GlimmerStore.open(db) as store:
        assert store.notices == []
        assert len(store.all()) >= 3000 + len(promised)
        store.add("after the storm", at=datetime.now(UTC))
    assert list(tmp_path.glob(".*.tmp")) == []


def test_two_processes_adding_two_hundred_each_keep_all_four_hundred(tmp_path):
    db = tmp_path / "glimmers.json"
    GlimmerStore.open(db).close()
    children = [start_adder(db, label, 200) for label in ("loop", "terminal")]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert [child.returncode for child in children] == [0, 0]
    printed = [returned_adds(out) for out in outputs]
    assert len(printed[0]) == len(printed[1]) == 200
    assert not set(printed[0]) & set(printed[1])
    with GlimmerStore.open(db) as store:
        texts = sorted(g.text for g in store.all())
    expected = sorted(f"{label} {n}" for label in ("loop", "terminal") for n in range(200))
    assert texts == expected
    assert json.loads(db.read_text(encoding="utf-8"))["_meta"]["1"]["schema"] == 1
    assert not any(os.path.basename(p).endswith(".tmp") for p in os.listdir(tmp_path))
