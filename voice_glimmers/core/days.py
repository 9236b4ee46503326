"""Days: ranges of glimmer days, and the one way a day is written on screen and in files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DateRange:
    """An inclusive range of glimmer days."""

    start: date
    end: date

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @property
    def is_everything(self) -> bool:
        return self.start == date.min

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def long_date(day: date) -> str:
    """'Friday 27 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    """'27 November 2026'."""
    return f"{day.day} {day:%B %Y}"


def weekday_date(day: date) -> str:
    """'Friday 27 November'."""
    return f"{day:%A} {day.day} {day:%B}"
