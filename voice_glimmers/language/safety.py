"""Noticing words that are not a glimmer: danger, a hard feeling, or none to be found.

Above all, crisis language is never stored as a glimmer; the person hears the crisis
message instead. The phrase lists are data, in intents/<lang>/safety.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Union

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.datafile import read_data_file, read_yaml

KINDS = ("crisis", "hard_feelings", "none_found", "no_answer")
SCREEN_FOLDER = "screen"  # labelled examples, one file per source
TRAINED_FILE = "screen.npz"
EXAMPLE_KINDS = ("danger", "hard", "mixed", "alarming_ordinary", "glimmer", "refusal")


Sign = Union[str, "re.Pattern[str]"]


def _phrases(data: dict, kind: str, name: str,
             same: tuple[tuple[str, str], ...]) -> tuple[Sign, ...]:
    """A list's phrases; an entry starting 're:' is a regular expression over the words
    (lower case, contractions folded by said_the_same), for the many ways one thing is said."""
    phrases = data.get(kind)
    if not isinstance(phrases, list) or not phrases:
        raise IntentFileError(f"{name}: needs a '{kind}:' list of phrases")
    signs: list[Sign] = []
    for phrase in phrases:
        text = str(phrase)
        if text.startswith("re:"):
            try:
                signs.append(re.compile(rf"(?<!\S){text[3:].strip()}(?!\S)"))
            except re.error as err:
                raise IntentFileError(f"{name}: {kind}: bad pattern {text!r} ({err})") from None
        else:
            signs.append(_said(text, same).strip())
    return tuple(signs)


def _said(text: str, same: tuple[tuple[str, str], ...]) -> str:
    """The words, space-framed, with the usual contractions folded together."""
    joined = " " + " ".join(plain_words(text)) + " "
    for full, short in same:
        joined = joined.replace(full, short)
    return joined


def _holds(text: str, signs: tuple[Sign, ...], same: tuple[tuple[str, str], ...]) -> bool:
    joined = _said(text, same)
    return any(
        f" {sign} " in joined if isinstance(sign, str) else sign.search(joined) is not None
        for sign in signs
    )


def _contractions(data: object, name: str) -> tuple[tuple[str, str], ...]:
    """said_the_same: full words -> the contracted form the lists use, space-framed."""
    if data is None:
        return ()
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise IntentFileError(f"{name}: said_the_same should map words to their short form")
    return tuple((" " + " ".join(plain_words(k)) + " ", " " + " ".join(plain_words(v)) + " ")
                 for k, v in data.items())


def read_examples(stream: IO[str], name: str = SCREEN_FOLDER) -> dict[str, tuple[str, ...]]:
    """One file of screen/: sentences of some kinds, as speech recognition gives them."""
    data = read_yaml(stream, name)
    if not isinstance(data, dict):
        raise IntentFileError(f"{name}: needs a list of sentences for some of "
                              f"{', '.join(EXAMPLE_KINDS)}")
    unknown = sorted(set(map(str, data)) - set(EXAMPLE_KINDS))
    if unknown:
        raise IntentFileError(f"{name}: unknown kinds {', '.join(unknown)}")
    found = {}
    for kind, texts in data.items():
        if not isinstance(texts, list) or not texts or not all(
            isinstance(t, str) and t.strip() for t in texts
        ):
            raise IntentFileError(f"{name}: '{kind}' needs a list of sentences")
        found[kind] = tuple(" ".join(plain_words(t)) for t in texts)
    return found


def read_example_folder(folder: Path) -> dict[str, tuple[str, ...]]:
    """Every file of screen/ (one per source of examples), each kind's sentences together,
    in the order of the files' names; every kind needs some."""
    found: dict[str, list[str]] = {kind: [] for kind in EXAMPLE_KINDS}
    labelled: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        for kind, texts in read_data_file(folder, path.name, read_examples).items():
            for text in texts:
                if labelled.setdefault(text, kind) != kind:
                    raise IntentFileError(f"{path}: '{text}' is labelled both "
                                          f"{labelled[text]} and {kind}")
            found[kind] += texts
    missing = [kind for kind, texts in found.items() if not texts]
    if missing:
        raise IntentFileError(f"{folder}: no examples of {', '.join(missing)}")
    return {kind: tuple(texts) for kind, texts in found.items()}


@dataclass(frozen=True)
class Signs:
    """Phrase lists that say what some words are, when they are not a glimmer."""

    crisis: tuple[Sign, ...]
    hard_feelings: tuple[Sign, ...]
    none_found: tuple[Sign, ...]
    no_answer: tuple[Sign, ...]
    said_the_same: tuple[tuple[str, str], ...] = ()  # (" i am ", " im ") ...
    # Labelled sentences of each kind (screen/*.yaml), for the sentence model to compare with.
    examples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    trained: Path | None = None  # screen.npz: the screen trained on these examples, shipped

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "safety.yaml") -> Signs:
        data = read_yaml(stream, name)
        if not isinstance(data, dict):
            raise IntentFileError(f"{name}: needs the lists {', '.join(KINDS)}")
        same = _contractions(data.get("said_the_same"), name)
        lists = {kind: _phrases(data, kind, name, same) for kind in KINDS}
        return cls(lists["crisis"], lists["hard_feelings"], lists["none_found"],
                   lists["no_answer"], said_the_same=same)

    @classmethod
    def from_dir(cls, folder: Path) -> Signs:
        signs = read_data_file(folder, "safety.yaml", cls.from_yaml)
        if not (Path(folder) / SCREEN_FOLDER).is_dir():
            return signs
        trained = Path(folder) / TRAINED_FILE
        return replace(signs, examples=read_example_folder(Path(folder) / SCREEN_FOLDER),
                       trained=trained if trained.is_file() else None)

    def is_crisis(self, text: str) -> bool:
        """Someone may be in danger right now."""
        return _holds(text, self.crisis, self.said_the_same)

    def is_hard_feeling(self, text: str) -> bool:
        return _holds(text, self.hard_feelings, self.said_the_same)

    def is_none_found(self, text: str) -> bool:
        return _holds(text, self.none_found, self.said_the_same)

    def is_no_answer(self, text: str) -> bool:
        """The whole answer says there is nothing to keep ('i dont know', 'hmm')."""
        return _said(text, self.said_the_same).strip() in self.no_answer
