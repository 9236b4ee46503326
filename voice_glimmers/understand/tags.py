"""Tags: the senses and themes a glimmer's words touch, from the language's tag words.

A sure word brings its tag; a maybe word brings it only when nothing else in the glimmer
says otherwise (see language/tags.py). Inside an except phrase ("ran into", "on the way
home"), and right after a not_after word ("his bath", "got home"), a tag's words bring
nothing. When unsure, no tag: the reflection then uses a prompt that needs no sense.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from voice_glimmers.core.words import plain_words
from voice_glimmers.language.tags import Cues, TagRule, TagVocabulary

if TYPE_CHECKING:
    from voice_glimmers.core.protocols import Senses

_GAP = ""  # stands in for a word taken out by an except phrase: matches nothing


def _forms(word: str, endings: tuple[tuple[str, str], ...]) -> frozenset[str]:
    """A word and the few endings people add to it (cat, cats; walk, walking, walked).

    An ending written "ed>e" is put back as the part after ">" (smiled -> smile): a
    bare "d" would also make crowd a crow and shed a she."""
    forms = {word}
    for cut, back in endings:
        if word.endswith(cut) and len(word) - len(cut) >= 3:
            forms.add(word[: -len(cut)] + back)
    return frozenset(forms)


class _Glimmer:
    """A glimmer's words, with their plain forms, as the cues are matched against them."""

    def __init__(self, words: list[str], forms: list[frozenset[str]]) -> None:
        self.words = words
        self.forms = forms
        self.joined = " " + " ".join(words) + " "

    @classmethod
    def from_text(cls, text: str, endings: tuple[str, ...]) -> _Glimmer:
        words = plain_words(text)
        pairs = tuple((cut, back) for cut, _, back in (e.partition(">") for e in endings))
        return cls(words, [_forms(w, pairs) for w in words])

    def without(self, phrases: tuple[tuple[str, ...], ...],
                texts: tuple[str, ...]) -> _Glimmer:
        """The same glimmer with the words of these phrases (written out as `texts`)
        taken out."""
        taken: set[int] = set()
        for phrase, text in zip(phrases, texts, strict=True):
            if text not in self.joined:
                continue
            size = len(phrase)
            for i in range(len(self.words) - size + 1):
                if tuple(self.words[i:i + size]) == phrase:
                    taken.update(range(i, i + size))
        return self._taking(taken)

    def without_after(self, before: frozenset[str]) -> _Glimmer:
        """The same glimmer with each word that follows one of `before` taken out."""
        if not before:
            return self
        return self._taking({i + 1 for i, forms in enumerate(self.forms[:-1])
                             if not forms.isdisjoint(before)})

    def _taking(self, taken: set[int]) -> _Glimmer:
        if not taken:
            return self
        return _Glimmer([_GAP if i in taken else w for i, w in enumerate(self.words)],
                        [frozenset() if i in taken else f for i, f in enumerate(self.forms)])

    def has(self, cues: Cues) -> bool:
        if any(not forms.isdisjoint(cues.words) for forms in self.forms):
            return True
        return any(phrase in self.joined for phrase in cues.phrases)


def tag_text(text: str, vocabulary: TagVocabulary) -> tuple[str, ...]:
    """The tags a glimmer's text is sure to touch, in the vocabulary's order."""
    whole = _Glimmer.from_text(text, vocabulary.endings)
    sure: dict[str, bool] = {}
    maybe: dict[str, bool] = {}
    for tag, rule in vocabulary.rules.items():
        seen = whole.without(rule.excepts, rule.except_texts).without_after(rule.not_after)
        sure[tag] = seen.has(rule.sure)
        maybe[tag] = not sure[tag] and seen.has(rule.maybe)
    return tuple(tag for tag, rule in vocabulary.rules.items()
                 if sure[tag] or (maybe[tag] and not _kept_away(rule, whole, sure, maybe)))


def tags_of(text: str, vocabulary: TagVocabulary, senses: Senses | None) -> tuple[str, ...]:
    """The tags of a glimmer, in the vocabulary's order: with the tags' model (`senses`),
    a tag the model is sure of by itself, or one the word lists give that the model finds
    likely enough (the thresholds it was trained with, chosen for precision); without it
    (the sentence model not installed, or no tags model), the word lists alone."""
    listed = tag_text(text, vocabulary)
    words = plain_words(text)
    if senses is None or not words:
        return listed
    p = senses.of([" ".join(words)])[0]
    given = []
    for tag in vocabulary.rules:  # senses_for() gives a model only for these very tags
        alone, with_words = senses.thresholds[tag]
        if p[tag] >= alone or (tag in listed and p[tag] >= with_words):
            given.append(tag)
    return tuple(given)


def _kept_away(rule: TagRule, whole: _Glimmer, sure: dict[str, bool],
               maybe: dict[str, bool]) -> bool:
    """Whether something in the glimmer says a maybe word means something else here."""
    return whole.has(rule.unless) or any(sure[t] or maybe[t] for t in rule.unless_tags)
