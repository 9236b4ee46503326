"""The phrase table: a language's templates expanded into phrases, grouped for ranking.

The fuzzy layer (understand/fuzzy.py) ranks what was heard against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

FREE_SLOTS = ("text", "query", "tag")
Span = tuple[str, int, int]  # a free slot: name, first word, word after the last
Group = tuple[tuple["Phrase", ...], tuple[str, ...]]  # phrases and their texts


class Phrase(NamedTuple):
    """One way of saying an intent (a tuple: a language has over ten thousand, made at
    every start).

    With a free slot, `words` are its trigger words, and the free text comes
    after them (or before, if `slot_first`).
    """

    intent: str
    words: tuple[str, ...]
    slot: str | None = None
    slot_first: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True)
class PhraseTable:
    """Phrases grouped for rapidfuzz: plain ones, and trigger words by length."""

    plain: tuple[Phrase, ...]
    plain_texts: tuple[str, ...]
    heads: dict[int, Group]  # free text after the trigger words
    tails: dict[int, Group]  # free text before them

    @classmethod
    def from_phrases(cls, phrases: list[Phrase]) -> PhraseTable:
        unique = list(dict.fromkeys(phrases))
        plain = tuple(p for p in unique if p.slot is None)

        def grouped(first: bool) -> dict[int, Group]:
            groups: dict[int, list[Phrase]] = {}
            for p in unique:
                if p.slot and p.slot_first == first:
                    groups.setdefault(len(p.words), []).append(p)
            return {n: (tuple(g), tuple(p.text for p in g)) for n, g in sorted(groups.items())}

        return cls(plain, tuple(p.text for p in plain), grouped(False), grouped(True))

    def to_data(self, key: str) -> dict[str, Any]:
        """The table as JSON data, for `key` (the templates it was expanded from)."""
        names = sorted({p.intent for p in self.phrases()})
        at = {name: i for i, name in enumerate(names)}

        def rows(groups: dict[int, Group]) -> list[list[Any]]:
            return [[at[p.intent], p.slot, p.text] for g, _ in groups.values() for p in g]

        return {"key": key, "intents": names, "plain": [[at[p.intent], p.text] for p in self.plain],
                "heads": rows(self.heads), "tails": rows(self.tails)}

    @classmethod
    def from_data(cls, data: Any, key: str) -> PhraseTable | None:
        """The table `to_data` wrote for `key`; None if it is for other templates or is not
        such a table."""
        try:
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            names = [str(name) for name in data["intents"]]
            plain = tuple(Phrase(names[i], tuple(text.split())) for i, text in data["plain"])

            def grouped(rows: list[list[Any]], first: bool) -> dict[int, Group]:
                groups: dict[int, list[Phrase]] = {}
                for i, slot, text in rows:
                    if slot not in FREE_SLOTS:
                        raise ValueError(slot)
                    words = tuple(text.split())
                    groups.setdefault(len(words), []).append(Phrase(names[i], words, slot, first))
                return {n: (tuple(g), tuple(p.text for p in g)) for n, g in sorted(groups.items())}

            return cls(plain, tuple(p.text for p in plain), grouped(data["heads"], False),
                       grouped(data["tails"], True))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            return None

    def phrases(self) -> Iterator[Phrase]:
        """Every phrase: the plain ones, then those with free text after, then before."""
        yield from self.plain
        for groups in (self.heads, self.tails):
            for group, _ in groups.values():
                yield from group
