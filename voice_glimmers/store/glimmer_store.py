"""The store that keeps every glimmer: TinyDB's file format on an atomic, locked, backed-up file."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from tinydb.storages import MemoryStorage, Storage

from voice_glimmers.core.clock import Clock, glimmer_day, system_clock
from voice_glimmers.core.errors import Changed, NotFound, StoreCorrupt, StoreError
from voice_glimmers.core.files import NotAFile, file_status, make_folder
from voice_glimmers.core.glimmer import (
    MAX_TEXT_LENGTH,
    SOURCES,
    Glimmer,
    Vocabulary,
    search_alternatives,
    search_words,
    validate_text,
)
from voice_glimmers.store.dbfile import (
    META_TABLE,
    SCHEMA_VERSION,
    TABLE,
    AtomicJSONStorage,
    DamagedRecord,
    check_database_path,
    damaged_notice,
    describe_os_error,
    ensure_backup,
    glimmer_of,
    is_id,
    next_id,
    privacy_notices,
    recover,
    remove_leftover_temps,
)

__all__ = ["MAX_TEXT_LENGTH", "SOURCES", "Glimmer", "GlimmerStore", "validate_text"]

_LOGGER = logging.getLogger(__name__)

LOCK_TIMEOUT_SECONDS = 15.0
T = TypeVar("T")
Records = dict[str, dict[str, Any]]


class GlimmerStore:
    """Every glimmer ever saved, on a file that survives crashes, full disks and two writers.

    Each change happens inside a cross-process file lock (`<db>.lock`), re-reads
    the file if another process changed it, and returns only once the new file
    is on disk. A file found damaged at any read, even one damaged while a long
    `listen` runs, goes through the same set-aside-and-restore as at the start.
    A damaged record is left out of what is read, and named once in `notices`.
    `in_memory()` behaves the same without a file, for tests.

    TinyDB is the file format, not the query engine: its Table would rewrite every
    key through int() (so "007" and "7" become one record, and "abc" stops every
    save), so records are read and changed here, as the plain dicts they are.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        day_start_hour: int = 4,
        path: Path | None = None,
        clock: Clock = system_clock,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.notices: list[str] = []  # what the person should hear about their file
        self.day_start_hour = day_start_hour
        self.path = path
        self._storage = storage
        self._lock: Any = None  # a filelock.FileLock, made on first use
        self._tidied = False
        self._clock = clock
        self._on_notice = on_notice
        self._damaged_told: set[str] = set()
        self._guard = threading.RLock()
        # Each record as read, beside what it says (a Glimmer, or why it is damaged) and,
        # once asked, its search words: a record is never changed in place (a change is a
        # new dict), so while the same dict is in the file, what was read from it holds.
        self._read: dict[str, _Read] = {}
        self._vocabulary: tuple[int | None, Vocabulary] = (None, Vocabulary())
        # The next id, counted once per set of records read (see `_next_id`).
        self._next: tuple[Records, int, int] | None = None
        # Every glimmer, as all() last found them in these records after so many changes.
        self._changes = 0
        self._all: tuple[Records, int, tuple[Glimmer, ...]] | None = None

    @classmethod
    def open(
        cls, path: Path, *, day_start_hour: int = 4, clock: Clock | None = None,
        create: bool = True, on_notice: Callable[[str], None] | None = None,
    ) -> GlimmerStore:
        """Open (or create) the database at `path`, restoring a backup if it is damaged.

        A readable file is opened without taking the lock or writing anything, so
        `list` works beside a busy listening loop. With `create=False` (the commands
        that only read) a missing database is simply empty: no folder, file or lock
        is made. A path holding something other than a regular file (a device, a
        pipe, a folder, a link) is refused. `clock` names backups and set-aside
        files (default: the system clock); each notice also goes to `on_notice`.
        """
        path = Path(path).expanduser().absolute()
        check_database_path(path)
        if create:
            try:
                make_folder(path.parent)
            except FileExistsError:
                raise StoreError(f"{path.parent} is a file, not a folder") from None
            except OSError as err:
                raise StoreError(
                    f"Cannot make the folder {path.parent}: {describe_os_error(err)}"
                ) from None
        store = cls(AtomicJSONStorage(path), day_start_hour=day_start_hour, path=path,
                    clock=clock or system_clock, on_notice=on_notice)
        try:
            store._check_file(create)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def in_memory(cls, *, day_start_hour: int = 4) -> GlimmerStore:
        """A store that lives only in memory (TinyDB's MemoryStorage); for tests and demos."""
        store = cls(MemoryStorage(), day_start_hour=day_start_hour)
        store._start()
        return store

    def __enter__(self) -> GlimmerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._guard:
            self._storage.close()

    # --- reading ------------------------------------------------------------

    @property
    def damaged(self) -> frozenset[str]:
        """The keys of the damaged records found so far (each named once in `notices`)."""
        return frozenset(self._damaged_told)

    def day_of(self, moment: datetime) -> date:
        """The glimmer day of a moment, with this store's day start hour."""
        return glimmer_day(moment, self.day_start_hour)

    def get(self, glimmer_id: int) -> Glimmer | None:
        """The glimmer with this id, or None if there is none (or it was deleted)."""
        key = str(glimmer_id)
        doc = self._records().get(key)
        if doc is None or doc.get("deleted_at"):
            return None
        found = self._glimmers([(key, doc)])
        return found[0] if found else None

    def between(self, start: date, end: date) -> list[Glimmer]:
        """Glimmers of the glimmer days start..end (inclusive), oldest first."""
        first, last = start.isoformat(), end.isoformat()
        picked = []
        for key, doc in self._records().items():
            day: Any = doc.get("day")
            try:
                if not first <= day <= last:
                    continue
            except TypeError:  # a day that is no text cannot be placed: read, to be named
                pass
            if not doc.get("deleted_at"):
                picked.append((key, doc))
        return self._sorted(picked)

    def all(self) -> list[Glimmer]:
        """Every glimmer not deleted, oldest first.

        Kept while the records read are the same dict and nothing was changed here since:
        a file changed by another process is read as a new dict. At 10,000 glimmers,
        reading them all again took 15 to 20 ms of every "I need a glimmer"."""
        records = self._records()
        kept = self._all
        if kept is not None and kept[0] is records and kept[1] == self._changes:
            return list(kept[2])
        found = self._sorted(
            (key, doc) for key, doc in records.items() if not doc.get("deleted_at"))
        self._all = (records, self._changes, tuple(found))
        return found

    def last(self) -> Glimmer | None:
        """The glimmer saved most recently (the highest id) that is not deleted."""
        records = self._records()
        live = sorted((int(key) for key, doc in records.items()
                       if is_id(key) and not doc.get("deleted_at")), reverse=True)
        for glimmer_id in live:
            found = self.get(glimmer_id)
            if found is not None:
                return found
        return None

    def search(self, query: str) -> list[Glimmer]:
        """Glimmers about what the query names, newest first: holding every word of one
        of its parts ("the dog and the cat": the dog, or the cat), in any of its forms
        (walk: walked; bird: blackbird), in the words or the tags.

        Case, plural endings and little words ("my", "the") do not matter.
        """
        parts = search_alternatives(query)
        if not parts:
            return []
        records = self._records()
        vocabulary = self._vocabulary_of(records)
        # each part as the sets of words that may stand for each of its words
        wanted = [[vocabulary.forms(word) for word in part] for part in parts]
        # a glimmer holding none of these words is no part's (most of them, at once)
        any_word = frozenset().union(*(forms for part in wanted for forms in part))
        picked = []
        for key, doc in records.items():
            seen = self._read_of(key, doc)
            words = seen.words()
            if any_word.isdisjoint(words) or doc.get("deleted_at"):
                continue
            if any(all(not forms.isdisjoint(words) for forms in part) for part in wanted):
                picked.append((key, doc))
        return self._sorted(picked)[::-1]

    def _vocabulary_of(self, records: Records) -> Vocabulary:
        """Every word the glimmers hold (for word forms): made once for the records read,
        and told of the words each save here brings (`_heard_words`)."""
        if self._vocabulary[0] != id(records):
            self._vocabulary = (id(records), Vocabulary(
                word for key, doc in records.items() for word in self._read_of(key, doc).words()))
        return self._vocabulary[1]

    def _heard_words(self, glimmer: Glimmer) -> None:
        """A save here: its words join the vocabulary (a deleted glimmer's stay in it;
        words that match nothing cost nothing)."""
        self._vocabulary[1].add(search_words(" ".join((glimmer.text, *glimmer.tags))))

    # --- changing -----------------------------------------------------------

    def add(
        self,
        text: str,
        *,
        at: datetime,
        source: str = "text",
        confidence: float | None = None,
        tags: tuple[str, ...] = (),
    ) -> Glimmer:
        """Save a glimmer; returns only once it is safely on disk."""
        text = validate_text(text)
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        if confidence is not None and not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
        at = at if at.tzinfo is not None else at.astimezone()

        def insert(records: Records) -> Glimmer:
            glimmer = Glimmer(
                id=self._next_id(records), text=text, created_at=at, day=self.day_of(at),
                source=source, confidence=confidence, tags=tuple(tags),
            )
            records[str(glimmer.id)] = glimmer.to_record()
            self._next = (records, len(records), glimmer.id + 1)
            return glimmer

        glimmer = self._change(insert)
        self._heard_words(glimmer)
        _LOGGER.debug("saved glimmer %d", glimmer.id)
        return glimmer

    def delete(self, glimmer_id: int, *, at: datetime) -> Glimmer:
        """Mark a glimmer deleted (undo brings it back); NotFound if there is no such glimmer."""
        stamp = at if at.tzinfo is not None else at.astimezone()

        def mark(records: Records) -> Glimmer:
            found = self.get(glimmer_id)
            if found is None:
                raise NotFound(f"There is no glimmer with id {glimmer_id}")
            key = str(found.id)
            records[key] = {**records[key], "deleted_at": stamp.isoformat()}
            return replace(found, deleted_at=stamp)

        return self._change(mark)

    def change(self, glimmer_id: int, *, text: str | None = None,
               tags: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None,
               expect: str | None = None) -> Glimmer:
        """New words or tags for a glimmer (its moment stays); returns only once they are
        safely on disk. `tags` makes the new tags from the ones it has, under the lock, so
        a tag given meanwhile (another room, another process) is not lost. `expect`: the
        words it must still have (else Changed: it was changed since they were read).
        NotFound if there is no such glimmer."""
        text = None if text is None else validate_text(text)

        def rewrite(records: Records) -> Glimmer:
            found = self.get(glimmer_id)
            if found is None:
                raise NotFound(f"There is no glimmer with id {glimmer_id}")
            if expect is not None and found.text != expect:
                raise Changed(f"Glimmer {glimmer_id} was changed meanwhile")
            changed = replace(found, text=found.text if text is None else text,
                              tags=found.tags if tags is None else tuple(tags(found.tags)))
            records[str(found.id)] = {**records[str(found.id)], **changed.to_record()}
            return changed

        changed = self._change(rewrite)
        self._heard_words(changed)
        return changed

    def undo(self, glimmer_id: int | None = None) -> Glimmer | None:
        """Bring back the glimmer deleted most recently (or the one with this id, if it is
        deleted); None if there is nothing to bring back."""

        def bring_back(records: Records) -> Glimmer | None:
            deleted = self._glimmers(
                (key, doc) for key, doc in records.items()
                if doc.get("deleted_at") and (glimmer_id is None or key == str(glimmer_id))
            )
            if not deleted:
                return None
            newest = max(deleted, key=lambda g: (g.deleted_at, g.id))
            key = str(newest.id)
            records[key] = {name: value for name, value in records[key].items()
                            if name != "deleted_at"}
            return replace(newest, deleted_at=None)

        return self._change(bring_back, changed=lambda restored: restored is not None)

    def import_glimmers(self, glimmers: Iterable[Glimmer]) -> int:
        """Add glimmers from an export, keeping their ids when free; returns how many were new.

        A glimmer with the same text and moment as one already here is skipped.
        """
        incoming = [replace(g, text=validate_text(g.text), deleted_at=None) for g in glimmers]

        def insert_all(records: Records) -> int:
            seen = {(doc.get("text"), doc.get("created_at")) for doc in records.values()}
            following = next_id(records)
            added = 0
            for g in incoming:
                key = (g.text, g.created_at.isoformat())
                if key in seen:
                    continue
                seen.add(key)
                glimmer_id = g.id
                if glimmer_id < 1 or str(glimmer_id) in records:
                    glimmer_id = following
                following = max(following, glimmer_id + 1)
                records[str(glimmer_id)] = replace(g, id=glimmer_id).to_record()
                added += 1
            return added

        self._vocabulary = (None, Vocabulary())  # made again at the next search
        return self._change(insert_all, changed=bool)

    # --- inside -------------------------------------------------------------

    def _check_file(self, create: bool) -> None:
        """Read the file once; only a missing, empty or damaged one needs the lock."""
        assert self.path is not None
        try:
            data = self._storage.read()
        except StoreCorrupt:
            data = None
        if data is None and (self.path.exists() or create):
            with self._locked():
                self._tell(*recover(self.path, self._clock))
            data = self._storage.read()
        if create and (data is None or META_TABLE not in data):
            self._start()
        if self.path.exists():
            self._tell(*privacy_notices(self.path))

    def _start(self) -> None:
        """Write the schema version into a new database."""
        with self._changing(backup=False):
            tables = self._tables()
            meta = tables.setdefault(META_TABLE, {})
            if "1" not in meta:
                meta["1"] = {"schema": SCHEMA_VERSION}
                self._storage.write(tables)

    def _tell(self, *notices: str) -> None:
        for notice in notices:
            self.notices.append(notice)
            if self._on_notice is not None:
                self._on_notice(notice)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """This thread alone (and, for a file, this process alone) until the block ends."""
        with self._guard:
            if self.path is None:
                yield
                return
            from filelock import FileLock, Timeout

            if self._lock is None:
                self._make_lock_file()
                self._lock = FileLock(f"{self.path}.lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)
            try:
                self._lock.acquire()
            except Timeout:
                raise StoreError(
                    f"{self.path} is busy: another voice-glimmers has held it for over "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} seconds; try again in a moment"
                ) from None
            except OSError as err:
                raise StoreError(f"Cannot open {self.path}: {describe_os_error(err)}") from None
            try:
                yield
            except OSError as err:
                raise StoreError(f"Cannot change {self.path}: {describe_os_error(err)}") from None
            finally:
                self._lock.release()

    def _make_lock_file(self) -> None:
        """Make `<db>.lock` if it is missing, so a folder that cannot be written is said
        at once (FileLock would wait out its timeout and call the file busy). One that
        is there must be a file: a link would take the lock somewhere else."""
        lock_path = Path(f"{self.path}.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            try:
                file_status(lock_path)
            except NotAFile as err:
                raise StoreError(f"{err}, so {self.path} cannot be locked; move it away") \
                    from None
            return
        except OSError as err:
            problem = describe_os_error(err, missing="new files cannot be made there")
            raise StoreError(f"Cannot write in the folder of {self.path}: {problem}") from None
        os.close(fd)

    @contextmanager
    def _changing(self, *, backup: bool = True) -> Iterator[None]:
        """Hold the lock for one read-modify-write; first keep today's backup (of a
        file that reads: a damaged one is restored before anything else happens)."""
        with self._locked():
            if self.path is not None and not self._tidied:
                remove_leftover_temps(self.path)
                self._tidied = True
            if backup and self.path is not None:
                self._tables()
                ensure_backup(self.path, self._clock().date())
            yield

    def _change(self, change: Callable[[Records], T],
                *, changed: Callable[[T], bool] = lambda _: True) -> T:
        """Apply `change` to the records and save them, under the lock; returns its result
        (and saves nothing when `changed` says the result changed nothing).

        Records are changed under their own keys (nothing is rekeyed), and never in
        place: a changed record is a new dict, so what was read from the old one is
        read again (see `_read`).
        """
        with self._changing():
            tables = self._tables()
            self._changes += 1  # before: the records may change even if the write fails
            result = change(tables.setdefault(TABLE, {}))
            if changed(result):
                self._storage.write(tables)
            return result

    def _tables(self) -> dict[str, Any]:
        """Everything in the file; one found damaged is set aside and a backup restored
        here and now, so a long-running process recovers as a new one would."""
        with self._guard:
            try:
                return self._storage.read() or {}
            except StoreCorrupt:
                if self.path is None:
                    raise
            with self._locked():
                self._tell(*recover(self.path, self._clock))
                return self._storage.read() or {}

    def _records(self) -> Records:
        records = self._tables().get(TABLE, {})
        if len(self._read) > 2 * len(records) + 64:  # records read from another file
            self._read = {key: seen for key, seen in self._read.items()
                          if records.get(key) is seen.doc}
        return records

    def _next_id(self, records: Records) -> int:
        """next_id(records), without reading every key again for each glimmer added (at
        10,000 glimmers that was a third of a save). A record is never taken out of the
        records (a deleted glimmer keeps its record, marked), so while they are the same
        dict, holding as many records as when counted, no id has been added since; a
        file read again (changed by another process, or after a failed write) is a new
        dict, and is counted afresh."""
        known = self._next
        if known is not None and known[0] is records and known[1] == len(records):
            return known[2]
        following = next_id(records)
        self._next = (records, len(records), following)
        return following

    def _read_of(self, key: str, doc: dict[str, Any]) -> _Read:
        seen = self._read.get(key)
        if seen is None or seen.doc is not doc:
            seen = self._read[key] = _Read(key, doc)
        return seen

    def _glimmers(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[Glimmer]:
        """The glimmers these records hold; damaged ones are left out and named, once."""
        found, damaged = [], {}
        for key, doc in items:
            seen = self._read_of(key, doc)
            if seen.glimmer is not None:
                found.append(seen.glimmer)
            else:
                damaged[key] = seen.damage
        new = {key: why for key, why in damaged.items() if key not in self._damaged_told}
        if new:
            self._damaged_told.update(new)
            self._tell(damaged_notice(new, self.path))
        return found

    def _sorted(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[Glimmer]:
        return sorted(self._glimmers(items), key=lambda g: (g.created_at, g.id))


class _Read:
    """One record as read: the dict itself, the glimmer it holds (or why it is damaged)
    and, once a search asks, the words it can be found by."""

    __slots__ = ("doc", "glimmer", "damage", "_words")

    def __init__(self, key: str, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.glimmer: Glimmer | None = None
        self.damage = ""
        self._words: frozenset[str] | None = None
        try:
            self.glimmer = glimmer_of(key, doc)
        except DamagedRecord as err:
            self.damage = str(err)
            _LOGGER.debug("glimmer %s is damaged: %s (%r)", key, err, doc)

    def words(self) -> frozenset[str]:
        if self._words is None:
            tags = self.doc.get("tags")
            said = [str(self.doc.get("text", "")), *(str(t) for t in tags or () if
                                                      isinstance(tags, list))]
            self._words = frozenset(search_words(" ".join(said)))
        return self._words
