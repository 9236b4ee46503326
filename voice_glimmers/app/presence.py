"""Whether `listen` is running for this glimmer file, so that two voices never speak at
once: a timer's `reflect --speak` (the README's cron line) stays quiet while `listen`,
which makes its own evening offer, is running.

`listen` holds a lock on `<db>.listening` while it runs; the system lets go of it when the
process ends, however it ends, so a killed `listen` never leaves `reflect` silent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)


def _mark(db_path: Path) -> Any:
    from filelock import FileLock

    return FileLock(f"{db_path}.listening", mode=0o600)


@contextmanager
def listening(db_path: Path) -> Iterator[None]:
    """Held for as long as `listen` runs. Best effort: a folder that cannot hold the mark,
    or a second `listen` already holding it, only means the mark is not (re)made."""
    from filelock import Timeout

    mark = _mark(db_path)
    try:
        mark.acquire(timeout=0)
    except (Timeout, OSError) as err:
        _LOGGER.debug("no listening mark beside %s: %s", db_path, err)
        yield
        return
    try:
        yield
    finally:
        mark.release()


def is_listening(db_path: Path) -> bool:
    """Is a `listen` running for this glimmer file (holding its mark)?"""
    from filelock import Timeout

    if not Path(f"{db_path}.listening").exists():
        return False
    mark = _mark(db_path)
    try:
        mark.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:
        return False
    mark.release()
    return False
