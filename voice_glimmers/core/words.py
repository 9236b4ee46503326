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
_SPACE_BEFORE_MARK = re.compile(r"\s+([.,;:!?])")


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



def _is_pictograph(char: str) -> bool:
    """An emoji or another picture symbol, or what joins and colours one (ZWJ, VS16,
    skin tones, keycaps): part of a glimmer's words, never a word to speak."""
    import unicodedata

    code = ord(char)
    if code in (0x200D, 0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= code <= 0x1F3FF:
        return True
    if 0xE0020 <= code <= 0xE007F:  # the tag letters of flags such as Scotland's
        return True
    return unicodedata.category(char) == "So"


def has_pictographs(text: str) -> bool:
    return any(_is_pictograph(char) for char in text)


def speakable(text: str) -> str:
    """`text` for a speech engine: emoji and other picture symbols left out (the engine
    would read their names aloud, "smiling face with smiling eyes"), spaces tidied."""
    if not has_pictographs(text):
        return text
    kept = " ".join("".join(" " if _is_pictograph(c) else c for c in text).split())
    return _SPACE_BEFORE_MARK.sub(r"\1", kept)
