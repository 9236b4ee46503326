"""Glimmers and the store that keeps them: TinyDB on an atomic, locked, backed-up file."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.operations import delete as delete_field
from tinydb.storages import MemoryStorage
from tinydb.table import Document

from voice_glimmers.clock import Clock, glimmer_day, system_clock
from voice_glimmers.errors import InvalidText, NotFound, StoreCorrupt, StoreError
from voice_glimmers.storage import (
    META_TABLE,
    SCHEMA_VERSION,
    AtomicJSONStorage,
    describe_os_error,
    ensure_backup,
    recover,
)

_LOGGER = logging.getLogger(__name__)

SOURCES = ("voice", "text", "import")
MAX_TEXT_LENGTH = 2000
TABLE = "glimmers"
LOCK_TIMEOUT_SECONDS = 15.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_WORD = re.compile(r"[\w']+")
_LITTLE_WORDS = frozenset(
    "a an the my our your his her their of with about and or to in on at for from".split()
)


@dataclass(frozen=True)
class Glimmer:
    """One small moment of safety, calm or connection, in the person's own words."""

    id: int
    text: str
    created_at: datetime  # timezone-aware
    day: date  # the glimmer day (a day starts at 04:00 by default)
    source: str = "text"  # one of SOURCES
    confidence: float | None = None  # speech recognition confidence, 0..1
    tags: tuple[str, ...] = field(default_factory=tuple)
    deleted_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (list --json, export --format json)."""
        return {
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "day": self.day.isoformat(),
            "source": self.source,
            "confidence": self.confidence,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Glimmer:
        deleted = data.get("deleted_at")
        return cls(
            id=int(data["id"]),
            text=str(data["text"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            day=date.fromisoformat(data["day"]),
            source=str(data.get("source") or "text"),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            tags=tuple(data.get("tags") or ()),
            deleted_at=datetime.fromisoformat(deleted) if deleted else None,
        )

    def to_record(self) -> dict[str, Any]:
        """The stored shape: to_dict without the id (TinyDB's doc id) or empty fields."""
        record = self.to_dict()
        del record["id"]
        if record["confidence"] is None:
            del record["confidence"]
        if self.deleted_at is not None:
            record["deleted_at"] = self.deleted_at.isoformat()
        return record


def validate_text(text: str) -> str:
    """The glimmer's words, trimmed; InvalidText when they cannot be kept as a glimmer."""
    if not isinstance(text, str):
        raise InvalidText("A glimmer needs to be text")
    if "\x00" in text:
        raise InvalidText("That text holds a NUL character (\\0), which a glimmer cannot keep")
    text = text.strip()
    if not text:
        raise InvalidText("That glimmer is empty; it needs a few words")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidText(
            f"That glimmer is {len(text):,} characters long; a glimmer can hold up to "
            f"{MAX_TEXT_LENGTH:,}"
        )
    if _CONTROL.search(text):
        raise InvalidText("That text holds control characters, which a glimmer cannot keep")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidText("That text holds bytes that are not valid UTF-8") from None
    return text


def _stems(text: str) -> set[str]:
    """Lower-case words, with simple plural endings taken off (dogs -> dog, berries -> berry)."""
    stems = set()
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word:
            stems.add(word)
    return stems


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
        lock: Any = None,
        clock: Clock = system_clock,
    ) -> None:
        self.notices: list[str] = []
        self.day_start_hour = day_start_hour
        self.path = path
        self._db = db
        self._table = db.table(TABLE, cache_size=0)
        self._lock = lock
        self._clock = clock
        self._guard = threading.RLock()

    @classmethod
    def open(
        cls, path: Path, *, day_start_hour: int = 4, clock: Clock | None = None
    ) -> GlimmerStore:
        """Open (or create) the database at `path`, restoring a backup if it is damaged."""
        from filelock import FileLock

        path = Path(path).expanduser().absolute()
        clock = clock or system_clock
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            raise StoreError(f"{path.parent} is a file, not a folder") from None
        except OSError as err:
            raise StoreError(
                f"Cannot make the folder {path.parent}: {describe_os_error(err)}"
            ) from None
        lock = FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)
        store = cls(
            TinyDB(path, storage=AtomicJSONStorage),
            day_start_hour=day_start_hour, path=path, lock=lock, clock=clock,
        )
        try:
            with store._locked():
                store.notices.extend(recover(path, clock))
                if path.exists() and path.stat().st_mode & 0o077:
                    path.chmod(0o600)
                store._start()
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
        wanted = _stems(query)
        wanted = (wanted - _LITTLE_WORDS) or wanted
        if not wanted:
            return []
        found = self._sorted(
            (key, doc)
            for key, doc in self._records().items()
            if not doc.get("deleted_at") and wanted <= _stems(str(doc.get("text", "")))
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

    def undo(self) -> Glimmer | None:
        """Bring back the glimmer deleted most recently; None if nothing is deleted."""
        with self._changing():
            deleted = [
                (datetime.fromisoformat(doc["deleted_at"]), int(key))
                for key, doc in self._records().items()
                if doc.get("deleted_at")
            ]
            if not deleted:
                return None
            _, glimmer_id = max(deleted)
            self._table.update(delete_field("deleted_at"), doc_ids=[glimmer_id])
            return self.get(glimmer_id)

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

    def _start(self) -> None:
        """Write the schema version into a new database."""
        with self._changing(backup=False):
            meta = self._db.table(META_TABLE, cache_size=0)
            if not meta.contains(doc_id=1):
                meta.insert(Document({"schema": SCHEMA_VERSION}, doc_id=1))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        from filelock import Timeout

        with self._guard:
            if self._lock is None:
                yield
                return
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

    @contextmanager
    def _changing(self, *, backup: bool = True) -> Iterator[None]:
        """Hold the lock for one read-modify-write; first keep today's backup."""
        with self._locked():
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
