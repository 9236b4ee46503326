"""What people say, as intents: load intents/<lang>/sentences/, `understand(text)`.

Templates are hassil YAML, one file per intent plus `_common.yaml` (skip words,
rules, words speech recognition mishears). Matching runs in layers, each only
when the one before found nothing:

1. hassil, strictly, on the words as heard (lower case, no punctuation or
   apostrophes), then with the time words ("from last week") taken out;
   When time words were taken out, list_glimmers and count_glimmers are tried
   first: "glimmer from last monday" asks for glimmers, it does not start one.
   Free text that is only time words ("from last monday") is never a glimmer
   or a search;
2. the same after mending words that sound like ours ("limmer" -> "glimmer");
3. hassil again without what people say around a request: lead-ins ("i think",
   "could you", "i would like to"), softeners anywhere ("really"), then also
   tail-offs ("for a bit", "to me"); free text keeps the words in between;
4. rapidfuzz against the expanded templates, re-scored word by word
   (phrase_table.py), with a threshold and a margin between the best and the
   second-best intent.

Before hassil runs, intents that cannot match are dropped: a template without
free text can only match words it contains, and an intent with free text needs
one of its anchors (each of its templates has one of them: "glimmer"). Free
text ({text}, {query}) is always cut from the words as heard, never from mended
ones, and keeps how it was written. Words are only mended when the words as
heard match nothing. Utterances of more than MAX_WORDS words are not understood.
Loading lives in language/intents.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.glimmer import LITTLE_WORDS
from voice_glimmers.core.words import Token, has_pictographs
from voice_glimmers.core.words import tokens as tokens_of
from voice_glimmers.language.intents import MAX_HEDGE_WORDS, Intents
from voice_glimmers.language.phrase_table import FREE_SLOTS, Span
from voice_glimmers.understand.fuzzy import rank
from voice_glimmers.understand.wake import forms_of
from voice_glimmers.understand.when import WhenSpan, find_when

_LOGGER = logging.getLogger(__name__)

FUZZY_THRESHOLD = 82.0  # below this, nothing matched
CAPTURE_THRESHOLD = 90.0  # a false capture writes a stranger's words into a journal
FUZZY_MARGIN = 6.0  # the best intent must beat the next one by this much
def _ends_a_sentence(intents: Intents, skip: tuple[str, ...], before: list[str]) -> bool:
    """Is this skip word, at the end, part of what was meant ('the sky was okay')?"""
    return (len(skip) == 1 and skip[0] in intents.sentence_end_words and bool(before)
            and before[-1] in intents.sentence_end_after)
MAX_WORDS = 80


@dataclass(frozen=True)
class Match:
    """An understood utterance: intent, slots ("text", "query", "tag", "when"), score 0..100."""

    intent: str
    slots: dict[str, Any]
    score: float
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The `understand --json` shape."""
        slots = {k: v.to_dict() if isinstance(v, DateRange) else v for k, v in self.slots.items()}
        return {"text": self.text, "intent": self.intent, "slots": slots,
                "score": round(self.score, 1)}


def mend(intents: Intents, words: list[str], known: frozenset[str]) -> list[str]:
    """Words that sound like ours replaced by ours, one for one."""
    from rapidfuzz import fuzz, process

    mended = []
    for word in words:
        if word in intents.misheard:
            word = intents.misheard[word]
        elif word not in known and len(word) >= 5 and word.isalpha():
            best = process.extractOne(word, known, scorer=fuzz.ratio, processor=None,
                                      score_cutoff=85)
            word = best[0] if best else word
        mended.append(word)
    return mended

