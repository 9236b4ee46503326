"""What the keyboard commands (add, list, undo, delete, export, import) share.

Opening the store for a command, reading WHEN words and --at moments from the
command line, and writing or reading the files a person names.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from voice_glimmers.clock import Clock, glimmer_day, parse_moment, system_clock
from voice_glimmers.config import Settings
from voice_glimmers.errors import GlimmersError, UnknownWhen
from voice_glimmers.storage import describe_os_error, write_atomically
from voice_glimmers.store import GlimmerStore
from voice_glimmers.when import DateRange, resolve_when

_LOGGER = logging.getLogger(__name__)

_ISO_DAYS = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|to)\s*(\d{4}-\d{2}-\d{2}))?$")
_WHEN_HINT = "try today, yesterday, 'this week', 'last month', a date like 2026-11-20, or all"


def open_store(settings: Settings, clock: Clock, notices: TextIO | None = None) -> GlimmerStore:
    """The person's store; anything it has to tell them (a restored backup) goes to stderr.

    Backups and set-aside files are named by the system clock, whatever `clock`
    (a pinned --now) says: a backup named in the future would win every recovery.
    """
    store = GlimmerStore.open(
        settings.db_path, day_start_hour=settings.day_start_hour, clock=system_clock
    )
    for notice in store.notices:
        print(notice, file=notices or sys.stderr)
    return store


def days_named(words: str, today: date, *, week_start: int = 0) -> DateRange:
    """The glimmer days that WHEN words name (or an ISO date, or FROM..TO); UnknownWhen if none."""
    text = " ".join(words.split()).lower()
    iso = _ISO_DAYS.match(text)
    if iso:
        try:
            start = date.fromisoformat(iso.group(1))
            end = date.fromisoformat(iso.group(2)) if iso.group(2) else start
        except ValueError:
            raise UnknownWhen(f"'{words}' is not a real date") from None
        if end < start:
            raise UnknownWhen(f"'{words}' ends before it starts")
        return DateRange(start, end)
    found = resolve_when(text, today, week_start=week_start) if text else None
    if found is None:
        raise UnknownWhen(f"'{words}' is not a day or range of days I know; {_WHEN_HINT}")
    return found


def moment_at(
    text: str, now: datetime, *, day_start_hour: int = 4, week_start: int = 0
) -> datetime:
    """When an `add --at` glimmer happened.

    An ISO 8601 moment is taken as it is. A day (a word like 'yesterday' or a
    date like 2026-11-20) means noon of that day; today, noon or now, whichever
    came first. A day still to come is refused, like a moment still to come.
    """
    today = glimmer_day(now, day_start_hour)
    is_moment = re.search(r"\d[T ]\d", text.strip()) is not None
    if not is_moment:
        span = days_named(text, today, week_start=week_start)
        if span.start != span.end:
            raise UnknownWhen(
                f"'{text}' is more than one day; for --at give one day or a moment, "
                "e.g. yesterday or 2026-11-20T18:00"
            )
        if span.start > today:
            raise UnknownWhen(
                f"'{text}' has not happened yet; a glimmer is a moment already lived"
            )
        moment = datetime.combine(span.start, time(12), tzinfo=now.tzinfo)
        if span.start == today:
            moment = min(moment, now)
    else:
        try:
            moment = parse_moment(text)
        except GlimmersError:
            raise UnknownWhen(
                f"'{text}' is not a moment I understand; try e.g. 2026-11-20T18:00 or yesterday"
            ) from None
    if moment - timedelta(minutes=1) > now:
        raise UnknownWhen(f"'{text}' has not happened yet; a glimmer is a moment already lived")
    return moment


def write_output(text: str, path: Path | None) -> None:
    """To stdout, or to `path` atomically (created private, 0600)."""
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = path.expanduser().absolute()
    try:
        os.close(write_atomically(target, text.encode("utf-8")))
    except OSError as err:
        raise GlimmersError(f"Could not write {path}: {describe_os_error(err)}") from None


def read_input(path: Path) -> str:
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise GlimmersError(f"{path} is not UTF-8 text") from None
    except OSError as err:
        problem = describe_os_error(err, missing="there is no such file")
        raise GlimmersError(f"Cannot read {path}: {problem}") from None
