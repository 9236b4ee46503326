"""Text made safe to show on a terminal: the one place that decides how words are printed.

A glimmer's words are kept as the person gave them, and a hand-edited file can hold
anything; but a carriage return, an escape sequence, an 8-bit control such as U+009B
(which many terminals read as the start of an escape) or a right-to-left override
would move the cursor, recolour the screen or reorder what follows when printed.
Everything voice-glimmers prints to a terminal goes through `printable`.
"""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1), the bidi formatting characters that reorder what
# follows them (embeddings, overrides, isolates; the plain marks U+200E/U+200F only
# steer the text beside them and are left), and lone surrogates (undecodable bytes in
# a file name), which cannot be printed at all.
_BEYOND_C0 = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 in strings itself


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` on one line that shows every character and moves nothing.

    Runs of white space (line breaks, tabs, a carriage return) become one space, and
    whatever could move or reorder the terminal is written as an escape, visibly:
    ESC as \\x1b, U+202E as \\u202e. Letters, emoji and right-to-left words are left
    as they are.
    """
    return _UNSAFE.sub(_escape, " ".join(text.split()))


def json_printable(text: str) -> str:
    """JSON text, as json.dumps writes it, with the same characters as `printable` written
    as \\u escapes: a program reads exactly the same words, and a terminal moves not at all.
    (Outside its strings, JSON is plain ASCII, so only words are changed.)"""
    return _UNSAFE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
