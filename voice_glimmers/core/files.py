"""Writing a file so that it is either all there or not at all, and saying why a write failed.

The one discipline every file voice-glimmers writes follows (the database, its
backups, exports, the garden, spoken WAVs): a private temporary file beside the
target, synced, renamed into place, and the folder synced. It lives in core, the
one stage every other can reach, and needs nothing beyond the standard library.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

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