def trim(intents: Intents, positions: list[int], words: list[str]) -> list[int]:
    """Positions of free text without hesitations or skip words at either end."""
    kept = [i for i in positions if words[i] not in intents.hesitations]
    changed = True
    while kept and changed:
        changed = False
        for skip in intents.skip_words:
            n = len(skip)
            if tuple(words[i] for i in kept[:n]) == skip:
                kept, changed = kept[n:], True
            elif (len(kept) >= n and tuple(words[i] for i in kept[-n:]) == skip
                  and not _ends_a_sentence(intents, skip, [words[i] for i in kept[:-n]])):
                kept, changed = kept[:-n], True
    return kept

def hedged(intents: Intents, words: list[str], where: list[int]) -> list[list[int]]:
    """`where` without softeners and one lead-in, then two..., then one tail-off, two...

    Only the versions that differ from `where` (and keep a word) are given,
    fewest words taken away first.
    """
    lead = list(where)
    stages = []
    while lead:
        if words[lead[0]] in intents.hesitations:
            lead = lead[1:]
            continue
        n = _starts_with([words[i] for i in lead[:MAX_HEDGE_WORDS]], intents.lead_ins)
        if not n or n == len(lead):
            break
        lead = lead[n:]
        stages.append(lead)
    stages = [[i for i in stage if words[i] not in intents.softeners]
              for stage in stages or [lead]]
    both = stages[-1]
    while both:
        last = [words[i] for i in reversed(both[-MAX_HEDGE_WORDS:])]
        n = _starts_with(last, intents.tail_offs)
        if not n or n == len(both):
            break
        both = both[:-n]
        stages.append(both)
    versions: list[list[int]] = []
    for version in stages:
        if version and version != where and version not in versions:
            versions.append(version)
    return versions

def strict(
    intents: Intents, words: list[str], prefer: tuple[str, ...] = (), but: str = ""
) -> tuple[str, Span | None] | None:
    """hassil's best match among the intents that can match these words (`but` one).

    Intents in `prefer` win over the others when they match at all.
    """
    from hassil import recognize_best

    plain = {w for w in words if w not in intents.hesitations}
    names = [name for name, vocab in intents.vocabulary.items()
             if name != but and (plain <= vocab if vocab is not None
                                 else _heard(intents.anchors[name], plain))]
    result = None
    for group in ([n for n in names if n in prefer], [n for n in names if n not in prefer]):
        if group and result is None:
            grammar = replace(intents.grammar,
                              intents={n: intents.grammar.intents[n] for n in group})
            result = recognize_best(" ".join(words), grammar)
    if result is None:
        return None
    for name in FREE_SLOTS:
        entity = result.entities.get(name)
        if entity is not None and entity.text_span is not None:
            return result.intent.name, _word_span(name, entity.text_span, words)
    return result.intent.name, None


def _heard(anchors: frozenset[str] | None, plain: set[str]) -> bool:
    """Whether one of an intent's anchors was heard (always, if it has none)."""
    return anchors is None or not anchors.isdisjoint(plain)


def _starts_with(words: list[str], phrases: dict[str, tuple[tuple[str, ...], ...]]) -> int:
    """How many of `words` the longest phrase they start with covers (0 if none).

    `phrases` maps a first word to the phrases (as word tuples) starting with it.
    """
    for phrase in phrases.get(words[0], ()) if words else ():
        if tuple(words[:len(phrase)]) == phrase:
            return len(phrase)
    return 0


def _free_text(text: str, tokens: list[Token], kept: list[int]) -> str:
    """The words at `kept` as they were written (case, commas), one space between runs,
    with the emoji written just before or after them ("a cat on my lap 😊")."""
    out = _pictographs_before(text, tokens, kept[0])
    for n, i in enumerate(kept):
        if n and kept[n - 1] == i - 1:
            between = text[tokens[i - 1][2]:tokens[i][1]]
            out += between if between.isprintable() else " "
        elif n:
            out += " "
        out += text[tokens[i][1]:tokens[i][2]]
    return " ".join((out + _pictographs_after(text, tokens, kept[-1])).split())


