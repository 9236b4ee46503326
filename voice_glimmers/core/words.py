"""Words: the one tokenizer every part of voice-glimmers reads text with.

Speech recognition gives lower-case words without punctuation ("heres one for
you"); people type "Here's one, for you!". Both become the same words here:
lower case, apostrophes taken out ("here's" -> "heres"), everything that is not
a letter or a digit a break between words. Each word keeps where it was in the
text, so free text can be cut from what was written, with its case and commas.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_APOSTROPHES = re.compile(r"['’‘`´]")
_WORD = re.compile(r"(?:[^\W_]|['’‘`´])+")


class Token(NamedTuple):
    """One word as it is matched (lower case, no apostrophes) and where it was written."""

    word: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Each word of `text`, with its span."""
    found = (Token(_APOSTROPHES.sub("", m.group().lower()), m.start(), m.end())
             for m in _WORD.finditer(text))
    return [token for token in found if token.word]


def plain_words(text: str) -> list[str]:
    """The words of `text` as speech recognition would give them."""
    return [token.word for token in tokens(text)]

