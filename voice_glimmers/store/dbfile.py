"""The database file: atomic writes, a checksum, a parse cache, daily backups and quarantine.

TinyDB's own JSONStorage rewrites its file in place, so a crash or a full disk
half-way through a write can destroy every glimmer ever saved. `AtomicJSONStorage`
writes a temp file in the same folder, fsyncs it, `os.replace`s it over the old
one and fsyncs the folder: a reader (or a crash) only ever sees the old file or
the new one. Locking is the caller's job (see `store.GlimmerStore`).

What is read is checked at three depths: the file must be a regular file (never a
device, a pipe or a link, which would hang a read or be replaced by a write), it
must parse, and its records must match the checksum kept beside them in `_meta`
(a file from before checksums has none, and is taken as it is). Each record is
then read on its own (`glimmer_of`), so one damaged record is named and left out
instead of hiding all the others.
"""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import re
import shlex
import stat
import zlib
from collections.abc import Callable, Iterable
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
from voice_glimmers.core.files import (
    NotAFile,
    describe_os_error,
    file_status,
    fsync_folder,
    is_unfinished_write,
    open_file,
    read_file,
    write_atomically,
)
from voice_glimmers.core.glimmer import Glimmer

_LOGGER = logging.getLogger(__name__)

SCHEMA_VERSION = 1
META_TABLE = "_meta"
TABLE = "glimmers"
BACKUPS_KEPT = 7
_BACKUP_SUFFIX = re.compile(r"\.backup-(\d{4}-\d{2}-\d{2})$")
_BACKUP_NAME = r"\.backup-\d{4}-\d{2}-\d{2}"


class ChecksumMismatch(StoreCorrupt):
    """The records are not the ones last saved: changed on the disk, or by hand."""


def remove_leftover_temps(path: Path) -> None:
    """Temp files left by a process killed mid-write (call with the lock held).

    Only this database's own temps and its backups' are taken: `a.json2` and an
    export `a.json.csv` make temps that start the same way.
    """
    own = re.escape(path.name) + f"(?:{_BACKUP_NAME})?"
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        if not is_unfinished_write(leftover.name, own):
            continue
        _LOGGER.info("removing unfinished write %s", leftover)
        try:
            leftover.unlink()
        except OSError as err:
            _LOGGER.warning("could not remove %s: %s", leftover, err)


def refusal(err: NotAFile) -> StoreError:
    """The one line for a database path that holds no regular file."""
    if err.is_link:
        target = os.path.realpath(err.path)
        return StoreError(
            f"{err.path} is a link to {target}; name the file itself instead "
            f"(--db {shlex.quote(target)}), so that its lock and backups sit beside it"
        )
    return StoreError(f"{err}, so it cannot hold your glimmers; point --db at a file instead")


def check_database_path(path: Path) -> None:
    """StoreError (one line) unless `path` is a regular file or nothing at all."""
    try:
        file_status(path)
    except NotAFile as err:
        raise refusal(err) from None
    except OSError as err:
        raise StoreError(f"Cannot open {path}: {describe_os_error(err)}") from None


