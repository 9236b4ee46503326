"""Tags: the senses and themes a glimmer's words touch, from the language's tag words."""

from __future__ import annotations

from voice_glimmers.core.words import plain_words
from voice_glimmers.language.tags import TagVocabulary


def _forms(word: str, endings: tuple[str, ...]) -> set[str]:
    """A word and the few endings people add to it (cat, cats; walk, walking, walked)."""
    forms = {word}
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            forms.add(word[: -len(ending)])
    return forms


def tag_text(text: str, vocabulary: TagVocabulary) -> tuple[str, ...]:
    """The tags a glimmer's text touches, in the vocabulary's order."""
    words = plain_words(text)
    forms = set().union(*(_forms(w, vocabulary.endings) for w in words)) if words else set()
    joined = " " + " ".join(words) + " "
    found = []
    for tag, tag_words in vocabulary.words.items():
        if forms & tag_words or any(
            " " + " ".join(p) + " " in joined for p in vocabulary.phrases[tag]
        ):
            found.append(tag)
    return tuple(found)
