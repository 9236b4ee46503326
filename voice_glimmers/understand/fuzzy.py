"""The fuzzy layer: what hassil's strict matching misses, ranked against the phrase table.

This is the last layer of understanding, for a dropped word, an extra one, a word
heard a little wrong. rapidfuzz finds likely phrases by their letters (fast, in
C); those few are then scored word by word, so "stop the car" is far from "stop
the mic" though most of the letters agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from voice_glimmers.language.phrase_table import Phrase, PhraseTable, Span

LETTER_CUTOFF = 60  # rapidfuzz ratio below which a phrase is not looked at again
WORD_SIMILARITY = 0.7  # letter similarity below which two words are simply different


def rank(
    table: PhraseTable,
    words: list[str],
    *,
    ignore: frozenset[str],
    light: frozenset[str],
    required: Mapping[str, frozenset[str]],
) -> list[tuple[str, float, Span | None]]:
    """Each intent's best score (0..100) for `words`, best first.

    `ignore`: words left out (hesitations); `light`: words cheap to add or drop;
    `required`: an intent's phrase only counts if one of these words is in the
    part of `words` it matched (so a capture needs "glimmer" in its trigger).
    Spans index `words`.
    """
    from rapidfuzz import fuzz, process

    at = [i for i, w in enumerate(words) if w not in ignore]
    said = [words[i] for i in at]
    best: dict[str, tuple[float, Span | None]] = {}

    def consider(phrase: Phrase, part: list[str], free: list[int]) -> None:
        needed = required.get(phrase.intent)
        if needed and needed.isdisjoint(part):
            return
        score = word_score(part, phrase.words, light)
        span = (phrase.slot, free[0], free[-1] + 1) if phrase.slot and free else None
        if score > best.get(phrase.intent, (0.0, None))[0]:
            best[phrase.intent] = (score, span)

    if said:
        # Both sides are already lower-case words without punctuation: no processor.
        for _, _, k in process.extract(" ".join(said), table.plain_texts, scorer=fuzz.ratio,
                                       processor=None, limit=12, score_cutoff=LETTER_CUTOFF):
            consider(table.plain[k], said, [])
    for n in range(1, len(said)):
        for first, groups in ((False, table.heads), (True, table.tails)):
            part = said[-n:] if first else said[:n]
            free = at[: len(said) - n] if first else at[n:]
            for size in (n - 1, n, n + 1):
                phrases, texts = groups.get(size, ((), ()))
                for _, _, k in process.extract(" ".join(part), texts, scorer=fuzz.ratio,
                                               processor=None, limit=3,
                                               score_cutoff=LETTER_CUTOFF):
                    consider(phrases[k], part, free)
    ranked = sorted(best.items(), key=lambda item: -item[1][0])
    return [(intent, score, span) for intent, (score, span) in ranked]


def word_score(said: list[str], phrase: tuple[str, ...], light: frozenset[str]) -> float:
    """0..100: an edit distance over words, where a near-miss word costs little.

    Swapping a word costs 1 minus its letter similarity (OSA, so "lest" is close
    to "lets"; 1 below WORD_SIMILARITY). A word heard but not in the phrase costs
    1 (0.5 for light words); a short or light word of the phrase not heard costs
    0.5, as speech recognition drops those most.
    """
    from rapidfuzz.distance import OSA

    def extra(word: str) -> float:
        return 0.5 if word in light else 1.0

    def missing(word: str) -> float:
        return 0.5 if len(word) <= 3 or word in light else 1.0

    previous = [0.0]
    for word in phrase:
        previous.append(previous[-1] + missing(word))
    for heard in said:
        current = [previous[0] + extra(heard)]
        for j, word in enumerate(phrase, 1):
            if heard == word:
                swap = previous[j - 1]
            else:
                similarity = OSA.normalized_similarity(heard, word)
                swap = previous[j - 1] + (1 - similarity if similarity >= WORD_SIMILARITY else 1)
            current.append(min(swap, previous[j] + extra(heard), current[j - 1] + missing(word)))
        previous = current
    return 100 * max(0.0, 1 - previous[-1] / max(len(said), len(phrase), 1))