def _pictographs_before(text: str, tokens: list[Token], first: int) -> str:
    """'glimmer ☀️ sunshine': the emoji between the word before and the free text."""
    gap = text[tokens[first - 1][2] if first else 0:tokens[first][1]]
    at = next((n for n, char in enumerate(gap) if has_pictographs(char)), None)
    return "" if at is None else gap[at:]


def _pictographs_after(text: str, tokens: list[Token], last: int) -> str:
    """'a cat on my lap 😊': the emoji between the free text and the word after it."""
    gap = text[tokens[last][2]:tokens[last + 1][1] if last + 1 < len(tokens) else len(text)]
    ends = [n for n, char in enumerate(gap) if has_pictographs(char)]
    return gap[:ends[-1] + 1] if ends else ""


def _word_span(name: str, chars: tuple[int, int], words: list[str]) -> Span:
    """The words a character span of " ".join(words) covers."""
    first = last = None
    offset = 0
    for i, word in enumerate(words):
        if offset + len(word) > chars[0] and offset < chars[1]:
            first = i if first is None else first
            last = i
        offset += len(word) + 1
    if first is None or last is None:
        return name, 0, 0
    return name, first, last + 1


def understand(text: str, intents: Intents, *, today: date, week_start: int = 0) -> Match | None:
    """The intent and slots of one utterance, or None when it is not for us."""
    from rapidfuzz import fuzz

    tokens = tokens_of(text)
    words = [word for word, _, _ in tokens]
    if not words or len(words) > MAX_WORDS:
        return None
    when = find_when(" ".join(words), today, week_start=week_start)
    mended: list[list[str]] = []  # the words mended, once the words as heard matched nothing
    for source, drop, where, hedged in _attempts(intents, words, when, mended):
        found = strict(intents, [source[i] for i in where],
                       intents.registry.with_time_range if drop else ())
        if found is None:
            continue
        if hedged and found[1] is not None and source[where[0]] in intents.required[found[0]]:
            continue  # "i think glimmer is a lovely word": talk about the word, not a glimmer
        slots = _slots(intents, found[0], found[1], where, (text, tokens), when, today,
                       _outside(len(source), drop))
        if slots is None and found[1] is not None:  # its free text is unusable: the next best
            found = strict(intents, [source[i] for i in where],
                           intents.registry.with_time_range if drop else (), but=found[0])
            slots = None if found is None else _slots(intents, found[0], found[1], where,
                                                      (text, tokens), when, today,
                                                      _outside(len(source), drop))
        if found is not None and slots is not None:
            score = 100.0 if source is words else fuzz.ratio(" ".join(words), " ".join(source))
            return Match(found[0], slots, score, text)
    fixed = mended[0]
    where = _outside(len(fixed), when)
    fuzzy = _fuzzy(intents, [fixed[i] for i in where])
    if fuzzy is not None:
        intent, span, score = fuzzy
        slots = _slots(intents, intent, span, where, (text, tokens), when, today)
        if slots is not None:
            return Match(intent, slots, score, text)
    return None


def _attempts(
    intents: Intents, words: list[str], when: WhenSpan | None, mended: list[list[str]]
) -> Iterator[tuple[list[str], WhenSpan | None, list[int], bool]]:
    """What the strict matcher tries, in order: (words, time words left out, where, hedged).

    The words as heard, then mended (appended to `mended`, only computed if
    needed), each with and without the time words; then without hedges.
    """
    drops = (None, when) if when is not None else (None,)
    for drop in drops:
        yield words, drop, _outside(len(words), drop), False
    fixed = mend(intents, words, intents.known)
    mended.append(fixed)
    if fixed != words:
        for drop in drops:
            yield fixed, drop, _outside(len(fixed), drop), False
    else:
        fixed = words
    for drop in drops:
        for kept in hedged(intents, fixed, _outside(len(fixed), drop)):
            yield fixed, drop, kept, True


