"""Writing a file so that it is either all there or not at all, reading one without
waiting on a pipe or holding more than a limit, and saying why either failed.

The one discipline every file voice-glimmers writes follows (the database, its
backups, exports, the garden, spoken WAVs): a private temporary file beside the
target, synced, renamed into place, and the folder synced. Only a regular file is
ever replaced or read: a folder, a named pipe, a device or a link where a file was
named is refused in one line and left as it is. It lives in core, the one stage
every other can reach, and needs nothing beyond the standard library.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from voice_glimmers.core.errors import NotAFile, TooLarge

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
    if err.errno == errno.ENOENT:
        return missing
    return _PROBLEMS.get(err.errno or 0) or (err.strerror or str(err)).lower()


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def special_kind(path: Path, *, follow_links: bool = True) -> str | None:
    """What `path` is, in a few plain words ("a folder", "a named pipe", "a device", or,
    not following links, "a link to /proc/self/fd/1"), when it is there and is not a
    regular file. None for a regular file, and for nothing there (or a path that cannot
    be looked at: opening it then says why)."""
    try:
        info = os.stat(path) if follow_links else os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(info.st_mode):
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"a link to {os.readlink(path)}"
    return _kind(info.st_mode)


def refuse_special(path: Path, *, writing: bool) -> None:
    """NotAFile, in one line, when `path` is there and is not a regular file.

    A target to write is looked at itself: a link is refused, since replacing it would
    break it and writing through it could reach anything (/proc/self/fd/1, a device).
    A file to read is looked at through its links.
    """
    kind = special_kind(path, follow_links=not writing)
    if kind is None:
        return
    if writing:
        raise NotAFile(f"Cannot write {path}: it is {kind}, not a file, so I left it as it "
                       "is; name a file to write to")
    raise NotAFile(f"{path} is {kind}, not a file I can read")


def size_words(size: int) -> str:
    """A size as a person reads it: 2,048 bytes, 52 MB."""
    return f"{size:,} bytes" if size < 1_000_000 else f"{size / 1_000_000:,.0f} MB"


def read_regular_file(path: Path, limit: int) -> bytes:
    """All of the regular file `path`, which may hold at most `limit` bytes.

    Something that is not a regular file is refused before it is opened, and again,
    from the open descriptor, before anything is read (NotAFile): opening never waits
    for a pipe's writer, and a device is never read. A larger file is refused before
    it is read, and no more than `limit` bytes are ever held (TooLarge), even for a
    file that grows or claims a size of 0. OSError as opening or reading raises it.
    """
    refuse_special(path, writing=False)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotAFile(f"{path} is {_kind(info.st_mode)}, not a file I can read")
        held = info.st_size
        chunks = []
        if held <= limit:
            os.set_blocking(fd, True)
            held = 0
            while held <= limit and (chunk := os.read(fd, min(1 << 20, limit + 1 - held))):
                chunks.append(chunk)
                held += len(chunk)
        if held > limit:
            raise TooLarge(f"{path} is larger than I read (the most is {size_words(limit)})")
        return b"".join(chunks)
    finally:
        os.close(fd)


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
