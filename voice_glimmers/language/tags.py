"""Tags: the senses and themes a glimmer touches, from a word list kept as data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.language.datafile import read_data_file, read_yaml

_NOT_WORD = re.compile(r"[^\w\s]+")


def plain_words(text: str) -> list[str]:
    """Lower-case words with apostrophes and punctuation removed, as speech recognition gives."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return _NOT_WORD.sub(" ", text).split()


def _forms(word: str) -> set[str]:
    """A word and the few endings people add to it (cat, cats; walk, walking, walked)."""
    forms = {word}
    for ending in ("s", "es", "ing", "ed", "d"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            forms.add(word[: -len(ending)])
    return forms


@dataclass(frozen=True)
class TagVocabulary:
    """For each tag, the single words and the phrases that bring it."""

    words: Mapping[str, frozenset[str]]
    phrases: Mapping[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "tags.yaml") -> TagVocabulary:
        data = read_yaml(stream, name)
        tags = data.get("tags") if isinstance(data, dict) else None
        if not isinstance(tags, dict):
            raise IntentFileError(f"{name}: needs a 'tags:' mapping of tag to word list")
        words: dict[str, frozenset[str]] = {}
        phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
        for tag, entries in tags.items():
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise IntentFileError(f"{name}: tag '{tag}' needs a list of words")
            split = [tuple(plain_words(e)) for e in entries]
            words[tag] = frozenset(s[0] for s in split if len(s) == 1)
            phrases[tag] = tuple(s for s in split if len(s) > 1)
        return cls(words=words, phrases=phrases)

    @classmethod
    def from_dir(cls, folder: Path) -> TagVocabulary:
        return read_data_file(folder, "tags.yaml", cls.from_yaml)


def tag_text(text: str, vocabulary: TagVocabulary) -> tuple[str, ...]:
    """The tags a glimmer's text touches, in the vocabulary's order."""
    words = plain_words(text)
    forms = set().union(*(_forms(w) for w in words)) if words else set()
    joined = " " + " ".join(words) + " "
    found = []
    for tag, tag_words in vocabulary.words.items():
        if forms & tag_words or any(
            " " + " ".join(p) + " " in joined for p in vocabulary.phrases[tag]
        ):
            found.append(tag)
    return tuple(found)
