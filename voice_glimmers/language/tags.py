"""Tag words: for each sense or theme, the words that bring it (intents/<lang>/tags.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.datafile import read_data_file, read_yaml


@dataclass(frozen=True)
class TagVocabulary:
    """For each tag, the single words and the phrases that bring it."""

    words: Mapping[str, frozenset[str]]
    phrases: Mapping[str, tuple[tuple[str, ...], ...]]
    endings: tuple[str, ...] = ()  # taken off a glimmer's word to find its plain form

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
        endings = data.get("endings", [])
        if not isinstance(endings, list) or not all(isinstance(e, str) for e in endings):
            raise IntentFileError(f"{name}: 'endings' should be a list of word endings")
        return cls(words=words, phrases=phrases, endings=tuple(endings))

    @classmethod
    def from_dir(cls, folder: Path) -> TagVocabulary:
        return read_data_file(folder, "tags.yaml", cls.from_yaml)
