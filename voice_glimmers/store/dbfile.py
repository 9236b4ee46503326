"""The database file: atomic writes, a parse cache, daily backups and quarantine.

TinyDB's own JSONStorage rewrites its file in place, so a crash or a full disk
half-way through a write can destroy every glimmer ever saved. `AtomicJSONStorage`
writes a temp file in the same folder, fsyncs it, `os.replace`s it over the old
one and fsyncs the folder: a reader (or a crash) only ever sees the old file or
the new one. Locking is the caller's job (see `store.GlimmerStore`).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

try:  # the same bytes as json.dumps(..., separators=(",", ":")), about ten times faster
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

from voice_glimmers.core.clock import system_clock
from voice_glimmers.core.days import long_date
from voice_glimmers.core.errors import StoreCorrupt, StoreError, StoreTooNew
from voice_glimmers.core.files import describe_os_error, fsync_folder, write_atomically

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_TABLE = "_meta"
BACKUPS_KEPT = 7
_BACKUP_SUFFIX = re.compile(r"\.backup-(\d{4}-\d{2}-\d{2})$")

def remove_leftover_temps(path: Path) -> None:
    """Temp files left by a process killed mid-write (call with the lock held)."""
    for leftover in path.parent.glob(f".{path.name}*.tmp"):
        _LOGGER.info("removing unfinished write %s", leftover)
        try:
            leftover.unlink()
        except OSError as err:
            _LOGGER.warning("could not remove %s: %s", leftover, err)


def parse_database(raw: bytes, path: Path) -> dict[str, Any] | None:
    """The tables in a database file; None if it is empty.

    Raises StoreCorrupt when it is not a TinyDB file, StoreTooNew when a newer
    voice-glimmers wrote it.
    """
    if not raw.strip():
        return None
    try:
        data = orjson.loads(raw) if orjson else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise StoreCorrupt(f"{path} is not readable JSON ({err})") from None
    if not isinstance(data, dict) or not all(
        isinstance(table, dict) and all(isinstance(doc, dict) for doc in table.values())
        for table in data.values()
    ):
        raise StoreCorrupt(f"{path} does not hold glimmer records")
    schema = schema_of(data)
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise StoreCorrupt(f"{path} has an unreadable schema version ({schema!r})")
    if schema > SCHEMA_VERSION:
        raise StoreTooNew(
            f"{path} was written by a newer voice-glimmers (database version {schema}, "
            f"this one knows up to {SCHEMA_VERSION}); it was left untouched, "
            "please update voice-glimmers"
        )
    return data


def encode_database(data: dict[str, Any]) -> bytes:
    if orjson is not None:
        return orjson.dumps(data)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def schema_of(data: dict[str, Any]) -> Any:
    """The schema version a database says it has (a file without one is version 1)."""
    return data.get(META_TABLE, {}).get("1", {}).get("schema", 1)


class AtomicJSONStorage(Storage):
    """A TinyDB storage that never leaves a half-written file.

    Reading parses the file only when it changed since we last read or wrote it:
    the cache key is (inode, mtime, size), and we keep the cached file open so
    its inode number cannot be handed to another file meanwhile. TinyDB mutates
    what `read` returns and then passes it to `write`; if that write fails the
    cache is dropped, so the next read sees the file as it really is.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._key: tuple[int, int, int] | None = None
        self._data: dict[str, Any] | None = None
        self._fd: int | None = None

    def read(self) -> dict[str, Any] | None:
        try:
            st = os.stat(self.path)
            if self._key == (st.st_ino, st.st_mtime_ns, st.st_size):
                return self._data
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._forget()
            return None
        except OSError as err:
            self._forget()
            raise StoreError(f"Cannot read {self.path}: {describe_os_error(err)}") from None
        try:
            with os.fdopen(os.dup(fd), "rb") as stream:
                raw = stream.read()
            data = parse_database(raw, self.path)
        except BaseException:
            os.close(fd)
            self._forget()
            raise
        self._remember(fd, data)
        return data

    def write(self, data: dict[str, Any]) -> None:
        try:
            fd = write_atomically(self.path, encode_database(data))
        except OSError as err:
            self._forget()
            raise StoreError(
                f"Could not save to {self.path}: {describe_os_error(err)}. "
                "Nothing was changed; everything saved before is safe"
            ) from None
        except BaseException:
            self._forget()
            raise
        self._remember(fd, data)

    def close(self) -> None:
        self._forget()

    def _remember(self, fd: int, data: dict[str, Any] | None) -> None:
        st = os.fstat(fd)
        self._forget()
        self._fd, self._data = fd, data
        self._key = (st.st_ino, st.st_mtime_ns, st.st_size)

    def _forget(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd, self._data, self._key = None, None, None


# --- backups and quarantine ------------------------------------------------


def backups_of(path: Path, *, not_after: date | None = None) -> list[tuple[date, Path]]:
    """The daily backups beside a database, newest first.

    With `not_after`, backups dated later are left out: a backup named in the
    future (a clock set wrong) must neither win a recovery nor push real ones out.
    """
    found = []
    for candidate in path.parent.glob(f"{path.name}.backup-*"):
        match = _BACKUP_SUFFIX.search(candidate.name)
        if match:
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                continue
            if not_after is None or day <= not_after:
                found.append((day, candidate))
    return sorted(found, reverse=True)


def _latest_real_day(today: date) -> date:
    """The last backup day that is not in the future: today, by the system clock
    (or by the caller's clock, if that runs ahead of it)."""
    return max(today, system_clock().date())


def ensure_backup(path: Path, today: date) -> None:
    """Copy the database to `<name>.backup-<today>` once a day; keep the newest 7.

    Call with the lock held, before changing the database.
    """
    target = path.with_name(f"{path.name}.backup-{today.isoformat()}")
    if target.exists() or not path.exists():
        return
    try:
        raw = path.read_bytes()
        if parse_database(raw, path) is None:
            return
        os.close(write_atomically(target, raw))
    except (OSError, StoreError) as err:
        _LOGGER.warning("could not write the daily backup %s: %s", target, err)
        return
    for _, old in backups_of(path, not_after=_latest_real_day(today))[BACKUPS_KEPT:]:
        try:
            old.unlink()
        except OSError as err:
            _LOGGER.warning("could not remove the old backup %s: %s", old, err)


def recover(path: Path, clock: Callable[[], datetime]) -> list[str]:
    """Make `path` a readable database or leave it missing; return what to tell the person.

    A file that cannot be parsed is never overwritten: it is renamed to
    `<name>.corrupt-<timestamp>` and the newest backup that parses is put in its
    place. With no good backup, StoreCorrupt is raised and the file stays as it is.
    Call with the lock held.
    """
    remove_leftover_temps(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    backups = backups_of(path, not_after=_latest_real_day(clock().date()))
    try:
        data = parse_database(raw, path)
    except StoreCorrupt as err:
        problem = str(err)
    else:
        if data is not None or not backups:
            return []
        problem = f"{path} is empty"
    _LOGGER.info("damaged database: %s", problem)
    for day, backup in backups:
        try:
            good = backup.read_bytes()
            if parse_database(good, backup) is None:
                continue
        except (OSError, StoreError) as err:
            _LOGGER.warning("backup %s is not usable either: %s", backup, err)
            continue
        aside = _quarantine(path, clock())
        os.close(write_atomically(path, good))
        return [
            f"Your glimmer file could not be read, so I set it aside as {aside} "
            f"and brought back the copy from {long_date(day)}. "
            "Anything saved after that copy is still in the set-aside file."
        ]
    raise StoreCorrupt(
        f"{problem}, and there is no good backup beside it. The file was left as it is; "
        "move it away to start a new one, or restore it from your own copy"
    )


def _quarantine(path: Path, moment: datetime) -> Path:
    """Rename a damaged database aside without ever overwriting anything."""
    stem = f"{path.name}.corrupt-{moment:%Y%m%dT%H%M%S}"
    aside = path.with_name(stem)
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{stem}-{n}")
    os.rename(path, aside)
    fsync_folder(path.parent)
    return aside
