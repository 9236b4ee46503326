"""The screen: what some words are, before anything is kept or read back as a glimmer.

The question is not "is this on a list of bad things?" but "is this clearly a good
moment?". Two kinds of evidence meet here:

- the language's phrase lists (safety.yaml), for what is said in so many words;
- a sentence model tuned on labelled examples (screen/*.yaml), for the many ways of
  saying the same thing that no list foresees.

Danger outranks everything: the lists, or a sentence, or any one of its clauses, at all
likely danger, and it is danger. Then refusals and empty answers, then
hard feelings (with something good after a turn, "but the tea was warm": mixed, which is
asked about, naming the good part), and only a sentence clearly a good moment is a
glimmer. Anything in between is unclear, and the dialogue asks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum

from voice_glimmers.core.protocols import Likeness
from voice_glimmers.core.words import plain_words, tokens
from voice_glimmers.language.lexicon import Lexicon
from voice_glimmers.language.safety import Signs

DANGER_AT = 0.30  # this likely danger, and it is danger: a false alarm costs a kind sentence
# One clause, heard without the rest of its sentence, is danger from this sure: out of
# context a clause is easily mistaken ("the fireworks shot up"), danger said plainly is not.
CLAUSE_DANGER_AT = 0.90
GLIMMER_AT = 0.50  # a glimmer is at least this likely a good moment...
JUDGED_KEPT = 4096  # verdicts remembered (a read-back screens the same texts again and again)
GOOD = ("glimmer", "alarming_ordinary")  # ...of either kind: plain, or with alarming words
MIXED_GOOD_AT = 0.10  # a hard sentence with a turn ("but", "then") and this much good: mixed


class Content(Enum):
    GLIMMER = "glimmer"  # a moment of safety, calm or connection: keep it
    DANGER = "danger"  # someone may be in danger: the crisis answer, nothing kept
    HARD = "hard"  # a hard feeling, hostility, sarcasm: met gently, nothing kept
    MIXED = "mixed"  # something hard and something good: asked before keeping
    NOTHING = "nothing"  # a refusal, "i dont know", a filler: nothing to keep
    UNCLEAR = "unclear"  # not clearly a glimmer: asked


@dataclass(frozen=True)
class Verdict:
    content: Content
    why: str  # "list", "model", "rule": for the log, never for the person
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def is_glimmer(self) -> bool:
        return self.content is Content.GLIMMER


@dataclass(frozen=True)
class Screen:
    signs: Signs
    lexicon: Lexicon
    likeness: Likeness | None = None  # None: the phrase lists alone
    ignore: frozenset[str] = frozenset()  # the wake word's forms: no meaning of their own
    _judged: dict[str, Verdict] = field(default_factory=dict, compare=False, repr=False)

    def is_readable(self, text: str) -> bool:
        """May this saved glimmer be read back as one? Not if, by today's screen, it is
        danger or a hard feeling (it stays in the file, set aside, never deleted)."""
        return self.readable_of([text])[0]

    def readable_of(self, texts: list[str]) -> list[bool]:
        """is_readable() of many texts at once (see judge_all)."""
        return [v.content not in (Content.DANGER, Content.HARD) for v in self.judge_all(texts)]

    def good_part(self, text: str) -> str:
        """The good part of something hard and good, in their own words: the piece after a
        turning word ('...but the tea was warm') that reads most like a glimmer."""
        pieces = self._pieces(text)
        pieces = [p for p in pieces if not self.signs.is_hard_feeling(p)] or pieces
        if not pieces:
            return text
        if self.likeness is None or len(pieces) == 1:
            return pieces[-1]
        scored = self.likeness.scores_of([" ".join(plain_words(piece)) for piece in pieces])
        goodness = [sum(p.get(kind, 0.0) for kind in GOOD) - p.get("hard", 0.0)
                    - p.get("danger", 0.0) for p in scored]
        return pieces[goodness.index(max(goodness))]

    def _pieces(self, text: str) -> list[str]:
        """The text cut at its turning words ('awful day', 'the tea was warm')."""
        found = tokens(text)
        return [text[found[first].start:found[last - 1].end]
                for first, last in _between([t.word for t in found], self.lexicon.turning_words)]

    def is_danger(self, text: str) -> bool:
        return self.judge(text).content is Content.DANGER

    def judge(self, text: str) -> Verdict:
        """What `text` is, as a candidate glimmer."""
        if text not in self._judged:
            self._judge_all([text])
        return self._judged[text]

    def judge_all(self, texts: list[str]) -> list[Verdict]:
        """judge() of many texts (a listing, a read-back), the model run on them in batches:
        several times faster than one by one."""
        verdicts = []
        for first in range(0, len(texts), JUDGED_KEPT // 2):
            chunk = texts[first:first + JUDGED_KEPT // 2]
            self._judge_all(chunk)
            verdicts += [self._judged[text] for text in chunk]
        return verdicts

    def _judge_all(self, texts: list[str]) -> None:
        todo = list(dict.fromkeys(t for t in texts if t not in self._judged))
        self._make_room(len(todo), keep=set(texts))
        words = [[w for w in plain_words(text) if w not in self.ignore] for text in todo]
        clauses = [self._clauses(these) for these in words]
        joined = list(dict.fromkeys([" ".join(these) for these in words if these]
                                    + [c for found in clauses for c in found]))
        scored = dict(zip(joined, self.likeness.scores_of(joined), strict=True)) \
            if self.likeness and joined else {}
        for text, these, found in zip(todo, words, clauses, strict=True):
            verdict = self._judge(text, these, scored.get(" ".join(these), {}))
            if verdict.content is not Content.DANGER and any(
                    scored.get(c, {}).get("danger", 0.0) >= CLAUSE_DANGER_AT for c in found):
                verdict = Verdict(Content.DANGER, "model, a clause", verdict.scores)
            self._judged[text] = verdict

    def _make_room(self, count: int, keep: set[str]) -> None:
        """Forget the verdicts used longest ago (not those in `keep`), so that `count` more
        fit: a long listening day never stops to judge everything again at once."""
        for text in keep & self._judged.keys():  # used again now: the last to go
            self._judged[text] = self._judged.pop(text)
        over = len(self._judged) + count - JUDGED_KEPT
        if over > 0:
            oldest = [t for t in itertools.islice(self._judged, over + len(keep))
                      if t not in keep][:over]
            for text in oldest:
                del self._judged[text]

    def _clauses(self, words: list[str]) -> list[str]:
        """The clauses of a sentence that has more than one ("..., and then i cut myself"),
        for danger told beside something good; none for a sentence of one clause."""
        pieces = [" ".join(words[first:last])
                  for first, last in _between(words, self.lexicon.clause_words)]
        return pieces if len(pieces) > 1 else []

    def _judge(self, text: str, words: list[str], p: dict[str, float]) -> Verdict:
        if self.signs.is_crisis(text):  # said in so many words: danger, whatever else
            return Verdict(Content.DANGER, "list", p)
        if p.get("danger", 0.0) >= DANGER_AT:
            return Verdict(Content.DANGER, "model", p)
        if not words or self.signs.is_no_answer(text) or self.signs.is_none_found(text):
            return Verdict(Content.NOTHING, "list", p)
        turns = not self.lexicon.turning_words.isdisjoint(words)
        if self.signs.is_hard_feeling(text):
            mixed = turns and (not p or max(p, key=lambda kind: p[kind]) == "mixed")
            return Verdict(Content.MIXED if mixed else Content.HARD, "list", p)
        if not p:
            return Verdict(Content.GLIMMER, "list")
        good = sum(p.get(kind, 0.0) for kind in GOOD)
        best = max(p, key=lambda kind: p[kind])
        if best == "refusal":
            return Verdict(Content.NOTHING, "model", p)
        if best == "mixed" or (turns and best == "hard" and good >= MIXED_GOOD_AT):
            if turns:
                return Verdict(Content.MIXED, "model", p)
            hard = p.get("hard", 0.0) + p.get("danger", 0.0)
            return Verdict(Content.HARD if hard > good else Content.UNCLEAR, "model", p)
        if best == "hard":
            return Verdict(Content.HARD, "model", p)
        if good >= GLIMMER_AT:
            return Verdict(Content.GLIMMER, "model", p)
        return Verdict(Content.UNCLEAR, "model", p)


def _between(words: list[str], cuts: frozenset[str]) -> list[tuple[int, int]]:
    """The (first, last) index ranges of the runs of words between words in `cuts`."""
    at = [i for i, word in enumerate(words) if word in cuts]
    return [(first + 1, last) for first, last in zip([-1, *at], [*at, len(words)], strict=True)
            if last - first > 1]
