"""Writing a file so that it is either all there or not at all, reading one that really is
a file, and saying why either failed.

The one discipline every file voice-glimmers writes follows (the database, its
backups, exports, the garden, spoken WAVs): a private temporary file beside the
target, synced, renamed into place, and the folder synced. Reading goes the other
way with the same care: what is at a path is looked at before it is read, so a
device, a named pipe or a link is refused in one line instead of hanging on it or
writing through it. It lives in core, the one stage every other can reach, and
needs nothing beyond the standard library.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from pathlib import Path

from voice_glimmers.core.errors import Refused, TooLarge

_PROBLEMS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EROFS: "the folder is on a read-only disk",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "part of the path is a file, not a folder",
}


def describe_os_error(err: OSError, *, missing: str = "the folder does not exist") -> str:
    """A few plain words for what went wrong on the disk.

    `missing` is what "no such file or directory" means where the caller is:
    a folder to write in that is not there, or a file to read that is not.
    """
    if isinstance(err, (NotAFile, FileTooLarge)):
        return str(err.strerror)
    if err.errno == errno.ENOENT:
        return missing
    return _PROBLEMS.get(err.errno or 0) or (err.strerror or str(err)).lower()


class NotAFile(OSError):
    """Something that is not a regular file (a folder, a device, a named pipe, a socket or
    a link) where voice-glimmers reads or replaces one."""

    def __init__(self, path: Path, mode: int) -> None:
        self.path, self.kind = Path(path), _kind(path, mode) or "not a regular file"
        self.is_link = stat.S_ISLNK(mode)
        super().__init__(errno.EINVAL, f"it is {self.kind}, not a file", str(path))

    def __str__(self) -> str:
        return f"{self.path} is {self.kind}, not a file"


class FileTooLarge(OSError):
    """A file larger than the caller reads."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(errno.EFBIG, f"it is larger than {limit // 2**20} MB", str(path))
        self.path, self.limit = Path(path), limit

    def __str__(self) -> str:
        return f"{self.path} is larger than the {self.limit // 2**20} MB voice-glimmers reads"


def _kind(path: Path, mode: int) -> str | None:
    """What is at `path`, in a few words, when it is not a regular file (None when it is)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return f"a link to {os.path.realpath(path)}"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def file_status(path: Path, *, follow_links: bool = False) -> os.stat_result | None:
    """The status of the regular file at `path`, or None when nothing is there.

    Anything else there raises NotAFile, a link too unless `follow_links`. Call it before
    replacing a file: `os.replace` would put a regular file in place of a device or a link.
    """
    try:
        found = os.stat(path) if follow_links else os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(found.st_mode):
        raise NotAFile(path, found.st_mode)
    return found


def open_file(path: Path, *, follow_links: bool = False) -> int | None:
    """A descriptor open to read the regular file at `path`, or None when nothing is there.

    Opened without blocking, so a named pipe is refused (NotAFile) instead of waited on,
    and without following a link unless `follow_links`; the kind is checked on what was
    opened, so nothing swapped in between the look and the open gets through.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_links else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENXIO):  # a link not followed, a socket
            file_status(path, follow_links=follow_links)
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotAFile(path, mode)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_file(path: Path, *, limit: int | None = None, follow_links: bool = False) -> bytes | None:
    """All of the regular file at `path` (None when nothing is there), never more than
    `limit` bytes: a larger file raises FileTooLarge before much of it is read."""
    fd = open_file(path, follow_links=follow_links)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as stream:
        if limit is None:
            return stream.read()
        if os.fstat(stream.fileno()).st_size > limit:
            raise FileTooLarge(path, limit)
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, limit)
    return data


def make_folder(folder: Path, mode: int = 0o700) -> None:
    """Make `folder` and whatever folders above it are missing, each with `mode`.

    Each new folder is synced into its parent: a file synced into a folder that a power
    cut then takes away is lost with it (ext4 happens to save it; other filesystems need not).
    """
    missing = []
    here = Path(folder)
    while not os.path.lexists(here) and here != here.parent:
        missing.append(here)
        here = here.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, mode)
        except FileExistsError:
            if not new.is_dir():
                raise
            continue
        fsync_folder(new.parent)
    if not Path(folder).is_dir():
        raise FileExistsError(errno.EEXIST, "it is a file, not a folder", str(folder))


def is_unfinished_write(candidate: str, name_pattern: str) -> bool:
    """Whether a file named `candidate` is a temp of `write_atomically` for a file whose
    name matches the regular expression `name_pattern` (and nothing else's temp: the
    temps of `a.json2` or `a.json.csv` are not those of `a.json`)."""
    return re.fullmatch(rf"\.(?:{name_pattern})\.[a-z0-9_]+\.tmp", candidate) is not None


def refuse_special(path: Path, *, writing: bool) -> None:
    """Refused (a one-line GlimmersError) when `path` is there and is not a regular file.

    A target to write is looked at itself: a link is refused, since replacing it would
    break it and writing through it could reach anything (/proc/self/fd/1, a device).
    A file to read is looked at through its links. Nothing there is fine.
    """
    try:
        file_status(path, follow_links=not writing)
    except NotAFile as err:
        if writing:
            raise Refused(f"Cannot write {path}: it is {err.kind}, not a file, so I left it "
                          "as it is; name a file to write to") from None
        raise Refused(f"{path} is {err.kind}, not a file I can read") from None
    except OSError:
        return  # it cannot be looked at: opening it says why


def size_words(size: int) -> str:
    """A size as a person reads it: 2,048 bytes, 52 MB."""
    return f"{size:,} bytes" if size < 1_000_000 else f"{size / 1_000_000:,.0f} MB"


def read_regular_file(path: Path, limit: int) -> bytes:
    """All of the regular file `path` (through links), which may hold at most `limit`
    bytes, as read_file reads it: a pipe is never waited on, a device never read, and no
    more than `limit` bytes are held. Refused and TooLarge are one line for a person."""
    try:
        data = read_file(path, limit=limit, follow_links=True)
    except NotAFile as err:
        raise Refused(f"{path} is {err.kind}, not a file I can read") from None
    except FileTooLarge:
        raise TooLarge(f"{path} is larger than I read (the most is {size_words(limit)})") \
            from None
    if data is None:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(path))
    return data


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, payload: bytes) -> int:
    """Replace `path` with `payload` so that it is either all there or not at all.

    Returns the open descriptor of the new file (the caller closes it). The file
    is created 0600. On any failure the old file is left exactly as it was.
    """
    # Named .{name}.<8 random letters>.tmp: the shape is_unfinished_write looks for.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        fsync_folder(path.parent)
    except BaseException:
        os.close(fd)
        raise
    return fd
