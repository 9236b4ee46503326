"""Short answers that are neither a plain yes nor a plain no: "later", "go on".

Spoken answers come with fillers around them ("um, maybe later", "okay go on"); these
compare the words that are left with a list of the language's lexicon. No I/O, no state.
"""

from __future__ import annotations

from voice_glimmers.core.words import plain_words
from voice_glimmers.language.lexicon import Lexicon, Phrase


def answers_with(text: str, phrases: frozenset[Phrase], lexicon: Lexicon) -> bool:
    """Are the words, fillers aside, one of `phrases`? ('um maybe later' is 'maybe later')"""
    words = tuple(w for w in plain_words(text) if w not in lexicon.answer_fillers)
    return bool(words) and words in phrases


def says_later(text: str, lexicon: Lexicon) -> bool:
    """'Maybe later', 'in a bit': not now, but not for the whole evening either."""
    return answers_with(text, lexicon.later, lexicon)


def says_go_on(text: str, lexicon: Lexicon) -> bool:
    """'Go on', 'keep going': a yes to hearing more."""
    return answers_with(text, lexicon.go_on, lexicon)
