"""The lexicon: the words of the conversation that are not sentence templates
(intents/<lang>/lexicon.yaml): fillers, lead-ins, thinking aloud, courtesy, undo words,
the words that turn a sentence, what may be said before the wake word.

Phrases are kept as tuples of words, the way core.words splits them, so code that
uses them compares words, never strings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.datafile import read_data_file, read_yaml

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    wake_greetings: frozenset[str]
    answer_fillers: frozenset[str]
    thinking_sounds: frozenset[str]
    thinking: frozenset[Phrase]
    answer_openers: tuple[Phrase, ...]
    capture_lead_ins: tuple[Phrase, ...]  # longest first
    capture_courtesy: frozenset[str]
    capture_courtesy_after: tuple[Phrase, ...]  # longest first
    undo_words: frozenset[str]
    thanks: frozenset[Phrase]
    goodnight: frozenset[Phrase]
    turning_words: frozenset[str]
    clause_words: frozenset[str]  # where a sentence is cut to look at each clause for danger
    barge_in: frozenset[str]
    barge_in_with: frozenset[str]
    little_words: frozenset[str]
    keep_whole: frozenset[Phrase]
    later: frozenset[Phrase]  # "later" to the evening offer: ask once more that evening
    go_on: frozenset[Phrase]  # "go on" to "Shall I go on?": a yes
    what_is_glimmer: frozenset[Phrase]
    leave: frozenset[Phrase]
    tag_words: frozenset[str]  # words around a tag's name, not it ("the family tag")

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "lexicon.yaml") -> Lexicon:
        data = read_yaml(stream, name)
        if not isinstance(data, dict):
            raise IntentFileError(f"{name}: needs the word lists of the conversation")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"language"})
        if unknown:
            raise IntentFileError(f"{name}: unknown lists {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            phrases = [_phrase(entry, f.name, name) for entry in _list(data, f.name, name)]
            if "Phrase" not in str(f.type):
                if any(len(p) != 1 for p in phrases):
                    raise IntentFileError(f"{name}: {f.name}: one word each, please")
                values[f.name] = frozenset(p[0] for p in phrases)
            elif str(f.type).startswith("tuple"):
                values[f.name] = tuple(sorted(dict.fromkeys(phrases), key=len, reverse=True))
            else:
                values[f.name] = frozenset(phrases)
        return cls(**values)

    @classmethod
    def from_dir(cls, folder: Path) -> Lexicon:
        return read_data_file(folder, "lexicon.yaml", cls.from_yaml)


def _list(data: dict, key: str, name: str) -> list:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise IntentFileError(f"{name}: needs a '{key}:' list")
    return value


def _phrase(entry: object, key: str, name: str) -> Phrase:
    if not isinstance(entry, str):  # YAML reads a bare no, on, yes as true or false
        raise IntentFileError(f"{name}: {key}: {entry!r} is not text (put it in quotes)")
    words = tuple(plain_words(entry))
    if not words:
        raise IntentFileError(f"{name}: {key}: {entry!r} has no words")
    return words


def starts_with(words: list[str], phrases: tuple[Phrase, ...]) -> int:
    """How many of `words` the first (longest) of `phrases` they start with covers; 0 if none."""
    for phrase in phrases:
        if tuple(words[: len(phrase)]) == phrase:
            return len(phrase)
    return 0
