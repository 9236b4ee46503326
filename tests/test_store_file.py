"""The database file itself: permissions, schema version, backups, quarantine, a full disk."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_glimmers.core.clock import PinnedClock
from voice_glimmers.core.errors import StoreCorrupt, StoreError, StoreTooNew
from voice_glimmers.store.dbfile import AtomicJSONStorage, backups_of
from voice_glimmers.store.glimmer_store import GlimmerStore

UTC = timezone.utc
EVENING = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def on_day(day: date) -> PinnedClock:
    return PinnedClock(datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20))


def fill(db: Path, days: int, per_day: int = 2, first: date = date(2026, 11, 1)) -> None:
    """Add glimmers as if on `days` successive days (each day's first change makes a backup)."""
    for n in range(days):
        clock = on_day(first + timedelta(days=n))
        with GlimmerStore.open(db, clock=clock) as store:
            for k in range(per_day):
                store.add(f"day {n} glimmer {k}", at=clock())


def test_new_folder_is_private_and_the_file_is_0600(tmp_path):
    db = tmp_path / "new" / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("the smell of rain", at=EVENING)
    assert mode(db.parent) == 0o700
    assert mode(db) == 0o600
    assert mode(Path(f"{db}.lock")) == 0o600
    for _, backup in backups_of(db):
        assert mode(backup) == 0o600


def test_a_file_others_could_read_is_made_private(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    db.chmod(0o644)
    GlimmerStore.open(db).close()
    assert mode(db) == 0o600


def test_the_file_is_plain_json_with_a_schema_version(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("sun on my face", at=EVENING, tags=("light",))
    data = json.loads(db.read_text(encoding="utf-8"))
    assert data["_meta"]["1"]["schema"] == 1
    assert data["glimmers"]["1"]["text"] == "sun on my face"
    assert data["glimmers"]["1"]["created_at"] == "2026-11-27T20:30:00+00:00"


def test_two_stores_on_one_file_see_each_others_writes(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as one, GlimmerStore.open(db) as two:
        a = one.add("from the loop", at=EVENING)
        assert two.all() == [a]
        b = two.add("from another terminal", at=EVENING)
        c = one.add("from the loop again", at=EVENING)
        assert {a.id, b.id, c.id} == {1, 2, 3}
        assert one.all() == two.all() == [a, b, c]


def test_a_record_that_cannot_be_encoded_is_not_kept_in_the_cache(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    storage = AtomicJSONStorage(db)
    data = storage.read()
    data["glimmers"]["2"] = {"text": object()}  # what TinyDB would do before writing
    with pytest.raises(TypeError):
        storage.write(data)
    assert set(storage.read()["glimmers"]) == {"1"}
    storage.close()

def test_a_newer_schema_is_refused_and_left_untouched(tmp_path):
    db = tmp_path / "glimmers.json"
    db.write_text('{"_meta": {"1": {"schema": 99}}, "glimmers": {}, "future": {"1": {}}}')
    before = db.read_bytes(), db.stat().st_mtime_ns
    with pytest.raises(StoreTooNew, match="newer"):
        GlimmerStore.open(db)
    assert (db.read_bytes(), db.stat().st_mtime_ns) == before
    assert backups_of(db) == []


def test_a_damaged_file_is_set_aside_and_the_newest_backup_restored(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=3)
    damaged = b'{"glimmers": {"1": {"text": "half a wri'
    db.write_bytes(damaged)
    store = GlimmerStore.open(db, clock=on_day(date(2026, 11, 4)))
    asides = list(tmp_path.glob("glimmers.json.corrupt-*"))
    assert len(asides) == 1
    assert asides[0].read_bytes() == damaged
    assert len(store.notices) == 1
    assert str(asides[0]) in store.notices[0]
    assert "Tuesday 3 November 2026" in store.notices[0]
    # the backup of day 3 holds what was there before day 3's first change
    assert [g.text for g in store.all()] == [f"day {n} glimmer {k}" for n in (0, 1) for k in (0, 1)]
    store.add("life goes on", at=EVENING)
    store.close()


def test_a_damaged_backup_is_passed_over_for_an_older_good_one(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=3)
    newest = backups_of(db)[0][1]
    newest.write_text("not json")
    db.write_text("[1, 2")
    with GlimmerStore.open(db) as store:
        assert "Monday 2 November 2026" in store.notices[0]
        assert [g.text for g in store.all()] == ["day 0 glimmer 0", "day 0 glimmer 1"]


def test_with_no_good_backup_the_damaged_file_stays_exactly_where_it_is(tmp_path):
    db = tmp_path / "glimmers.json"
    db.write_bytes(b"\x00\x00garbage")
    with pytest.raises(StoreCorrupt, match=str(db)):
        GlimmerStore.open(db)
    assert db.read_bytes() == b"\x00\x00garbage"
    assert list(tmp_path.glob("*.corrupt-*")) == []


def test_an_empty_file_with_backups_is_restored_and_without_is_a_new_database(tmp_path):
    fresh = tmp_path / "fresh" / "glimmers.json"
    fresh.parent.mkdir()
    fresh.touch()
    with GlimmerStore.open(fresh) as store:
        assert store.notices == [] and store.all() == []
    db = tmp_path / "glimmers.json"
    fill(db, days=2)
    db.write_bytes(b"")
    with GlimmerStore.open(db) as store:
        assert len(store.notices) == 1
        assert len(store.all()) == 2


def test_quarantine_never_overwrites_an_earlier_one(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=2)
    clock = on_day(date(2026, 11, 20))
    for n in range(2):
        db.write_text(f"broken {n}")
        GlimmerStore.open(db, clock=clock).close()
    asides = sorted(p.read_text() for p in tmp_path.glob("glimmers.json.corrupt-*"))
    assert asides == ["broken 0", "broken 1"]


def test_only_the_last_seven_daily_backups_are_kept(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=10, per_day=1)
    kept = [day for day, _ in backups_of(db)]
    assert kept == [date(2026, 11, 10) - timedelta(days=n) for n in range(7)]


def test_a_backup_dated_in_the_future_is_never_restored_nor_counted(tmp_path):
    db = tmp_path / "glimmers.json"
    fill(db, days=9, per_day=1)
    future = db.with_name(f"{db.name}.backup-9999-12-31")
    future.write_text('{"_meta": {"1": {"schema": 1}}, "glimmers": {}}')
    fill(db, days=1, per_day=1, first=date(2026, 11, 10))
    kept = [day for day, _ in backups_of(db) if day.year < 9999]
    assert kept == [date(2026, 11, 10) - timedelta(days=n) for n in range(7)]
    assert future.exists()  # not a real day's copy, so not one of the seven either
    db.write_text("{ oh no")
    with GlimmerStore.open(db, clock=on_day(date(2026, 11, 11))) as store:
        assert "Tuesday 10 November 2026" in store.notices[0]
        assert len(store.all()) == 9

def test_unfinished_writes_are_cleared_before_the_first_change(tmp_path):
    db = tmp_path / "glimmers.json"
    GlimmerStore.open(db).close()
    leftover = tmp_path / ".glimmers.json.abc123.tmp"
    leftover.write_text("half")
    with GlimmerStore.open(db) as store:
        assert leftover.exists()  # a reader never touches what a writer may be writing
        store.add("tea", at=EVENING)
    assert not leftover.exists()


def test_a_readable_file_opens_without_writing_anything(tmp_path):
    db = tmp_path / "glimmers.json"
    with GlimmerStore.open(db) as store:
        store.add("tea", at=EVENING)
    before = sorted(tmp_path.iterdir()), db.stat().st_mtime_ns
    with GlimmerStore.open(db) as store:
        assert len(store.all()) == 1
    assert (sorted(tmp_path.iterdir()), db.stat().st_mtime_ns) == before


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="not a folder"):
        GlimmerStore.open(blocker / "glimmers.json")


# --- a full disk ---------------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB tmpfs (needs root and mount rights; skipped otherwise)."""
    where = tmp_path / "tiny"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(where)],
        capture_output=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield where
    subprocess.run(["umount", "--lazy", str(where)], check=True)


def fill_disk(folder: Path) -> Path:
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_leaves_the_old_file_intact(tiny_disk):
    db = tiny_disk / "glimmers.json"
    with GlimmerStore.open(db) as store:
        kept = [store.add(f"kept {n}", at=EVENING) for n in range(20)]
        before = db.read_bytes()
        filler = fill_disk(tiny_disk)
        with pytest.raises(StoreError, match="disk is full"):
            store.add("a glimmer with no room " * 50, at=EVENING)
        assert db.read_bytes() == before
        assert store.all() == kept
        assert list(tiny_disk.glob(".*.tmp")) == []
        filler.unlink()
        saved = store.add("room again", at=EVENING)
        assert store.all() == [*kept, saved]
    with GlimmerStore.open(db) as again:
        assert again.all() == [*kept, saved]