def _fuzzy(intents: Intents, words: list[str]) -> tuple[str, Span | None, float] | None:
    """The clear best fuzzy match, or None (below the threshold, or a near tie)."""
    ranked = rank(intents.table, words, ignore=intents.hesitations, light=intents.skip_tokens,
                                required=intents.required)
    if not ranked:
        return None
    intent, score, span = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    needed = CAPTURE_THRESHOLD if intent == "capture_glimmer" else FUZZY_THRESHOLD
    if score < needed or score - runner_up < FUZZY_MARGIN:
        _LOGGER.debug("no clear fuzzy match for %r: %s", words, ranked[:2])
        return None
    return intent, span, score


def _said_straight_after_wake_word(words: list[str], first: int, intents: Intents) -> bool:
    """'glimmer, at lunch a stranger smiled': a place word right after the wake word opens
    a glimmer; after other words it is the light seen somewhere ('a glimmer in her eye')."""
    if words[first] not in intents.place_words:
        return False
    before = [w for w in words[:first] if w not in intents.hesitations]
    return len(before) == 1 and intents.misheard.get(before[0], before[0]) in forms_of(
        intents.wake_word)


def _outside(size: int, span: WhenSpan | None) -> list[int]:
    return [i for i in range(size) if span is None or not span.start <= i < span.end]


def _slots(
    intents: Intents,
    intent: str,
    span: Span | None,
    where: list[int],
    heard: tuple[str, list[Token]],
    when: WhenSpan | None,
    today: date,
    around: list[int] | None = None,
) -> dict[str, Any] | None:
    """Slots for a match, or None when its free text is unusable (try the next layer).

    Free text is every position of `around` (default `where`) from the first
    to the last word the match gave it, so a softener inside it stays.
    """
    text, tokens = heard
    words = [word for word, _, _ in tokens]
    slots: dict[str, Any] = {}
    if span is not None:
        name, first, last = span
        inside = (where[first:last] if around is None or first >= last else
                  [i for i in around if where[first] <= i <= where[last - 1]])
        free = trim(intents, inside, words)
        timed = {i for i in free if when is not None and when.start <= i < when.end}
        links = intents.time_links
        if when is not None and free and all(i in timed or words[i] in links for i in free):
            return None  # "glimmers from last week": time words are not a glimmer
        if (name == "text" and free and words[free[0]] in intents.not_glimmer_starts
                and not _said_straight_after_wake_word(words, free[0], intents)):
            return None  # "what is a glimmer", "a glimmer of hope": not a glimmer to save
        if name == "query" and free:  # "the ones about ireland for me": look for "ireland"
            free = free[:len(free) - _starts_with([words[i] for i in reversed(free)],
                                                   intents.tail_offs)]
        if name == "query" and free and words[free[0]] in intents.not_query_starts:
            return None  # "was there a glimmer of recognition": not a search
        if name == "query" and not is_query([words[i] for i in free if i not in timed]):
            return None  # "glimmer, on sunday we had a long lunch with the family": a moment
        if free:
            slots[name] = _free_text(text, tokens, free)
        elif name == "query":
            return None
    if intents.registry.has_time_range(intent):
        slots["when"] = when.range if when is not None else DateRange(today, today)
    return slots


MAX_QUERY_WORDS = 4
"""A search names a thing or two ("the smell of rain"); more words than this, little ones
aside, are a moment told ("glimmer, on tuesday the bus was warm and i got the window seat")."""


def is_query(words: list[str]) -> bool:
    """Whether these words can be what a search looks for (not a whole moment)."""
    return len([w for w in words if w not in LITTLE_WORDS]) <= MAX_QUERY_WORDS


def describe(match: Match | None) -> str:
    """One readable line for a match (for `understand` without --json)."""
    if match is None:
        return "(no intent)"
    parts = [f"{k}={v.start}..{v.end}" if isinstance(v, DateRange) else f"{k}={v!r}"
             for k, v in match.slots.items()]
    return " ".join([match.intent, *parts, f"(score {match.score:.0f})"])
