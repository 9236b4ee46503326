"""The phrase table: a language's templates expanded into phrases, grouped for ranking.

The fuzzy layer (understand/fuzzy.py) ranks what was heard against it.
"""

from __future__ import annotations

from dataclasses import dataclass

FREE_SLOTS = ("text", "query", "tag")
Span = tuple[str, int, int]  # a free slot: name, first word, word after the last
Group = tuple[tuple["Phrase", ...], tuple[str, ...]]  # phrases and their texts


@dataclass(frozen=True)
class Phrase:
    """One way of saying an intent.

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
