"""The store that keeps every glimmer: TinyDB on an atomic, locked, backed-up file."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.operations import delete as delete_field
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from voice_glimmers.core.clock import Clock, glimmer_day, system_clock
from voice_glimmers.core.errors import NotFound, StoreCorrupt, StoreError
from voice_glimmers.core.glimmer import (
    LITTLE_WORDS,
    MAX_TEXT_LENGTH,
    SOURCES,
    Glimmer,
    search_words,
    validate_text,
)
from voice_glimmers.store.dbfile import (
    META_TABLE,
    SCHEMA_VERSION,
    AtomicJSONStorage,
    describe_os_error,
    ensure_backup,
    recover,
    remove_leftover_temps,
)

__all__ = ["MAX_TEXT_LENGTH", "SOURCES", "Glimmer", "GlimmerStore", "validate_text"]

_LOGGER = logging.getLogger(__name__)

TABLE = "glimmers"
LOCK_TIMEOUT_SECONDS = 15.0


class GlimmerStore:
    """Every glimmer ever saved, on a file that survives crashes, full disks and two writers.

    Each change happens inside a cross-process file lock (`<db>.lock`), re-reads
    the file if another process changed it, and returns only once the new file
    is on disk. `in_memory()` behaves the same without a file, for tests.
    """

    def __init__(
        self,
        db: TinyDB,
        *,
        day_start_hour: int = 4,
        path: Path | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.notices: list[str] = []
        self.day_start_hour = day_start_hour
        self.path = path
        self._db = db
        self._table = db.table(TABLE, cache_size=0)
        self._lock: Any = None  # a filelock.FileLock, made on first use
        self._tidied = False
        self._clock = clock
        self._guard = threading.RLock()

    @classmethod
    def open(
        cls, path: Path, *, day_start_hour: int = 4, clock: Clock | None = None
    ) -> GlimmerStore:
        """Open (or create) the database at `path`, restoring a backup if it is damaged.

        A readable file is opened without taking the lock or writing anything, so
        `list` works beside a busy listening loop. `clock` names backups and
        set-aside files (default: the system clock).
        """
        path = Path(path).expanduser().absolute()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"{path.parent} is a file, not a folder") from None
        except OSError as err:
            raise StoreError(
                f"Cannot make the folder {path.parent}: {describe_os_error(err)}"
            ) from None
        store = cls(
            TinyDB(path, storage=AtomicJSONStorage),
            day_start_hour=day_start_hour, path=path, clock=clock or system_clock,
        )
        try:
            store._check_file()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def in_memory(cls, *, day_start_hour: int = 4) -> GlimmerStore:
        """A store that lives only in memory (TinyDB's MemoryStorage); for tests and demos."""
        store = cls(TinyDB(storage=MemoryStorage), day_start_hour=day_start_hour)
        store._start()
        return store

    def __enter__(self) -> GlimmerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._guard:
            self._db.close()

    # --- reading ------------------------------------------------------------

    def day_of(self, moment: datetime) -> date:
        """The glimmer day of a moment, with this store's day start hour."""
        return glimmer_day(moment, self.day_start_hour)

    def get(self, glimmer_id: int) -> Glimmer | None:
        """The glimmer with this id, or None if there is none (or it was deleted)."""
        doc = self._records().get(str(glimmer_id))
        if doc is None or doc.get("deleted_at"):
            return None
        return self._glimmer(str(glimmer_id), doc)

    def between(self, start: date, end: date) -> list[Glimmer]:
        """Glimmers of the glimmer days start..end (inclusive), oldest first."""
        first, last = start.isoformat(), end.isoformat()
        return self._sorted(
            (key, doc)
            for key, doc in self._records().items()
            if first <= doc.get("day", "") <= last and not doc.get("deleted_at")
        )

    def all(self) -> list[Glimmer]:
        """Every glimmer not deleted, oldest first."""
        return self._sorted(
            (key, doc) for key, doc in self._records().items() if not doc.get("deleted_at")
        )

    def last(self) -> Glimmer | None:
        """The glimmer saved most recently (the highest id) that is not deleted."""
        live = [int(key) for key, doc in self._records().items() if not doc.get("deleted_at")]
        return self.get(max(live)) if live else None

    def search(self, query: str) -> list[Glimmer]:
        """Glimmers holding every word of the query, newest first.

        Case, plural endings and little words ("my", "the") do not matter.
        """
        wanted = search_words(query)
        wanted = (wanted - LITTLE_WORDS) or wanted
        if not wanted:
            return []
        found = self._sorted(
            (key, doc)
            for key, doc in self._records().items()
            if not doc.get("deleted_at") and wanted <= search_words(str(doc.get("text", "")))
        )
        return found[::-1]

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
        with self._changing():
            glimmer = Glimmer(
                id=self._next_id(), text=text, created_at=at, day=self.day_of(at),
                source=source, confidence=confidence, tags=tuple(tags),
            )
            self._table.insert(Document(glimmer.to_record(), doc_id=glimmer.id))
        _LOGGER.debug("saved glimmer %d", glimmer.id)
        return glimmer

    def delete(self, glimmer_id: int, *, at: datetime) -> Glimmer:
        """Mark a glimmer deleted (undo brings it back); NotFound if there is no such glimmer."""
        with self._changing():
            found = self.get(glimmer_id)
            if found is None:
                raise NotFound(f"There is no glimmer with id {glimmer_id}")
            stamp = at if at.tzinfo is not None else at.astimezone()
            self._table.update({"deleted_at": stamp.isoformat()}, doc_ids=[found.id])
        return replace(found, deleted_at=stamp)

    def undo(self, glimmer_id: int | None = None) -> Glimmer | None:
        """Bring back the glimmer deleted most recently (or the one with this id, if it is
        deleted); None if there is nothing to bring back."""
        with self._changing():
            deleted = [
                self._glimmer(key, doc)
                for key, doc in self._records().items()
                if doc.get("deleted_at") and (glimmer_id is None or key == str(glimmer_id))
            ]
            if not deleted:
                return None
            newest = max(deleted, key=lambda g: (g.deleted_at, g.id))
            self._table.update(delete_field("deleted_at"), doc_ids=[newest.id])
            return replace(newest, deleted_at=None)

    def import_glimmers(self, glimmers: Iterable[Glimmer]) -> int:
        """Add glimmers from an export, keeping their ids when free; returns how many were new.

        A glimmer with the same text and moment as one already here is skipped.
        """
        incoming = [replace(g, text=validate_text(g.text), deleted_at=None) for g in glimmers]
        with self._changing():
            records = self._records()
            seen = {(doc.get("text"), doc.get("created_at")) for doc in records.values()}
            taken = {int(key) for key in records}
            documents = []
            for g in incoming:
                key = (g.text, g.created_at.isoformat())
                if key in seen:
                    continue
                seen.add(key)
                if g.id >= 1 and g.id not in taken:
                    glimmer_id = g.id
                else:
                    glimmer_id = max(taken, default=0) + 1
                taken.add(glimmer_id)
                documents.append(Document(g.to_record(), doc_id=glimmer_id))
            if documents:
                self._table.insert_multiple(documents)
        return len(documents)

    # --- inside -------------------------------------------------------------

    def _check_file(self) -> None:
        """Read the file once; only a missing, empty or damaged one needs the lock."""
        assert self.path is not None
        try:
            data = self._db.storage.read()
        except StoreCorrupt:
            data = None
        if data is not None and META_TABLE in data:
            try:
                if self.path.stat().st_mode & 0o077:
                    self.path.chmod(0o600)
            except OSError as err:
                _LOGGER.warning("could not make %s private: %s", self.path, err)
            return
        with self._locked():
            self.notices.extend(recover(self.path, self._clock))
            self._start()

    def _start(self) -> None:
        """Write the schema version into a new database."""
        with self._changing(backup=False):
            meta = self._db.table(META_TABLE, cache_size=0)
            if not meta.contains(doc_id=1):
                meta.insert(Document({"schema": SCHEMA_VERSION}, doc_id=1))

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
        at once (FileLock would wait out its timeout and call the file busy)."""
        lock_path = f"{self.path}.lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            return
        except OSError as err:
            problem = describe_os_error(err, missing="new files cannot be made there")
            raise StoreError(f"Cannot write in the folder of {self.path}: {problem}") from None
        os.close(fd)

    @contextmanager
    def _changing(self, *, backup: bool = True) -> Iterator[None]:
        """Hold the lock for one read-modify-write; first keep today's backup."""
        with self._locked():
            if self.path is not None and not self._tidied:
                remove_leftover_temps(self.path)
                self._tidied = True
            if backup and self.path is not None:
                ensure_backup(self.path, self._clock().date())
            yield

    def _records(self) -> dict[str, dict[str, Any]]:
        with self._guard:
            tables = self._db.storage.read() or {}
            return tables.get(TABLE, {})

    def _next_id(self) -> int:
        return max(map(int, self._records()), default=0) + 1

    def _glimmer(self, key: str, doc: dict[str, Any]) -> Glimmer:
        try:
            return Glimmer.from_dict({**doc, "id": key})
        except (KeyError, TypeError, ValueError) as err:
            raise StoreCorrupt(
                f"Glimmer {key} in {self.path or 'the database'} is damaged ({err!r}); "
                "it can be fixed with a text editor"
            ) from None

    def _sorted(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[Glimmer]:
        found = [self._glimmer(key, doc) for key, doc in items]
        return sorted(found, key=lambda g: (g.created_at, g.id))