def parse_database(raw: bytes, path: Path) -> dict[str, Any] | None:
    """The tables in a database file; None if it is empty.

    Raises StoreCorrupt when it is not a TinyDB file, ChecksumMismatch (a kind of
    StoreCorrupt) when its records are not the ones its checksum was made of, and
    StoreTooNew when a newer voice-glimmers wrote it.
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
    kept = data.get(META_TABLE, {}).get("1", {}).get("checksum")
    if kept is not None and not _matches(kept, raw, data):
        raise ChecksumMismatch(f"{path} does not match its checksum")
    return data


def _matches(kept: Any, raw: bytes, data: dict[str, Any]) -> bool:
    """Whether the records are the ones the checksum was made of.

    First on the bytes as written (the records are the file's last table, so they end
    where the file does); then, for a file laid out some other way (re-indented in an
    editor, say), on the records encoded again, which costs as much as writing them.
    """
    marker = raw.find(b'"' + TABLE.encode() + b'":')
    if marker >= 0:
        written = raw[marker + len(TABLE) + 3:].rstrip()[:-1]
        if kept == checksum_of(written):
            return True
    return bool(kept == checksum_of(_dumps(data.get(TABLE, {}))))


def _dumps(value: Any) -> bytes:
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def checksum_of(records: bytes) -> str:
    """The checksum kept in `_meta`: CRC-32 of the glimmer records as encoded.

    CRC-32 catches every single flipped bit and every burst of up to 32; it is no
    seal against a person who means to change the file, and is not meant as one.
    The records are encoded again when read, so a file re-indented in an editor
    still matches; only a change to what the records say does not.
    """
    return f"crc32:{zlib.crc32(records):08x}"


def encode_database(data: dict[str, Any]) -> bytes:
    """The file's bytes, with the checksum of the records put into `_meta` first.

    The records are encoded once: the file is put together around those bytes.
    """
    records = _dumps(data.get(TABLE, {}))
    meta = data.setdefault(META_TABLE, {}).setdefault("1", {"schema": SCHEMA_VERSION})
    meta["checksum"] = checksum_of(records)
    pieces: list[bytes] = []
    for name, table in data.items():
        pieces += [b"," if pieces else b"{", _dumps(name), b":",
                   records if name == TABLE else _dumps(table)]
    return b"".join([*pieces, b"}"])  # never empty: _meta is always there


def schema_of(data: dict[str, Any]) -> Any:
    """The schema version a database says it has (a file without one is version 1)."""
    return data.get(META_TABLE, {}).get("1", {}).get("schema", 1)


# --- records -----------------------------------------------------------------


class DamagedRecord(ValueError):
    """A stored record that cannot be read as a glimmer; says what is wrong with it."""


def is_id(key: str) -> bool:
    """Whether a record's key is a glimmer id: a whole number from 1, written plainly."""
    return key.isascii() and key.isdigit() and key[0] != "0"  # [1-9][0-9]*, without a regex


def next_id(keys: Iterable[str]) -> int:
    """The id after every id in use; keys that are no id (a hand-edited "-5") never count."""
    return max(map(int, filter(is_id, keys)), default=0) + 1


def glimmer_of(key: str, doc: dict[str, Any]) -> Glimmer:
    """The glimmer a stored record holds; DamagedRecord, saying what is wrong, if none.

    Stricter than the export reader: a record the store wrote always passes, and one
    edited by hand passes only if every part of it can be used (a moment without a
    time zone cannot be put in order beside the others, so it does not).
    """
    if not is_id(key):
        raise DamagedRecord("its id is not a whole number from 1 up")
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DamagedRecord("it has no text")
    day = doc.get("day")
    try:
        on = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        on = None
    if on is None:
        raise DamagedRecord("its day is not a date")
    source = doc.get("source") or "text"
    tags = doc.get("tags") or []
    if not isinstance(source, str):
        raise DamagedRecord("its source is not a word")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise DamagedRecord("its tags are not a list of words")
    confidence = doc.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float)
        or not math.isfinite(confidence) or not 0 <= confidence <= 1
    ):
        raise DamagedRecord("its confidence is not a number from 0 to 1")
    deleted = doc.get("deleted_at")
    return Glimmer(
        id=int(key), text=text, created_at=_moment(doc.get("created_at"), "created_at"),
        day=on, source=source, confidence=None if confidence is None else float(confidence),
        tags=tuple(tags), deleted_at=_moment(deleted, "deleted_at") if deleted else None,
    )


