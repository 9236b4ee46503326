"""The next glimmer's id: counted once per file read, right whatever changed the file."""

from __future__ import annotations

import errno
from datetime import datetime, timezone

import pytest

from voice_glimmers.core.errors import StoreError
from voice_glimmers.store import dbfile, glimmer_store
from voice_glimmers.store.glimmer_store import Glimmer, GlimmerStore

MOMENT = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)


@pytest.fixture
def counted(monkeypatch):
    """How often the store reads every key to find the next id (the real next_id)."""
    calls = []

    def next_id(keys):
        calls.append(1)
        return dbfile.next_id(keys)

    monkeypatch.setattr(glimmer_store, "next_id", next_id)
    return calls


def test_glimmers_added_one_after_another_count_the_ids_once(tmp_path, counted):
    with GlimmerStore.open(tmp_path / "glimmers.json") as store:
        ids = [store.add(f"warm tea {n}", at=MOMENT).id for n in range(5)]
    assert ids == [1, 2, 3, 4, 5]
    assert len(counted) == 1


def test_a_glimmer_added_by_another_process_is_counted_again(tmp_path, counted):
    path = tmp_path / "glimmers.json"
    with GlimmerStore.open(path) as here, GlimmerStore.open(path) as there:
        assert here.add("a robin", at=MOMENT).id == 1
        assert there.add("the cat", at=MOMENT).id == 2  # the listening loop, say
        assert here.add("soft music", at=MOMENT).id == 3
        assert there.add("fresh bread", at=MOMENT).id == 4
        assert [g.id for g in here.all()] == [1, 2, 3, 4]
    assert len(counted) == 4  # each store read a changed file each time


def test_imported_ids_and_deleted_glimmers_are_never_given_again(tmp_path):
    with GlimmerStore.open(tmp_path / "glimmers.json") as store:
        assert store.add("a robin", at=MOMENT).id == 1
        store.import_glimmers([Glimmer(id=40, text="the first snow", created_at=MOMENT,
                                       day=MOMENT.date())])
        assert store.add("the cat", at=MOMENT).id == 41
        store.delete(41, at=MOMENT)
        assert store.add("warm socks", at=MOMENT).id == 42


def test_after_a_failed_save_the_ids_follow_what_is_on_disk(tmp_path, monkeypatch):
    path = tmp_path / "glimmers.json"
    with GlimmerStore.open(path) as store:
        store.add("a robin", at=MOMENT)
        real = dbfile.write_atomically

        def full(target, payload):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(dbfile, "write_atomically", full)
        with pytest.raises(StoreError):
            store.add("the cat", at=MOMENT)
        monkeypatch.setattr(dbfile, "write_atomically", real)
        assert store.get(2) is None  # never kept, so its id is free
        assert store.add("soft music", at=MOMENT).id == 2
    with GlimmerStore.open(path) as again:
        assert [(g.id, g.text) for g in again.all()] == [(1, "a robin"), (2, "soft music")]


def test_the_in_memory_store_counts_alike():
    with GlimmerStore.in_memory() as store:
        assert [store.add(f"rain {n}", at=MOMENT).id for n in range(3)] == [1, 2, 3]
        store.import_glimmers([Glimmer(id=9, text="snow", created_at=MOMENT, day=MOMENT.date())])
        assert store.add("sun", at=MOMENT).id == 10
