"""Glimmers written out and read back: the calm list, Markdown, CSV and JSON.

Everything here is text in, text out. The JSON and CSV forms round-trip exactly:
export, import into a fresh database, export again, and the bytes are the same.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any

from voice_glimmers.core.clock import glimmer_day
from voice_glimmers.core.days import long_date
from voice_glimmers.core.display import json_printable, printable
from voice_glimmers.core.errors import GlimmersError
from voice_glimmers.core.glimmer import MAX_TEXT_LENGTH, SOURCES, Glimmer, validate_text
from voice_glimmers.views.summary import markdown_text, tag_label

CSV_COLUMNS = ("id", "text", "created_at", "day", "source", "confidence", "tags")
_TAG_SEPARATOR = ";"
_GUARD = "'"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", _GUARD)
"""A CSV cell starting with one of these is written after an apostrophe, so that a
spreadsheet never runs it as a formula (OWASP's CSV injection); one already starting
with an apostrophe gets one too, so that import takes exactly one off again."""


def _guarded(cell: str) -> str:
    return _GUARD + cell if cell.startswith(_FORMULA_STARTS) else cell


def _unguarded(cell: str) -> str:
    return cell[1:] if cell.startswith(_GUARD) and cell[1:].startswith(_FORMULA_STARTS) else cell


def _by_day(glimmers: Iterable[Glimmer]) -> list[Glimmer]:
    return sorted(glimmers, key=lambda g: (g.day, g.created_at, g.id))


def to_json(glimmers: Iterable[Glimmer]) -> str:
    """A JSON array of Glimmer.to_dict objects (the shape of `list --json`); what would move
    a terminal is written as a \\u escape, which a program reads as the same words."""
    return json_printable(
        json.dumps([g.to_dict() for g in glimmers], ensure_ascii=False, indent=2) + "\n"
    )


def to_csv(glimmers: Iterable[Glimmer]) -> str:
    out = io.StringIO()
    # RFC 4180 line ends: a cell holding a carriage return is then quoted too, and read back
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for g in glimmers:
        writer.writerow([
            g.id, _guarded(g.text), g.created_at.isoformat(), g.day.isoformat(), g.source,
            "" if g.confidence is None else repr(g.confidence),
            _guarded(_TAG_SEPARATOR.join(g.tags)),
        ])
    return out.getvalue()


def to_markdown(glimmers: Iterable[Glimmer]) -> str:
    lines = ["# Glimmers", ""]
    for day, group in groupby(_by_day(glimmers), key=lambda g: g.day):
        lines += [f"## {long_date(day)}", ""]
        for g in group:
            # as the therapy summary: the words shown, never markup, HTML or an image
            labels = ", ".join(markdown_text(tag_label(t)) for t in g.tags)
            tags = f" *({labels})*" if g.tags else ""
            lines.append(f"- {g.created_at:%H:%M} {markdown_text(g.text)}{tags}")
        lines.append("")
    return "\n".join(lines)


SET_ASIDE = "(set aside)"


def to_listing(glimmers: list[Glimmer], set_aside: frozenset[int] = frozenset()) -> str:
    """For the terminal: grouped by day, each line the id, the time and the words; the ids
    in `set_aside` (kept, never read back as glimmers) marked, and the mark explained."""
    width = len(str(max((g.id for g in glimmers), default=0)))
    blocks = []
    for day, group in groupby(_by_day(glimmers), key=lambda g: g.day):
        rows = [f"  {g.id:>{width}}  {g.created_at:%H:%M}  {printable(g.text)}"
                + (f"  {SET_ASIDE}" if g.id in set_aside else "") for g in group]
        blocks.append("\n".join([long_date(day), *rows]))
    if any(g.id in set_aside for g in glimmers):
        blocks.append(f"{SET_ASIDE}: kept in your file, but not read back as a glimmer.")
    return "\n\n".join(blocks) + "\n" if blocks else ""


# --- reading back ------------------------------------------------------------


def read_glimmers(
    text: str, *, name: str = "the file", day_start_hour: int = 4, now: datetime | None = None
) -> list[Glimmer]:
    """Glimmers from a JSON or CSV export (told apart by the first character).

    Each entry is judged as `add` judges what is typed (words that can be kept, a moment
    already lived by `now`, when given); the first that is not says which it is, by its
    entry in JSON or its row in CSV (the header is row 1, as a spreadsheet shows it).
    """
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except RecursionError:
            raise GlimmersError(f"{name} is nested too deeply to be a glimmer export") from None
        except ValueError as err:
            raise GlimmersError(f"{name} is not readable JSON ({err})") from None
        if not isinstance(entries, list):
            raise GlimmersError(f"{name} should hold a JSON array of glimmers")
        numbered = [(f"entry {n}", entry) for n, entry in enumerate(entries, start=1)]
    else:
        numbered = _csv_entries(text, name)
    glimmers = []
    for where, entry in numbered:
        try:
            glimmers.append(_glimmer_from_entry(entry, day_start_hour, now))
        except (GlimmersError, KeyError, TypeError, ValueError, AttributeError) as err:
            problem = f"missing {err}" if isinstance(err, KeyError) else str(err)
            raise GlimmersError(f"{name}, {where}: {problem[:1].lower()}{problem[1:]}") from None
    return glimmers


def _csv_entries(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    """The rows of a CSV export as entries, each with its row ("row 2" is the first)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        columns = next(reader, [])
    except csv.Error as err:
        raise GlimmersError(f"{name}, row 1: {_csv_problem(err)}") from None
    if not {"text", "created_at"} <= set(columns):
        raise GlimmersError(
            f"{name} is neither a JSON export nor a CSV with text and created_at columns"
        )
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise GlimmersError(f"{name} has the column {twice[0]} twice; keep only one")
    rows: list[tuple[str, dict[str, Any]]] = []
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if len(row) > len(columns):
                raise GlimmersError(f"{name}, row {number}: it has more columns than the header")
            if row:  # a blank line is no glimmer, but still a row
                rows.append((f"row {number}", _from_csv_row(dict(zip(columns, row, strict=False)))))
    except csv.Error as err:  # in the row after the last one read
        raise GlimmersError(f"{name}, row {number + 1}: {_csv_problem(err)}") from None
    return rows


def _csv_problem(err: csv.Error) -> str:
    message = str(err)
    if "field limit" in message:
        return (f"a cell is too long (over {csv.field_size_limit():,} characters); "
                f"a glimmer holds up to {MAX_TEXT_LENGTH:,}")
    if "end of data" in message:
        return 'a quote (") is opened there and never closed'
    return f"it is not well-formed CSV ({message})"


def _from_csv_row(row: dict[str, Any]) -> dict[str, Any]:
    tags = _unguarded(row.get("tags") or "")
    entry = {
        **row,
        "id": row.get("id") or 0,
        "confidence": row.get("confidence") or None,
        "tags": [t for t in tags.split(_TAG_SEPARATOR) if t],
    }
    if "text" in row:
        entry["text"] = _unguarded(row["text"])
    return entry


_MOMENT_HINT = "a date and time like 2026-11-27T10:00:00+00:00"


def _moment(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"created_at should be {_MOMENT_HINT}, in quotes")
    try:
        created = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return created.astimezone() if created.tzinfo is None else created
    except ValueError:
        raise ValueError(f"created_at '{value}' is not {_MOMENT_HINT}") from None
    except (OverflowError, OSError):
        raise ValueError(f"created_at '{value}' is too far from today") from None


def _glimmer_from_entry(entry: Any, day_start_hour: int, now: datetime | None) -> Glimmer:
    if not isinstance(entry, dict):
        raise ValueError("not a glimmer object")
    if not isinstance(entry["text"], str):
        raise ValueError("the text should be words in quotes")
    text = validate_text(entry["text"])  # as add judges what is typed
    created = _moment(entry["created_at"])
    if now is not None and created - timedelta(minutes=1) > now:
        raise ValueError(f"created_at '{entry['created_at']}' has not happened yet; "
                         "a glimmer is a moment already lived")
    day = entry.get("day")
    if day is not None and not isinstance(day, str):
        raise ValueError("day should be a date like 2026-11-27, in quotes")
    tags = entry.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags should be a list of words")
    source = entry.get("source")
    confidence = entry.get("confidence")
    try:
        confidence = None if confidence is None else float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"confidence '{confidence}' should be a number from 0 to 1") from None
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence {confidence} is not between 0 and 1")
    try:
        number = int(entry.get("id") or 0)
    except (TypeError, ValueError):
        raise ValueError(f"id '{entry.get('id')}' is not a whole number") from None
    return Glimmer(
        id=number,
        text=text,
        created_at=created,
        day=date.fromisoformat(day) if day else glimmer_day(created, day_start_hour),
        source=source if source in SOURCES else "import",
        confidence=confidence,
        tags=tuple(tags),
    )
