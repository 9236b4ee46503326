"""Glimmers and the store that keeps them: TinyDB on an atomic, locked, backed-up file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SOURCES = ("voice", "text", "import")


@dataclass(frozen=True)
class Glimmer:
    """One small moment of safety, calm or connection, in the person's own words."""

    id: int
    text: str
    created_at: datetime  # timezone-aware
    day: date  # the glimmer day (a day starts at 04:00 by default)
    source: str = "text"  # one of SOURCES
    confidence: float | None = None  # speech recognition confidence, 0..1
    tags: tuple[str, ...] = field(default_factory=tuple)
    deleted_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (list --json, export --format json)."""
        return {
            "id": self.id,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "day": self.day.isoformat(),
            "source": self.source,
            "confidence": self.confidence,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Glimmer:
        deleted = data.get("deleted_at")
        return cls(
            id=int(data["id"]),
            text=str(data["text"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            day=date.fromisoformat(data["day"]),
            source=str(data.get("source") or "text"),
            confidence=None if data.get("confidence") is None else float(data["confidence"]),
            tags=tuple(data.get("tags") or ()),
            deleted_at=datetime.fromisoformat(deleted) if deleted else None,
        )
