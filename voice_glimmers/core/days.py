"""Days: ranges of glimmer days, and the one way a day is written on screen and in files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of glimmer days, and perhaps a part of each ("yesterday morning")."""

    start: date
    end: date
    part: str | None = None  # one of PARTS

    def to_dict(self) -> dict[str, str]:
        found = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.part:
            found["part"] = self.part
        return found

    def holds(self, moment: datetime, day: date) -> bool:
        """Whether a glimmer of glimmer day `day` saved at `moment` is in the part named
        (if any). Saved after midnight, it belongs to the day before's night, whatever hour
        that day starts at."""
        if self.part is None:
            return True
        first, last = PARTS[self.part]
        hour = moment.hour + moment.minute / 60
        if day < moment.date():  # after midnight, still the glimmer day before
            hour += 24
        return first <= hour < last

    @property
    def is_everything(self) -> bool:
        return self.start == date.min

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


PARTS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "night": (18, 48)}
"""Parts of a day, in hours of the clock where the glimmer was saved, counted from the
midnight that starts its glimmer day (a glimmer at 01:00 that belongs to the day before,
as glimmer days do, is at hour 25 of it: that day's night)."""


def long_date(day: date) -> str:
    """'Friday 27 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'27 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def weekday_date(day: date) -> str:
    """'Friday 27 November'."""
    return f"{day:%A} {day.day} {day:%B}"
