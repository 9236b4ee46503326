"""The layer that generalises: what the words after the wake word mean, when the
templates read them only as a glimmer ("glimmer tag that as family": `glimmer {text}`).

A template matches the shape of a sentence; this layer matches its meaning. A sentence
model's likeness (core.protocols.Likeness, made by encoder.likeness over the plain
encoder) is trained on the templates' own expansions, a sample of each intent's ways
of saying it, beside good moments (the screen's glimmer examples, as "moment"). Then
the words after the wake word either

- read as a request: the request meant, its slots from the words as heard;
- read as a moment (or the asking for one, "i have one for you"): kept as the
  templates read it, a glimmer said now; unless their first words read as a request
  no intent does yet ("correct that to a warm bath": the moment is in it, the asking
  is at the start), then they are asked about;
- read as neither, clearly: the dialogue asks whether to save them ("unsure").

Capture is the last resort: a request is never saved silently. Pure, no I/O: the
likeness is passed in, and without one the templates decide alone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from voice_glimmers.core.days import DateRange
from voice_glimmers.core.protocols import Likeness
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.intents import Intents
from voice_glimmers.language.registry import Kind
from voice_glimmers.understand.matcher import is_query
from voice_glimmers.understand.when import find_when

MOMENT = "moment"  # the kind of the good moments the layer is trained on beside the intents
KEEP = ("capture_glimmer", MOMENT)  # what reads as a glimmer to keep (or its asking)
EXAMPLES_PER_INTENT = 60  # expansions of each intent's templates, a seeded sample
MOMENTS = 600  # good moments, a seeded sample of the screen's glimmer examples
REQUEST_AT = 0.55  # a request is this likely, at least...
REQUEST_MARGIN = 0.35  # ...and this much more likely than keeping the words...
KEEP_DOUBT = 0.10  # ...and, unless it is SURE_AT likely, keeping them less likely than this
SURE_AT = 0.80
HEAD_WORDS = 3  # a request shows at its start ("change that to ..."): the first words...
HEAD_AT = 0.60  # ...this likely a request no intent does yet, and the words are asked about
KEEP_AT = 0.40  # keeping the words this likely (and no request clearly more): a glimmer
SHORT = 2  # words; a request this short is said with words of a request
UNSURE = "unsure"  # the capture slot that says: ask before saving


def meaning_examples(
    intents: Intents, moments: tuple[str, ...],
    other: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, tuple[str, ...]]:
    """What the layer is trained on: a sample of each intent's expansions, moments, and
    `other` kinds (meaning.yaml: "something_else", requests no intent does yet; words
    most like one of those are asked about, never saved)."""
    by_intent: dict[str, list[str]] = {}
    for phrase in intents.table.phrases():
        text = " ".join(w for w in phrase.words if w != intents.wake_word)
        if text:
            by_intent.setdefault(phrase.intent, []).append(text)
    examples = {}
    for intent in sorted(by_intent):
        said = sorted(set(by_intent[intent]))
        examples[intent] = tuple(random.Random(intent).sample(
            said, min(EXAMPLES_PER_INTENT, len(said))))
    kept = sorted(set(moments))
    examples[MOMENT] = tuple(random.Random(MOMENT).sample(kept, min(MOMENTS, len(kept))))
    for kind, texts in (other or {}).items():
        examples[kind] = tuple(texts)
    return examples


@dataclass(frozen=True)
class Meaning:
    """The layer, ready: the likeness, and the words requests are said with (in their
    examples): a word or two without one of them is a moment, as the templates read it."""

    likeness: Likeness
    request_words: frozenset[str]

    @classmethod
    def of(cls, likeness: Likeness, examples: Mapping[str, tuple[str, ...]]) -> Meaning:
        asked = {w for kind, texts in examples.items() if kind not in KEEP for text in texts
                 for w in plain_words(text)}
        return cls(likeness, frozenset(asked))


def read_meaning(
    rest: str, text: str, intents: Intents, meaning: Meaning, *, today: date,
    week_start: int = 0,
) -> tuple[str, dict[str, Any], float] | None:
    """What `rest` (the words after the wake word) asks for: (intent, slots, score), or
    None when they read as a glimmer to keep. Unsure: capture_glimmer with UNSURE set."""
    words = plain_words(rest)
    if not words:
        return None
    if len(words) <= SHORT and meaning.request_words.isdisjoint(words):
        return None  # "glimmer stars": too few words to read, and none a request is said with
    likeness = meaning.likeness
    scores = likeness.scores(" ".join(words))
    keep = sum(scores.get(kind, 0.0) for kind in KEEP)
    registry = intents.registry
    requests = {k: p for k, p in scores.items() if k not in KEEP and k in registry.roles
                and registry.kind(k) is not Kind.CAPTURE}
    best = max(requests, key=lambda k: requests[k]) if requests else None
    p = requests[best] if best is not None else 0.0
    if best is not None and p >= REQUEST_AT and p - keep >= REQUEST_MARGIN and (
            keep < KEEP_DOUBT or p >= SURE_AT):
        slots = _slots(best, words, intents, today, week_start)
        if "query" not in slots or is_query(str(slots["query"]).split()):
            return best, slots, 100 * requests[best]
        # a search for a whole moment ("i finished the crossword without looking it up"):
        # asked about, never read as a search
        return "capture_glimmer", {"text": text, UNSURE: True}, 100 * keep
    others = [p for k, p in scores.items() if k not in KEEP]
    if keep >= KEEP_AT and keep >= max(others, default=0.0):
        if len(words) <= HEAD_WORDS:
            return None
        head = likeness.scores(" ".join(words[:HEAD_WORDS]))  # "change that to (a moment)"
        if max((p for k, p in head.items() if k not in KEEP and k not in registry.roles),
               default=0.0) < HEAD_AT:
            return None
    return "capture_glimmer", {"text": text, UNSURE: True}, 100 * keep


def _slots(intent: str, words: list[str], intents: Intents, today: date,
           week_start: int) -> dict[str, Any]:
    """The slots of a request the templates did not foresee, from the words as heard."""
    slots: dict[str, Any] = {}
    when = find_when(" ".join(words), today, week_start=week_start)
    if intents.registry.has_time_range(intent):
        slots["when"] = when.range if when is not None else DateRange(today, today)
    if "query" in intents.registry.roles[intent].slots:
        timed = range(when.start, when.end) if when is not None else range(0)
        query = [w for i, w in enumerate(words) if i not in timed and w not in intents.known
                 and w not in intents.hesitations]
        if query:
            slots["query"] = " ".join(query)
    return slots

