"""Where the time comes from: the system clock, or one pinned with --now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from voice_glimmers.core.errors import GlimmersError

Clock = Callable[[], datetime]
"""A callable returning the current, timezone-aware time."""


def system_clock() -> datetime:
    """The current local time, timezone-aware."""
    return datetime.now().astimezone()


@dataclass(frozen=True)
class PinnedClock:
    """A clock stopped at one moment (for --now, demos and tests)."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def parse_moment(text: str) -> datetime:
    """Parse an ISO 8601 moment; a moment without an offset is taken as local time."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise GlimmersError(
            f"'{text}' is not a date and time I understand; try e.g. 2026-11-27T20:30"
        ) from None
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()
        glimmer_day(moment, 23)  # its glimmer day must be on the calendar too
    except (GlimmersError, ValueError, OverflowError, OSError):
        raise GlimmersError(
            f"'{text}' is too far from today for me to work with; try e.g. 2026-11-27T20:30"
        ) from None
    return moment


def glimmer_day(moment: datetime, day_start_hour: int = 4) -> date:
    """The glimmer day a moment belongs to: a day starts at day_start_hour, local time.

    So with the default of 04:00, a glimmer at 00:30 belongs to the evening before.
    """
    try:
        return (moment - timedelta(hours=day_start_hour)).date()
    except (ValueError, OverflowError, OSError):
        raise GlimmersError(
            f"{moment.isoformat(timespec='minutes')} is too far from today for me to work with"
        ) from None
