"""Noticing words that are not a glimmer: danger, a hard feeling, or none to be found.

Above all, crisis language is never stored as a glimmer; the person hears the crisis
message instead. The phrase lists are data, in intents/<lang>/safety.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Union

from voice_glimmers.core.errors import IntentFileError
from voice_glimmers.core.words import plain_words
from voice_glimmers.language.datafile import read_data_file, read_yaml

KINDS = ("crisis", "hard_feelings", "none_found", "no_answer")


Sign = Union[str, "re.Pattern[str]"]


def _phrases(data: dict, kind: str, name: str) -> tuple[Sign, ...]:
    """A list's phrases; an entry starting 're:' is a regular expression over the words
    (lower case, contractions folded as in _SAME), for the many ways one thing is said."""
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
            signs.append(_said(text).strip())
    return tuple(signs)


_SAME = (  # said in full or contracted, heard the same: the lists use the contracted form
    (" i am ", " im "), (" do not ", " dont "), (" does not ", " doesnt "),
    (" can not ", " cant "), (" cannot ", " cant "), (" is not ", " isnt "),
    (" was not ", " wasnt "), (" were not ", " werent "), (" i would ", " id "),
    (" he is ", " hes "), (" she is ", " shes "), (" they are ", " theyre "),
    (" there is ", " theres "), (" what is ", " whats "), (" my self ", " myself "),
    (" i have ", " ive "), (" no one ", " nobody "),
)


def _said(text: str) -> str:
    """The words, space-framed, with the usual contractions folded together."""
    joined = " " + " ".join(plain_words(text)) + " "
    for full, short in _SAME:
        joined = joined.replace(full, short)
    return joined


def _holds(text: str, signs: tuple[Sign, ...]) -> bool:
    joined = _said(text)
    return any(
        f" {sign} " in joined if isinstance(sign, str) else sign.search(joined) is not None
        for sign in signs
    )


@dataclass(frozen=True)
class Signs:
    """Phrase lists that say what some words are, when they are not a glimmer."""

    crisis: tuple[Sign, ...]
    hard_feelings: tuple[Sign, ...]
    none_found: tuple[Sign, ...]
    no_answer: tuple[Sign, ...]

    @classmethod
    def from_yaml(cls, stream: IO[str], name: str = "safety.yaml") -> Signs:
        data = read_yaml(stream, name)
        if not isinstance(data, dict):
            raise IntentFileError(f"{name}: needs the lists {', '.join(KINDS)}")
        return cls(*(_phrases(data, kind, name) for kind in KINDS))

    @classmethod
    def from_dir(cls, folder: Path) -> Signs:
        return read_data_file(folder, "safety.yaml", cls.from_yaml)

    def is_crisis(self, text: str) -> bool:
        """Someone may be in danger right now."""
        return _holds(text, self.crisis)

    def is_hard_feeling(self, text: str) -> bool:
        return _holds(text, self.hard_feelings)

    def is_none_found(self, text: str) -> bool:
        return _holds(text, self.none_found)

    def is_no_answer(self, text: str) -> bool:
        """The whole answer says there is nothing to keep ('i dont know', 'hmm')."""
        return _said(text).strip() in self.no_answer