def _moment(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise DamagedRecord(f"its {name} is not a date and time")
    if moment.tzinfo is None:
        raise DamagedRecord(f"its {name} has no time zone")
    return moment


def damaged_records(data: dict[str, Any] | None) -> list[str]:
    """The keys of the records in a parsed database that cannot be read as glimmers."""
    damaged = []
    for key, doc in (data or {}).get(TABLE, {}).items():
        try:
            glimmer_of(key, doc)
        except DamagedRecord:
            damaged.append(key)
    return damaged


def damaged_notice(damaged: dict[str, str], path: Path | None) -> str:
    """One line naming damaged records (key: what is wrong), for the person."""
    keys = sorted(damaged, key=lambda k: (not is_id(k), int(k) if is_id(k) else 0, k))
    where = f" in {path}" if path else ""
    if len(keys) == 1:
        return (f"Glimmer {keys[0]}{where} is damaged ({damaged[keys[0]]}), so it is left out; "
                "the other glimmers are all here.")
    shown = keys[:5] + ([f"{len(keys) - 5} more"] if len(keys) > 5 else [])
    names = ", ".join(shown[:-1]) + f" and {shown[-1]}"
    return (f"Glimmers {names}{where} are damaged (glimmer {keys[0]}: {damaged[keys[0]]}), "
            "so they are left out; the other glimmers are all here.")


class AtomicJSONStorage(Storage):
    """A TinyDB storage that never leaves a half-written file.

    Reading parses the file only when it changed since we last read or wrote it:
    the cache key is (inode, mtime, size), and we keep the cached file open so
    its inode number cannot be handed to another file meanwhile. The store changes
    what `read` returns in place and then passes it to `write`; if that write fails
    the cache is dropped, so the next read sees the file as it really is.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._key: tuple[int, int, int] | None = None
        self._data: dict[str, Any] | None = None
        self._fd: int | None = None

    def read(self) -> dict[str, Any] | None:
        try:
            st = file_status(self.path)
            if st is not None and self._key == (st.st_ino, st.st_mtime_ns, st.st_size):
                return self._data
            fd = open_file(self.path) if st is not None else None
            if fd is None:
                self._forget()
                return None
        except NotAFile as err:
            self._forget()
            raise refusal(err) from None
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
            check_database_path(self.path)
            fd = write_atomically(self.path, encode_database(data))
        except StoreError:
            self._forget()
            raise
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
    for candidate in path.parent.glob(f"{glob.escape(path.name)}.backup-*"):
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

    Call with the lock held, before changing the database. Something there that is
    not a file (a folder, a pipe) is left alone, and said.
    """
    target = path.with_name(f"{path.name}.backup-{today.isoformat()}")
    try:
        if file_status(target) is not None:
            return
        raw = read_file(path)
        if raw is None or parse_database(raw, path) is None:
            return
        os.close(write_atomically(target, raw))
    except (OSError, StoreError) as err:
        problem = describe_os_error(err) if isinstance(err, OSError) else str(err)
        _LOGGER.warning("could not write the daily backup %s: %s", target, problem)
        return
    for _, old in backups_of(path, not_after=_latest_real_day(today))[BACKUPS_KEPT:]:
        try:
            if file_status(old) is not None:
                old.unlink()
        except OSError as err:
            _LOGGER.warning("could not remove the old backup %s: %s", old, describe_os_error(err))


def recover(path: Path, clock: Callable[[], datetime]) -> list[str]:
    """Make `path` a readable database or leave it missing; return what to tell the person.

    A file that cannot be parsed, or whose records do not match their checksum, is
    never overwritten: it is renamed to `<name>.corrupt-<timestamp>` and the newest
    backup that is whole is put in its place. A backup is whole when it parses, matches
    its checksum and every record in it reads; one holding a damaged record is used
    only when no backup is whole. With no usable backup, StoreCorrupt is raised and
    the file stays as it is. Call with the lock held.
    """
    remove_leftover_temps(path)
    try:
        raw = read_file(path)
    except NotAFile as err:
        raise refusal(err) from None
    if raw is None:
        return []
    backups = backups_of(path, not_after=_latest_real_day(clock().date()))
    try:
        data = parse_database(raw, path)
    except StoreCorrupt as err:
        problem, changed = str(err), isinstance(err, ChecksumMismatch)
    else:
        if data is not None or not backups:
            return []
        problem, changed = f"{path} is empty", False
    _LOGGER.info("damaged database: %s", problem)
    chosen = _best_backup(backups)
    if chosen is None:
        way_out = "move it away to start a new one, or restore it from your own copy"
        if changed:
            way_out = ('if you changed it yourself, delete "checksum" from its "_meta" to keep '
                       f"the change; or {way_out}")
        raise StoreCorrupt(
            f"{problem}, and there is no good backup beside it. The file was left as it is; "
            + way_out
        )
    day, good = chosen
    aside = _quarantine(path, clock())
    os.close(write_atomically(path, good))
    why = ("was changed after it was saved (its checksum does not match)" if changed
           else "could not be read")
    return [
        f"Your glimmer file {why}, so I set it aside as {aside} "
        f"and brought back the copy from {long_date(day)}. "
        "Anything saved after that copy is still in the set-aside file."
    ]


def _best_backup(backups: list[tuple[date, Path]]) -> tuple[date, bytes] | None:
    """The newest whole backup; else the newest that parses, damaged records and all."""
    fallback = None
    for day, backup in backups:
        try:
            good = read_file(backup)
            data = parse_database(good, backup) if good is not None else None
        except (OSError, StoreError) as err:
            problem = describe_os_error(err) if isinstance(err, OSError) else str(err)
            _LOGGER.warning("backup %s is not usable either: %s", backup, problem)
            continue
        if data is None or good is None:
            continue
        damaged = damaged_records(data)
        if not damaged:
            return day, good
        _LOGGER.warning("backup %s holds %d damaged glimmer(s); looking for an older one",
                        backup, len(damaged))
        fallback = fallback or (day, good)
    return fallback


def _quarantine(path: Path, moment: datetime) -> Path:
    """Rename a damaged database aside (private) without ever overwriting anything."""
    stem = f"{path.name}.corrupt-{moment:%Y%m%dT%H%M%S}"
    aside = path.with_name(stem)
    n = 1
    while os.path.lexists(aside):
        n += 1
        aside = path.with_name(f"{stem}-{n}")
    os.rename(path, aside)
    fsync_folder(path.parent)
    make_private([aside])
    return aside


# --- who else can read them ------------------------------------------------


def glimmer_files(path: Path) -> list[Path]:
    """The files that hold glimmers: the database, its backups and its set-aside copies."""
    found = [path] + [backup for _, backup in backups_of(path)]
    found += sorted(path.parent.glob(f"{glob.escape(path.name)}.corrupt-*"))
    return found


def _is_open_to_others(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and bool(st.st_mode & 0o077)


def exposed(path: Path) -> tuple[list[Path], Path | None]:
    """What others on this computer can reach: glimmer files they can read, and the
    folder, when they can look into it (they then see its file names, not what they hold)."""
    folder = path.parent
    try:
        folder_open = bool(os.stat(folder).st_mode & 0o077)
    except OSError:
        folder_open = False
    files = [f for f in glimmer_files(path) if _is_open_to_others(f)]
    return files, folder if folder_open else None


def make_private(files: Iterable[Path]) -> list[Path]:
    """Make those of `files` others can read 0600; returns the ones it changed.

    Only files of this user are changed: someone else's file (as root, say) is left
    for them, and stays in what `exposed` finds.
    """
    changed = []
    for file in files:
        try:
            st = os.lstat(file)
            if (not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o077
                    or st.st_uid != os.geteuid()):
                continue
            os.chmod(file, 0o600)
        except OSError as err:
            _LOGGER.info("could not make %s private: %s", file, err)
            continue
        changed.append(file)
    return changed


def privacy_notices(path: Path) -> list[str]:
    """Make this user's glimmer files private (0600), and say what was changed, and
    what is still open to others with the one command that closes it."""
    changed = make_private(glimmer_files(path))
    still, _ = exposed(path)
    notices = []
    if changed:
        them = "it is" if len(changed) == 1 else "they are"
        notices.append(f"Others on this computer could read {_names(changed)}, so {them} "
                       "private again (readable only by you).")
    if still:
        notices.append(f"Others on this computer can read {_names(still)}; to keep your "
                       f"glimmers private, run: {chmod_command(still)}")
    return notices


def chmod_command(files: list[Path], mode: str = "600") -> str:
    return f"chmod {mode} " + " ".join(shlex.quote(str(f)) for f in files)


def _names(files: list[Path]) -> str:
    names = [f.name for f in files]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
