"""Tag words: for each sense or theme, the words that bring it (intents/<lang>/tags.yaml).

A tag is given only when the words are sure of it, because the evening reflection meets a
glimmer through the sense its tags name: "the taste of it" after an orange cat jars, while a
missing tag only means a prompt that needs no sense. So each tag has sure words, which bring
it alone, and maybe words, which bring it only when nothing in the glimmer says otherwise
(a food is a taste unless someone made it for you, or its smell is what was noticed).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import IO

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import tokens
from voice_glimmers.language.datafile import read_data_file, read_yaml


@dataclass(frozen=True)
class Cues:
    """Single words, and phrases of several words (" with a space either side "), as they
    are matched."""

    words: frozenset[str] = frozenset()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TagRule:
    """What brings one tag, and what keeps it away."""

    sure: Cues
    maybe: Cues = Cues()  # bring the tag only without `unless` and the cues of `unless_tags`
    unless: Cues = Cues()  # anywhere in the glimmer: its maybe words mean something else
    unless_tags: tuple[str, ...] = ()  # a sure or maybe word of these tags: likewise
    excepts: tuple[tuple[str, ...], ...] = ()  # phrases whose words bring nothing here
    not_after: frozenset[str] = frozenset()  # right after one of these, a word brings nothing

    @cached_property
    def except_texts(self) -> tuple[str, ...]:
        """The except phrases as they are matched (" with a space either side ")."""
        return tuple(" " + " ".join(words) + " " for words in self.excepts)


_RULE_KEYS = ("words", "maybe", "unless", "unless_tags", "except", "not_after")


def _entries(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise IntentFileError(f"{where} needs a list of words")
    return value


def _split(entries: list[str]) -> list[tuple[str, ...]]:
    """Each entry's words; one pass of the tokenizer over all of them (a pass for each
    of a thousand entries would add a noticeable part to every start)."""
    starts, offset = [], 0
    for entry in entries:
        starts.append(offset)
        offset += len(entry) + 1
    split: list[list[str]] = [[] for _ in entries]
    for token in tokens("\n".join(entries)):
        split[bisect_right(starts, token.start) - 1].append(token.word)
    return [tuple(words) for words in split]


def _cues(entries: list[str]) -> Cues:
    split = _split(entries)
    return Cues(frozenset(s[0] for s in split if len(s) == 1),
                tuple(" " + " ".join(s) + " " for s in split if len(s) > 1))


def _rule(tag: str, value: object, name: str) -> TagRule:
    where = f"{name}: tag '{tag}'"
    if isinstance(value, list):  # the short form: sure words only
        return TagRule(sure=_cues(_entries(value, where)))
    if not isinstance(value, dict) or not set(value) <= set(_RULE_KEYS):
        raise IntentFileError(f"{where} needs a list of words, or a mapping of "
                              + ", ".join(_RULE_KEYS))
    lists = {key: _entries(value.get(key, []), f"{where}, {key},") for key in _RULE_KEYS}
    return TagRule(
        sure=_cues(lists["words"]), maybe=_cues(lists["maybe"]), unless=_cues(lists["unless"]),
        unless_tags=tuple(lists["unless_tags"]),
        excepts=tuple(words for words in _split(lists["except"]) if words),
        not_after=_single_words(lists["not_after"], f"{where}, not_after,"),
    )


def _single_words(entries: list[str], where: str) -> frozenset[str]:
    split = _split(entries)
    if any(len(words) != 1 for words in split):
        raise IntentFileError(f"{where} needs single words (a phrase belongs in except)")
    return frozenset(words[0] for words in split)


@dataclass(frozen=True)
class TagVocabulary:
    """For each tag, the words that bring it, and the endings people add to words."""

    rules: Mapping[str, TagRule]
    endings: tuple[str, ...] = ()  # taken off a glimmer's word to find its plain form

    @property
    def words(self) -> Mapping[str, frozenset[str]]:
        """Each tag's sure single words."""
        return {tag: rule.sure.words for tag, rule in self.rules.items()}

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "tags.yaml") -> TagVocabulary:
        data = read_yaml(stream, name)
        tags = data.get("tags") if isinstance(data, dict) else None
        if not isinstance(tags, dict):
            raise IntentFileError(f"{name}: needs a 'tags:' mapping of tag to word list")
        rules = {str(tag): _rule(str(tag), value, name) for tag, value in tags.items()}
        for tag, rule in rules.items():
            unknown = [t for t in rule.unless_tags if t not in rules]
            if unknown:
                raise IntentFileError(f"{name}: tag '{tag}' names unknown unless_tags: "
                                      + ", ".join(unknown))
        endings = data.get("endings", [])
        if not isinstance(endings, list) or not all(isinstance(e, str) for e in endings):
            raise IntentFileError(f"{name}: 'endings' should be a list of word endings")
        return cls(rules=rules, endings=tuple(endings))

    @classmethod
    def from_dir(cls, folder: Path) -> TagVocabulary:
        return read_data_file(folder, "tags.yaml", cls.from_yaml)


TAG_TESTS = "tag_tests"  # labelled glimmers: what the tags are measured and trained on


def read_labelled(folder: Path) -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Each labelled set of intents/<lang>/tag_tests/ (`glimmers: [{text, tags}]`), by its
    name, in the order of their names."""
    sets = {}
    for path in sorted((Path(folder) / TAG_TESTS).glob("*.yaml")):
        with path.open(encoding="utf-8") as stream:
            data = read_yaml(stream, path.name)
        glimmers = data.get("glimmers") if isinstance(data, dict) else None
        if not isinstance(glimmers, list):
            raise IntentFileError(f"{path}: needs a 'glimmers:' list of text and tags")
        sets[path.stem] = [(str(g["text"]), frozenset(g.get("tags") or ())) for g in glimmers]
    return sets
