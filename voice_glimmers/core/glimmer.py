"""One glimmer: the record every part shares, the rules for its text, and its search words."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from voice_glimmers.core.errors import InvalidText

SOURCES = ("voice", "text", "import")
MAX_TEXT_LENGTH = 2000
# Control characters are not words: C0 (but tab, line feed and carriage return, which
# are white space), DEL and C1 (U+0080 to U+009F: never typed, and many terminals take
# U+009B as the start of an escape). Everything else is kept as given, and shown safely
# by core.display.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[\w']+")
LITTLE_WORDS = frozenset(
    "a an the my our your his her their of with about and or to in on at for from".split()
)


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

    def to_record(self) -> dict[str, Any]:
        """The stored shape: to_dict without the id (TinyDB's doc id) or empty fields."""
        record = self.to_dict()
        del record["id"]
        if record["confidence"] is None:
            del record["confidence"]
        if self.deleted_at is not None:
            record["deleted_at"] = self.deleted_at.isoformat()
        return record


def validate_text(text: str) -> str:
    """The glimmer's words, trimmed; InvalidText when they cannot be kept as a glimmer."""
    if not isinstance(text, str):
        raise InvalidText("A glimmer needs to be text")
    if "\x00" in text:
        raise InvalidText("That text holds a NUL character (\\0), which a glimmer cannot keep")
    text = text.strip()
    if not text:
        raise InvalidText("That glimmer is empty; it needs a few words")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidText(
            f"That glimmer is {len(text):,} characters long; a glimmer can hold up to "
            f"{MAX_TEXT_LENGTH:,}"
        )
    if _CONTROL.search(text):
        raise InvalidText("That text holds control characters, which a glimmer cannot keep")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidText("That text holds bytes that are not valid UTF-8") from None
    return text


_ALTERNATIVES = re.compile(r"\s*(?:,|\band\b|\bor\b|&)\s*")
_FORM_ENDINGS = ("", "e", "s", "es", "d", "ed", "ing", "er", "ers", "y")
_COMPOUND_AT = 4  # letters; a word this long is also found at the end of another
_COMPOUND_HEAD = 3  # after a word of at least this many (bird: blackbird; rain: not brain)


def search_alternatives(query: str) -> list[frozenset[str]]:
    """What a search looks for: each part of the query said with "and", "or" or a comma
    ("my dog and the cat" -> dog; cat), as its words without little ones; a glimmer is
    found by any part, holding every word of it."""
    parts = []
    for said in _ALTERNATIVES.split(query.lower()):
        wanted = search_words(said)
        wanted = (wanted - LITTLE_WORDS) or wanted
        if wanted and frozenset(wanted) not in parts:
            parts.append(frozenset(wanted))
    if len(parts) > 1 and not any(w - LITTLE_WORDS for w in parts):
        return [frozenset(search_words(query))]  # "and", "or" only around little words
    return parts


class Vocabulary:
    """Every word some glimmers hold, sorted forwards and backwards, so the forms of a
    word are found by bisection: itself, with an ending (walk: walked, walking; bake:
    baked), or ending in it (bird: blackbird). Words are only ever added."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._words: set[str] = set()
        self._forwards: list[str] = []
        self._backwards: list[str] = []
        self.add(words)

    def add(self, words: Iterable[str]) -> None:
        new = set(words) - self._words
        if len(new) > len(self._words) // 8:  # many: sort again, once
            self._words |= new
            self._forwards = sorted(self._words)
            self._backwards = sorted(w[::-1] for w in self._words)
            return
        for word in new:
            self._words.add(word)
            bisect.insort(self._forwards, word)
            bisect.insort(self._backwards, word[::-1])

    def forms(self, word: str) -> frozenset[str]:
        bases = {word}
        for ending in ("ing", "ed"):
            if word.endswith(ending) and len(word) > len(ending) + 2:
                base = word[: -len(ending)]
                bases.add(base)
                if len(base) > 2 and base[-1] == base[-2]:
                    bases.add(base[:-1])  # running: run
        found = {word}
        for base in bases:
            found.update(seen for seen in _starting(self._forwards, base)
                         if seen[len(base):] in _FORM_ENDINGS)
            if len(base) >= _COMPOUND_AT:
                found.update(seen[::-1] for seen in _starting(self._backwards, base[::-1])
                             if len(seen) - len(base) >= _COMPOUND_HEAD)
        return frozenset(found)


def _starting(ordered: list[str], prefix: str) -> Iterator[str]:
    """The words of a sorted list that start with `prefix`."""
    at = bisect.bisect_left(ordered, prefix)
    while at < len(ordered) and ordered[at].startswith(prefix):
        yield ordered[at]
        at += 1


def word_forms(word: str, vocabulary: Iterable[str]) -> frozenset[str]:
    """The words of `vocabulary` that are a form of `word` (see Vocabulary)."""
    return Vocabulary(vocabulary).forms(word)


def search_words(text: str) -> set[str]:
    """Lower-case words, with simple plural endings taken off (dogs -> dog, berries -> berry)."""
    stems = set()
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        word = word.strip("'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes", "zes")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word:
            stems.add(word)
    return stems
