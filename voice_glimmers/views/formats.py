"""Glimmers written out and read back: the calm list, Markdown, CSV and JSON.

Everything here is text in, text out. The JSON and CSV forms round-trip exactly:
export, import into a fresh database, export again, and the bytes are the same.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from itertools import groupby
from typing import Any

from voice_glimmers.core.clock import glimmer_day
from voice_glimmers.core.days import long_date
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.core.glimmer import SOURCES, Glimmer
from voice_glimmers.views.summary import tag_label

CSV_COLUMNS = ("id", "text", "created_at", "day", "source", "confidence", "tags")
_TAG_SEPARATOR = ";"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _by_day(glimmers: Iterable[Glimmer]) -> list[Glimmer]:
    return sorted(glimmers, key=lambda g: (g.day, g.created_at, g.id))


def to_json(glimmers: Iterable[Glimmer]) -> str:
    """A JSON array of Glimmer.to_dict objects (the shape of `list --json`)."""
    return json.dumps([g.to_dict() for g in glimmers], ensure_ascii=False, indent=2) + "\n"


def to_csv(glimmers: Iterable[Glimmer]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for g in glimmers:
        writer.writerow([
            g.id, g.text, g.created_at.isoformat(), g.day.isoformat(), g.source,
            "" if g.confidence is None else repr(g.confidence), _TAG_SEPARATOR.join(g.tags),
        ])
    return out.getvalue()


def to_markdown(glimmers: Iterable[Glimmer]) -> str:
    lines = ["# Glimmers", ""]
    for day, group in groupby(_by_day(glimmers), key=lambda g: g.day):
        lines += [f"## {long_date(day)}", ""]
        for g in group:
            tags = f" *({', '.join(tag_label(t) for t in g.tags)})*" if g.tags else ""
            lines.append(f"- {g.created_at:%H:%M} {_one_line(g.text)}{tags}")
        lines.append("")
    return "\n".join(lines)


SET_ASIDE = "(set aside)"


def to_listing(glimmers: list[Glimmer], set_aside: frozenset[int] = frozenset()) -> str:
    """For the terminal: grouped by day, each line the id, the time and the words; the ids
    in `set_aside` (kept, never read back as glimmers) marked, and the mark explained."""
    width = len(str(max((g.id for g in glimmers), default=0)))
    blocks = []
    for day, group in groupby(_by_day(glimmers), key=lambda g: g.day):
        rows = [f"  {g.id:>{width}}  {g.created_at:%H:%M}  {_one_line(g.text)}"
                + (f"  {SET_ASIDE}" if g.id in set_aside else "") for g in group]
        blocks.append("\n".join([long_date(day), *rows]))
    if any(g.id in set_aside for g in glimmers):
        blocks.append(f"{SET_ASIDE}: kept in your file, but not read back as a glimmer.")
    return "\n\n".join(blocks) + "\n" if blocks else ""


# --- reading back ------------------------------------------------------------


def read_glimmers(text: str, *, name: str = "the file", day_start_hour: int = 4) -> list[Glimmer]:
    """Glimmers from a JSON or CSV export (told apart by the first character)."""
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except ValueError as err:
            raise GlimmersError(f"{name} is not readable JSON ({err})") from None
        where = "entry"
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = list(reader)
        if not {"text", "created_at"} <= set(reader.fieldnames or ()):
            raise GlimmersError(
                f"{name} is neither a JSON export nor a CSV with text and created_at columns"
            )
        entries = [_from_csv_row(row) for row in rows]
        where = "row"
    if not isinstance(entries, list):
        raise GlimmersError(f"{name} should hold a JSON array of glimmers")
    glimmers = []
    for number, entry in enumerate(entries, start=1):
        try:
            glimmers.append(_glimmer_from_entry(entry, day_start_hour))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            problem = f"missing {err}" if isinstance(err, KeyError) else str(err)
            raise GlimmersError(f"{name}, {where} {number}: {problem}") from None
    return glimmers


def _from_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    tags = row.get("tags") or ""
    return {
        **row,
        "id": row.get("id") or 0,
        "confidence": row.get("confidence") or None,
        "tags": [t for t in tags.split(_TAG_SEPARATOR) if t],
    }


def _glimmer_from_entry(entry: Any, day_start_hour: int) -> Glimmer:
    if not isinstance(entry, dict):
        raise ValueError("not a glimmer object")
    created = datetime.fromisoformat(str(entry["created_at"]).replace("Z", "+00:00"))
    if created.tzinfo is None:
        created = created.astimezone()
    day = entry.get("day")
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags should be a list of words")
    source = entry.get("source")
    confidence = entry.get("confidence")
    if confidence is not None and not 0.0 <= float(confidence) <= 1.0:
        raise ValueError(f"confidence {confidence} is not between 0 and 1")
    return Glimmer(
        id=int(entry.get("id") or 0),
        text=str(entry["text"]),
        created_at=created,
        day=date.fromisoformat(day) if day else glimmer_day(created, day_start_hour),
        source=source if source in SOURCES else "import",
        confidence=None if confidence is None else float(confidence),
        tags=tuple(tags),
    )
